import { v7 as uuidv7 } from "uuid";
import type { ChangeContext } from "../changes/context.ts";
import type { SqlSession } from "../db/sql-session.ts";
import { Prisma, type Relationship as RelationshipRow } from "../generated/prisma/client.ts";
import { withChange } from "./change-capture.ts";
import { epochMs, instant } from "./instants.ts";
import type { RecordRow } from "./record-source.ts";

export type { RelationshipRow };

export type Direction = "outgoing" | "incoming" | "both";

/** One end of a link: a record addressed as collection/record_id. */
export interface RecordEnd {
  collection: string;
  id: string;
}

export interface RelationshipWrite {
  /** Already validated: a lower-case UUID when given. */
  id?: string;
  relType: string;
  source: RecordEnd;
  target: RecordEnd;
  data: object;
}

export type RelationshipUpsertOutcome =
  | { ok: true; relationship: RelationshipRow; created: boolean }
  /** `missing`: the ends that are not live records of their collection in this workspace. */
  | { ok: false; reason: "missing_ends"; missing: Array<"source" | "target"> }
  /** The id names a relationship with other ends or type (or of another workspace). */
  | { ok: false; reason: "id_bound" };

/** Filters of the workspace-wide list; each is optional. */
export interface RelationshipFilter {
  relType?: string;
  sourceCollection?: string;
  sourceId?: string;
  targetCollection?: string;
  targetId?: string;
  /** Only links with both ends in these collections (what a collection-scoped token may see). */
  collections?: string[];
}

/** Keyset position in a record's links: the last link of the previous page. */
export interface EdgeCursor {
  createdAt: string;
  id: string;
}

export interface TraversalQuery {
  relType?: string;
  direction: Direction;
  limit: number;
  offset: number;
  after?: EdgeCursor;
  /** Also count every matching link of each record. */
  total: boolean;
}

/** A link seen from one of its records: which way it points from there and the record at the other end. */
export interface Edge {
  relationship: RelationshipRow;
  direction: "outgoing" | "incoming";
  record: RecordRow;
}

/**
 * An edge as the store reads it: `record` is null when the other end is an external source's record, which only its
 * source can produce (the caller fetches it; see otherEndOf).
 */
export interface StoredEdge extends Omit<Edge, "record"> {
  record: RecordRow | null;
}

export interface EdgePage<E = Edge> {
  /** The collection of the record the links were read from. */
  collectionId: string;
  edges: E[];
  hasMore: boolean;
  /** Every matching link, when the query asked for it; else null. */
  total: number | null;
}

/** The collection and id of the record at the other end of an edge. */
export function otherEndOf(edge: Omit<Edge, "record">): RecordEnd {
  const r = edge.relationship;
  return edge.direction === "outgoing"
    ? { collection: r.targetCollection, id: r.targetId }
    : { collection: r.sourceCollection, id: r.sourceId };
}

const { sql, join, empty } = Prisma;

const COLUMNS = Prisma.raw(`l.id, l.workspace_id AS "workspaceId", l.rel_type AS "relType",
  l.source_collection AS "sourceCollection", l.source_id AS "sourceId", l.target_collection AS "targetCollection",
  l.target_id AS "targetId", l.data, l.created_at AS "createdAt", l.updated_at AS "updatedAt"`);

function toRelationship(row: Record<string, unknown>): RelationshipRow {
  return {
    id: row.id as string,
    workspaceId: row.workspaceId as string,
    relType: row.relType as string,
    sourceCollection: row.sourceCollection as string,
    sourceId: row.sourceId as string,
    targetCollection: row.targetCollection as string,
    targetId: row.targetId as string,
    data: row.data as Prisma.JsonValue,
    createdAt: row.createdAt as Date,
    updatedAt: row.updatedAt as Date,
  };
}

