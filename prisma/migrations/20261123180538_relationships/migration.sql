-- CreateTable
CREATE TABLE "relationships" (
    "id" UUID NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "rel_type" TEXT NOT NULL,
    "source_collection" TEXT NOT NULL,
    "source_id" UUID NOT NULL,
    "target_collection" TEXT NOT NULL,
    "target_id" UUID NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "relationships_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "relationships_outgoing" ON "relationships"("source_id", "rel_type", "created_at", "id");

-- CreateIndex
CREATE INDEX "relationships_incoming" ON "relationships"("target_id", "rel_type", "created_at", "id");

-- CreateIndex
CREATE INDEX "relationships_source_collection" ON "relationships"("workspace_id", "source_collection");

-- CreateIndex
CREATE INDEX "relationships_target_collection" ON "relationships"("workspace_id", "target_collection");

-- CreateIndex
CREATE UNIQUE INDEX "relationships_identity" ON "relationships"("source_id", "rel_type", "target_id");

-- AddForeignKey
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_workspace_id_source_collection_fkey" FOREIGN KEY ("workspace_id", "source_collection") REFERENCES "collections"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_workspace_id_target_collection_fkey" FOREIGN KEY ("workspace_id", "target_collection") REFERENCES "collections"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
