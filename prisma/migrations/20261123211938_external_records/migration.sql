-- CreateTable
CREATE TABLE "external_records" (
    "id" UUID NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "collection_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "external_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "external_records_workspace_id_collection_id_idx" ON "external_records"("workspace_id", "collection_id");

-- AddForeignKey
ALTER TABLE "external_records" ADD CONSTRAINT "external_records_workspace_id_collection_id_fkey" FOREIGN KEY ("workspace_id", "collection_id") REFERENCES "collections"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
