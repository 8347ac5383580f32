-- Hand-written: Prisma cannot model expression or partial indexes, and `npm run migrate:check` ignores them.
-- (Plain indexes are compared, so records_collection_order is also declared in schema.prisma.)

-- The live external identity of a record. It is the arbiter of the idempotent upsert
-- (INSERT … ON CONFLICT in src/sources/native.ts), so racing PUTs converge on one row.
-- Deleted and archived records leave it, so re-upserting their external_id creates a new record.
CREATE UNIQUE INDEX "records_live_external_identity"
  ON "records" ("workspace_id", "collection_id", (COALESCE("external_source", '')), "external_id")
  WHERE "deleted_at" IS NULL AND NOT "archived";

-- The default list order of a collection (created_at desc, id desc); it also serves the foreign key,
-- so deleting a collection does not scan every record.
CREATE INDEX "records_collection_order"
  ON "records" ("workspace_id", "collection_id", "created_at" DESC, "id" DESC);
