-- AlterTable
ALTER TABLE "collections" ADD COLUMN     "indexes" JSONB NOT NULL DEFAULT '[]';