/**
 * Relationships live in Recordgate's own database whatever stores their records. Every write is one statement
 * that checks both ends under a share lock, so a link never outlives a record deleted at the same moment. An end may
 * also be an external source's record this instance has seen (external_records): the store checks that it was seen,
 * the caller that its source still has it.
 */
export class RelationshipStore {
  constructor(private readonly db: SqlSession) {}

  private async rows(statement: Prisma.Sql): Promise<Array<Record<string, unknown>>> {
    return this.db.query(statement.text, statement.values);
  }

  /** Creates or updates (by id, else by source + type + target); both ends must be live records of the workspace. */
  async upsert(
    workspaceId: string,
    write: RelationshipWrite,
    change: ChangeContext,
  ): Promise<RelationshipUpsertOutcome> {
    const { source, target } = write;
    const arbiter = write.id
      ? sql`(id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
          WHERE l.workspace_id = EXCLUDED.workspace_id AND l.rel_type = EXCLUDED.rel_type
            AND l.source_id = EXCLUDED.source_id AND l.target_id = EXCLUDED.target_id`
      : sql`(source_id, rel_type, target_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`;
    // FOR SHARE conflicts with the UPDATE that soft-deletes a record (NativeRecordSource.softDelete), so the ends
    // cannot be deleted between this check and the insert; bool_or reads (and locks) every row of `ends`.
    const [row] = await this.rows(sql`
      WITH native AS MATERIALIZED (
        SELECT id, collection_id FROM records
        WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL AND id IN (${source.id}::uuid, ${target.id}::uuid)
        FOR SHARE
      ), ends AS (
        SELECT id, collection_id FROM native
        UNION ALL ${externalEnds(workspaceId, source, target)}
      ), checked AS (
        SELECT COALESCE(bool_or(id = ${source.id}::uuid AND collection_id = ${source.collection}), false)
           AND COALESCE(bool_or(id = ${target.id}::uuid AND collection_id = ${target.collection}), false) AS ok
        FROM ends
      )
      INSERT INTO relationships AS l
        (id, workspace_id, rel_type, source_collection, source_id, target_collection, target_id, data)
      SELECT ${write.id ?? uuidv7()}::uuid, ${workspaceId}, ${write.relType}, ${source.collection}, ${source.id}::uuid,
             ${target.collection}, ${target.id}::uuid, ${JSON.stringify(write.data)}::jsonb
      FROM checked WHERE checked.ok AND ${withChange(change)}
      ON CONFLICT ${arbiter}
      RETURNING ${COLUMNS}, (xmax = 0) AS created`);
    if (row) return { ok: true, relationship: toRelationship(row), created: row.created === true };
    const missing = await this.missingEnds(workspaceId, source, target);
    return missing.length ? { ok: false, reason: "missing_ends", missing } : { ok: false, reason: "id_bound" };
  }

  /** Runs only after an upsert wrote nothing, to tell the client which end is missing. */
  private async missingEnds(workspaceId: string, source: RecordEnd, target: RecordEnd) {
    const live = await this.rows(sql`
      SELECT id, collection_id AS collection FROM records
      WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL AND id IN (${source.id}::uuid, ${target.id}::uuid)
      UNION ALL ${externalEnds(workspaceId, source, target)}`);
    const exists = (end: RecordEnd) => live.some((r) => r.id === end.id && r.collection === end.collection);
    return (["source", "target"] as const).filter((which) => !exists(which === "source" ? source : target));
  }

  async get(workspaceId: string, id: string): Promise<RelationshipRow | null> {
    const [row] = await this.rows(
      sql`SELECT ${COLUMNS} FROM relationships l WHERE l.id = ${id}::uuid AND l.workspace_id = ${workspaceId}`,
    );
    return row ? toRelationship(row) : null;
  }

  async delete(workspaceId: string, id: string, change: ChangeContext): Promise<boolean> {
    const rows = await this.rows(sql`
      DELETE FROM relationships l
      WHERE l.id = ${id}::uuid AND l.workspace_id = ${workspaceId} AND ${withChange(change)}
      RETURNING l.id`);
    return rows.length > 0;
  }

