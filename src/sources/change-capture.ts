import type { ChangeContext } from "../changes/context.ts";
import type { SqlSession } from "../db/sql-session.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { RecordRow } from "./record-source.ts";

/**
 * The predicate every write statement of records and relationships carries: it puts who is writing into a
 * transaction-local setting that the database's change trigger (migration *_changes) copies into the change row.
 * The trigger refuses a write without one, so a statement that forgets it fails in the first test that runs it.
 *
 * It is a predicate rather than a separate `SET LOCAL` so a write stays one round trip outside a transaction; being
 * volatile, it is evaluated for each candidate row before that row is written, and not at all when none matches.
 */
export function withChange(change: ChangeContext): Prisma.Sql {
  return Prisma.sql`rg_change_context(${contextText(change)})`;
}

function contextText(change: ChangeContext): string {
  return JSON.stringify({ actor: change.actor, request_id: change.requestId, origin: change.origin });
}

/** A record as the change trigger stores a `records` row (to_jsonb: column names, ISO instants). */
function storedShape(record: RecordRow): Record<string, unknown> {
  return {
    id: record.id,
    workspace_id: record.workspaceId,
    collection_id: record.collectionId,
    external_id: record.externalId,
    external_source: record.externalSource,
    data: record.data,
    version: record.version,
    archived: record.archived,
    cancelled: record.cancelled,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
    deleted_at: record.deletedAt?.toISOString() ?? null,
  };
}

/**
 * Records the change of an external source's record, which lives upstream and so has no row here for the trigger
 * to see. Written after the upstream answered: the upstream's write and this row are not one transaction (an
 * upstream that succeeded before this process died leaves no change behind; docs/events.md says so).
 */
export async function appendExternalChange(
  db: SqlSession,
  change: ChangeContext,
  operation: "create" | "update" | "delete",
  record: RecordRow,
): Promise<void> {
  const shape = JSON.stringify(storedShape(record));
  const [after, before] = operation === "delete" ? [null, shape] : [shape, null];
  await db.query(
    `INSERT INTO changes (workspace_id, entity, entity_id, collection_id, operation, after, before, actor, request_id, origin)
     VALUES ($1, 'record', $2::uuid, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9)`,
    [
      record.workspaceId,
      record.id,
      record.collectionId,
      operation,
      after,
      before,
      change.actor,
      change.requestId,
      change.origin,
    ],
  );
}
