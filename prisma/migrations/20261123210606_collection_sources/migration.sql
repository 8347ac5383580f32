-- AlterTable
ALTER TABLE "collections" ADD COLUMN     "sources" JSONB NOT NULL DEFAULT '[]';