  /** The workspace's relationships matching every given filter, oldest first, with the exact total. */
  async list(
    workspaceId: string,
    filter: RelationshipFilter,
    page: { limit: number; offset: number },
  ): Promise<{ items: RelationshipRow[]; total: number }> {
    const conditions = [sql`l.workspace_id = ${workspaceId}`];
    if (filter.relType !== undefined) conditions.push(sql`l.rel_type = ${filter.relType}`);
    if (filter.sourceCollection !== undefined) conditions.push(sql`l.source_collection = ${filter.sourceCollection}`);
    if (filter.sourceId !== undefined) conditions.push(sql`l.source_id = ${filter.sourceId}::uuid`);
    if (filter.targetCollection !== undefined) conditions.push(sql`l.target_collection = ${filter.targetCollection}`);
    if (filter.targetId !== undefined) conditions.push(sql`l.target_id = ${filter.targetId}::uuid`);
    if (filter.collections !== undefined) {
      conditions.push(sql`l.source_collection = ANY(${filter.collections}::text[])`);
      conditions.push(sql`l.target_collection = ANY(${filter.collections}::text[])`);
    }
    const where = join(conditions, " AND ");
    const [rows, count] = await Promise.all([
      this.rows(sql`SELECT ${COLUMNS} FROM relationships l WHERE ${where}
        ORDER BY l.created_at, l.id LIMIT ${page.limit} OFFSET ${page.offset}`),
      this.rows(sql`SELECT count(*)::int AS total FROM relationships l WHERE ${where}`),
    ]);
    return { items: rows.map(toRelationship), total: (count[0]?.total as number) ?? 0 };
  }

  /**
   * The links of many records at once, each with the live record at its other end: one statement whatever the
   * number of records (a LATERAL subquery per record, each reading its index in page order). The records
   * themselves are checked in the same statement: the result has a page for each one that is live, none for
   * the others. `total` adds each record's count of matching links (ignoring offset and cursor).
   */
  async traverse(
    workspaceId: string,
    recordIds: string[],
    q: TraversalQuery,
  ): Promise<Map<string, EdgePage<StoredEdge>>> {
    const counted = q.total
      ? sql`(SELECT count(*)::int FROM relationships l ${otherEnd(sql`k.id`)}
               WHERE ${traversalWhere(workspaceId, sql`k.id`, { ...q, after: undefined })})`
      : sql`NULL::int`;
    // The records the links are read from: live ones stored here, and external ones seen here.
    // Thousands of rows per statement at deep GraphQL levels: read as arrays rather than objects (and instants as
    // epoch milliseconds, see instants.ts).
    const statement = sql`
      SELECT k.id, k.collection_id, ${counted}, x.* FROM (
        SELECT id, collection_id FROM records
        WHERE id = ANY(${recordIds}::uuid[]) AND workspace_id = ${workspaceId} AND deleted_at IS NULL
        UNION ALL
        SELECT id, collection_id FROM external_records WHERE id = ANY(${recordIds}::uuid[]) AND workspace_id = ${workspaceId}
      ) k
      LEFT JOIN LATERAL (
        SELECT l.id, l.rel_type, l.source_collection, l.source_id, l.target_collection, l.target_id, l.data,
               ${epochMs("l.created_at")}, ${epochMs("l.updated_at")}, l.source_id = k.id,
               o.id AS record_id, o.collection_id, o.external_id, o.external_source, o.version, o.archived,
               o.cancelled, ${epochMs("o.created_at")}, ${epochMs("o.updated_at")}, o.data AS record_data
        FROM relationships l ${otherEnd(sql`k.id`)}
        WHERE ${traversalWhere(workspaceId, sql`k.id`, q)}
        ORDER BY l.created_at, l.id
        LIMIT ${q.limit + 1} OFFSET ${q.offset}
      ) x ON true`;
    const rows = await this.db.queryArrays(statement.text, statement.values);
    const pages = new Map<string, EdgePage<StoredEdge>>();
    for (const row of rows) {
      const origin = row[0] as string;
      let page = pages.get(origin);
      if (!page) {
        page = { collectionId: row[1] as string, edges: [], hasMore: false, total: row[2] as number | null };
        pages.set(origin, page);
      }
      if (row[3] === null) continue; // The LEFT JOIN's row for a record without matching links.
      if (page.edges.length === q.limit) {
        page.hasMore = true;
        continue;
      }
      page.edges.push(edgeFromRow(workspaceId, row));
    }
    return pages;
  }
}

/** Reads one row of `traverse`'s statement, column by column in its SELECT order. */
function edgeFromRow(workspaceId: string, row: unknown[]): StoredEdge {
  const relationship: RelationshipRow = {
    id: row[3] as string,
    workspaceId,
    relType: row[4] as string,
    sourceCollection: row[5] as string,
    sourceId: row[6] as string,
    targetCollection: row[7] as string,
    targetId: row[8] as string,
    data: row[9] as Prisma.JsonValue,
    createdAt: instant(row[10]),
    updatedAt: instant(row[11]),
  };
  const direction = row[12] ? "outgoing" : "incoming";
  // No row of `records` at the other end: a record of an external source (otherEnd let it through).
  if (row[13] === null) return { relationship, direction, record: null };
  const record: RecordRow = {
    id: row[13] as string,
    workspaceId,
    collectionId: row[14] as string,
    externalId: row[15] as string | null,
    externalSource: row[16] as string | null,
    version: row[17] as number,
    archived: row[18] as boolean,
    cancelled: row[19] as boolean,
    createdAt: instant(row[20]),
    updatedAt: instant(row[21]),
    deletedAt: null,
    data: row[22] as Prisma.JsonValue,
  };
  return { relationship, direction, record };
}

/**
 * Joins the record at the other end of link `l` from `origin`, keeping only links whose other end is a live record
 * here or an external record seen here: links to deleted records never show. `o` is null for an external end.
 */
function otherEnd(origin: Prisma.Sql): Prisma.Sql {
  const other = sql`CASE WHEN l.source_id = ${origin} THEN l.target_id ELSE l.source_id END`;
  return sql`LEFT JOIN records o ON o.id = ${other} AND o.workspace_id = l.workspace_id
    CROSS JOIN LATERAL (SELECT CASE WHEN o.id IS NOT NULL THEN o.deleted_at IS NULL
      ELSE EXISTS (SELECT 1 FROM external_records e WHERE e.id = ${other} AND e.workspace_id = l.workspace_id)
    END AS live) live_end`;
}

/** The ends among `source` and `target` that are external records seen in the workspace. */
function externalEnds(workspaceId: string, source: RecordEnd, target: RecordEnd): Prisma.Sql {
  return sql`SELECT id, collection_id FROM external_records
    WHERE workspace_id = ${workspaceId} AND id IN (${source.id}::uuid, ${target.id}::uuid)`;
}

function traversalWhere(workspaceId: string, origin: Prisma.Sql, q: TraversalQuery): Prisma.Sql {
  const direction = {
    outgoing: sql`l.source_id = ${origin}`,
    incoming: sql`l.target_id = ${origin}`,
    both: sql`(l.source_id = ${origin} OR l.target_id = ${origin})`,
  }[q.direction];
  const type = q.relType === undefined ? empty : sql` AND l.rel_type = ${q.relType}`;
  const after = q.after
    ? sql` AND (l.created_at, l.id) > (${q.after.createdAt}::timestamptz, ${q.after.id}::uuid)`
    : empty;
  return sql`l.workspace_id = ${workspaceId} AND ${direction}${type}${after} AND live_end.live`;
}
