import { v7 as uuidv7 } from "uuid";
import type { ChangeContext } from "../changes/context.ts";
import type { SqlSession } from "../db/sql-session.ts";
import { validationError } from "../errors/app-error.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { AggregateQuery, PathSegment, RecordQuery } from "../query/model.ts";
import { searchOf } from "../query/model.ts";
import type { IndexSpec } from "../query/parse.ts";
import { withChange } from "./change-capture.ts";
import { RecordWithDataText } from "./data-text.ts";
import { epochMs, instant, optionalInstant } from "./instants.ts";
import { NativeIndexes } from "./native-indexes.ts";
import {
  afterCursor,
  compileAggregate,
  keyColumns,
  orderBy,
  projection,
  searchScore,
  whereClause,
} from "./native-query.ts";
import type {
  AggregateRow,
  CollectionRef,
  DeleteOutcome,
  QueryResult,
  RecordRow,
  RecordSource,
  UpdateOutcome,
  UpsertCommand,
  UpsertOutcome,
  WriteRefusal,
} from "./record-source.ts";

// Column names as stored and the Prisma model's field names, so GraphQL's Prisma types apply to our rows.
const RECORD_FIELDS = {
  id: "id",
  workspace_id: "workspaceId",
  collection_id: "collectionId",
  external_id: "externalId",
  external_source: "externalSource",
  version: "version",
  archived: "archived",
  cancelled: "cancelled",
  created_at: "createdAt",
  updated_at: "updatedAt",
  deleted_at: "deletedAt",
} as const;

const INSTANTS = new Set(["created_at", "updated_at", "deleted_at"]);
/** What a query page does not need to read back: its own collection, and deleted_at (null for live records). */
const IMPLIED_IN_PAGES = new Set(["workspace_id", "collection_id", "deleted_at"]);

/**
 * A record's columns from table alias `alias`, named by the Prisma model's fields (instants as epoch ms). `page`
 * leaves out what a page of one collection's live records implies: fewer columns for the driver to read per row.
 */
function recordColumns(alias: string, options: { data: "json" | "text" | "none"; page: boolean }): Prisma.Sql {
  const columns = Object.entries(RECORD_FIELDS)
    .filter(([column]) => !(options.page && IMPLIED_IN_PAGES.has(column)))
    .map(([column, field]) =>
      INSTANTS.has(column) ? `${epochMs(`${alias}.${column}`).text} AS "${field}"` : `${alias}.${column} AS "${field}"`,
    );
  if (options.data === "json") columns.push(`${alias}.data AS "data"`);
  if (options.data === "text") columns.push(`${alias}.data::text AS "data"`);
  return Prisma.raw(columns.join(", "));
}

/**
 * A new object of one fixed shape, whatever other columns (sort keys, projections) the row carries; `ref` fills in
 * the columns a page leaves out.
 */
function recordFromColumns(row: Record<string, unknown>, ref?: CollectionRef): RecordRow {
  return {
    id: row.id as string,
    workspaceId: ref ? ref.workspaceId : (row.workspaceId as string),
    collectionId: ref ? ref.collectionId : (row.collectionId as string),
    externalId: row.externalId as string | null,
    externalSource: row.externalSource as string | null,
    version: row.version as number,
    archived: row.archived as boolean,
    cancelled: row.cancelled as boolean,
    createdAt: instant(row.createdAt),
    updatedAt: instant(row.updatedAt),
    deletedAt: ref ? null : optionalInstant(row.deletedAt),
    data: row.data as Prisma.JsonValue,
  };
}

const PAGE_SYSTEM_COLUMNS = recordColumns("r", { data: "none", page: true });
/** Pages read `data` as text: see RecordWithDataText. */
const PAGE_COLUMNS = recordColumns("r", { data: "text", page: true });
const COLUMNS = recordColumns("r", { data: "json", page: false });

/** A page's row (PAGE_COLUMNS) as a record; `data` stays text until something reads it. */
function pageRecord(row: Record<string, unknown>, ref: CollectionRef): RecordRow {
  return new RecordWithDataText(
    row.id as string,
    ref.workspaceId,
    ref.collectionId,
    row.externalId as string | null,
    row.externalSource as string | null,
    row.version as number,
    row.archived as boolean,
    row.cancelled as boolean,
    instant(row.createdAt),
    instant(row.updatedAt),
    null,
    row.data as string,
  );
}

/** The page statement of a query (exported for tests that EXPLAIN it) and the WHERE clause its total shares. */
export function compileRecordQuery(ref: CollectionRef, q: RecordQuery) {
  const where = whereClause(Prisma.sql`${inCollection(ref)} AND r.deleted_at IS NULL`, q.filter);
  const project = projection(q.fields);
  const keyset = q.after ? Prisma.sql` AND ${afterCursor(q.sort, q.after as Array<string | null>)}` : Prisma.empty;
  const select = project ? Prisma.sql`${PAGE_SYSTEM_COLUMNS}${project.select}` : PAGE_COLUMNS;
  const search = searchOf(q.filter);
  const score = search ? Prisma.sql`, ${searchScore(search)} AS "_search_score"` : Prisma.empty;
  // Without an explicit sort, a search ranks by score (best first), then newest first.
  const order = search && q.sort.length === 0 ? Prisma.sql`"_search_score" DESC, ${orderBy([])}` : orderBy(q.sort);
  const page = Prisma.sql`
    SELECT ${select}${score}, ${keyColumns(q.sort)} FROM records r WHERE ${where}${keyset}
    ORDER BY ${order} LIMIT ${q.limit} OFFSET ${q.offset}`;
  return { page, where, project };
}

const json = (data: object) => Prisma.sql`${JSON.stringify(data)}::jsonb`;
const inCollection = (ref: CollectionRef) =>
  Prisma.sql`r.workspace_id = ${ref.workspaceId} AND r.collection_id = ${ref.collectionId}`;

/**
 * Records stored in Recordgate's own database. Every write is one conditional statement, so idempotency and
 * version checks hold under concurrency. Statements are composed with Prisma's `sql` tag (values always bind
 * parameters) and sent straight to the driver: the records benchmark measured Prisma's raw-query path at about half
 * the throughput of the driver for single-record reads.
 */
export class NativeRecordSource implements RecordSource {
  private readonly indexes: NativeIndexes;

  constructor(
    private readonly db: SqlSession,
    options: { concurrentIndexBuilds: boolean },
  ) {
    this.indexes = new NativeIndexes(db, options.concurrentIndexBuilds);
  }

  createIndexes(ref: CollectionRef, specs: IndexSpec[]): Promise<string[]> {
    return this.indexes.create(ref, specs);
  }

  dropIndexes(ref: CollectionRef, keep: string[] = []): Promise<void> {
    return this.indexes.dropExcept(ref, keep);
  }

  private rows<Row>(statement: Prisma.Sql): Promise<Row[]> {
    return this.db.query<Row>(statement.text, statement.values);
  }

  /** Runs a statement that returns `COLUMNS` rows. */
  private async records(statement: Prisma.Sql): Promise<RecordRow[]> {
    return (await this.rows<Record<string, unknown>>(statement)).map((row) => recordFromColumns(row));
  }

  async get(ref: CollectionRef, id: string): Promise<RecordRow | null> {
    const [row] = await this.records(Prisma.sql`
      SELECT ${COLUMNS} FROM records r WHERE r.id = ${id}::uuid AND ${inCollection(ref)} AND r.deleted_at IS NULL`);
    return row ?? null;
  }

  getMany(ref: CollectionRef, ids: string[]): Promise<RecordRow[]> {
    return this.records(Prisma.sql`
      SELECT ${COLUMNS} FROM records r WHERE r.id = ANY(${ids}::uuid[]) AND ${inCollection(ref)} AND r.deleted_at IS NULL`);
  }

  /** One statement for the page, plus one for the total unless the caller asked for none. */
  async query(ref: CollectionRef, q: RecordQuery): Promise<QueryResult> {
    const { page, where, project } = compileRecordQuery(ref, q);
    // Page and total run concurrently on PostgreSQL's pool (PGlite serialises them on its one connection).
    const [rows, total] = await Promise.all([
      this.rows<RecordRow & Record<string, unknown>>(page),
      this.total(where, q.total),
    ]).catch((error: unknown) => {
      // 42883: undefined function/operator — the database has no pg_trgm (see the *_search migration).
      if (searchOf(q.filter) && (error as { code?: string }).code === "42883") {
        throw validationError("search is unavailable: this database lacks the pg_trgm extension", [
          { path: "filter", message: "remove the search condition or install pg_trgm" },
        ]);
      }
      throw error;
    });
    const last = rows.at(-1);
    const lastKeys = last ? keyColumnNames(last).map((k) => (last[k] as string | null) ?? null) : undefined;
    // A new object of one fixed shape per row: deleting the extra columns instead would put every row in V8's slow
    // dictionary mode, and the serialisers read each of them again.
    const items = rows.map((row): RecordRow => {
      const record: RecordRow & { _search_score?: number } = project
        ? recordFromColumns(row, ref)
        : pageRecord(row, ref);
      if (project) record.data = projectedData(row, project.paths);
      if (row._search_score !== undefined) record._search_score = row._search_score as number;
      return record;
    });
    return { items, lastKeys, total };
  }

  private async total(where: Prisma.Sql, mode: RecordQuery["total"]): Promise<number | null> {
    if (mode === "none") return null;
    if (mode === "estimate") {
      // The planner's row estimate: constant time however many records match, at the price of accuracy.
      const [plan] = await this.rows<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(
        Prisma.sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM records r WHERE ${where}`,
      );
      return Math.round(plan?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0);
    }
    const [count] = await this.rows<{ total: number }>(
      Prisma.sql`SELECT count(*)::int AS total FROM records r WHERE ${where}`,
    );
    return count?.total ?? 0;
  }

  async aggregate(ref: CollectionRef, q: AggregateQuery): Promise<AggregateRow[]> {
    return this.rows<AggregateRow>(compileAggregate(Prisma.sql`${inCollection(ref)} AND r.deleted_at IS NULL`, q));
  }

  async upsert(ref: CollectionRef, command: UpsertCommand, change: ChangeContext): Promise<UpsertOutcome> {
    if (command.expectedVersion !== undefined) return this.updateExisting(ref, command, change);
    if (command.id !== undefined) return this.upsertById(ref, command, command.id, change);
    if (command.externalId !== undefined) return this.upsertByExternalId(ref, command, command.externalId, change);
    const [record] = await this.records(Prisma.sql`
      INSERT INTO records AS r (id, workspace_id, collection_id, data)
      SELECT ${uuidv7()}::uuid, ${ref.workspaceId}, ${ref.collectionId}, ${json(command.data)}
      WHERE ${withChange(change)}
      RETURNING ${COLUMNS}`);
    if (!record) throw new Error("INSERT … RETURNING returned no row");
    return { ok: true, record, created: true };
  }

  /** The id decides; a new record takes that id. An existing one must be live, here, and not bound elsewhere. */
  private async upsertById(
    ref: CollectionRef,
    command: UpsertCommand,
    id: string,
    change: ChangeContext,
  ): Promise<UpsertOutcome> {
    const [record] = await this.records(Prisma.sql`
      INSERT INTO records AS r (id, workspace_id, collection_id, external_id, external_source, data)
      SELECT ${id}::uuid, ${ref.workspaceId}, ${ref.collectionId}, ${command.externalId ?? null}::text,
             ${command.externalSource ?? null}::text, ${json(command.data)}
      WHERE ${withChange(change)}
      ON CONFLICT (id) DO UPDATE SET
        data = EXCLUDED.data,
        external_id = COALESCE(EXCLUDED.external_id, r.external_id),
        external_source = CASE WHEN EXCLUDED.external_id IS NULL THEN r.external_source ELSE EXCLUDED.external_source END,
        version = r.version + 1,
        updated_at = now()
      WHERE r.workspace_id = EXCLUDED.workspace_id AND r.collection_id = EXCLUDED.collection_id
        AND r.deleted_at IS NULL AND NOT r.cancelled
        AND (EXCLUDED.external_id IS NULL OR r.external_id IS NULL
             OR (r.external_id = EXCLUDED.external_id AND r.external_source IS NOT DISTINCT FROM EXCLUDED.external_source))
      RETURNING ${COLUMNS}`);
    if (record) return { ok: true, record, created: record.version === 1 };
    return { ok: false, reason: await this.whyRefused(ref, id, command, true) };
  }

  /**
   * Idempotent under concurrency: the partial unique index on the live external identity is the arbiter, so
   * racing writers converge on one row instead of each inserting.
   */
  private async upsertByExternalId(
    ref: CollectionRef,
    command: UpsertCommand,
    externalId: string,
    change: ChangeContext,
  ): Promise<UpsertOutcome> {
    const [record] = await this.records(Prisma.sql`
      INSERT INTO records AS r (id, workspace_id, collection_id, external_id, external_source, data)
      SELECT ${uuidv7()}::uuid, ${ref.workspaceId}, ${ref.collectionId}, ${externalId}::text,
             ${command.externalSource ?? null}::text, ${json(command.data)}
      WHERE ${withChange(change)}
      ON CONFLICT (workspace_id, collection_id, (COALESCE(external_source, '')), external_id)
        WHERE deleted_at IS NULL AND NOT archived
      DO UPDATE SET data = EXCLUDED.data, version = r.version + 1, updated_at = now()
      WHERE NOT r.cancelled
      RETURNING ${COLUMNS}`);
    if (record) return { ok: true, record, created: record.version === 1 };
    return { ok: false, reason: "cancelled" };
  }

  /** A write naming the version it expects never creates: it updates that version or is refused. */
  private async updateExisting(
    ref: CollectionRef,
    command: UpsertCommand,
    change: ChangeContext,
  ): Promise<UpsertOutcome> {
    const externalId = command.externalId ?? null;
    const externalSource = command.externalSource ?? null;
    const target = command.id
      ? Prisma.sql`r.id = ${command.id}::uuid`
      : Prisma.sql`r.external_id = ${externalId}
          AND COALESCE(r.external_source, '') = ${externalSource ?? ""} AND NOT r.archived`;
    if (!command.id && externalId === null) return { ok: false, reason: "missing" };
    const [record] = await this.records(Prisma.sql`
      UPDATE records AS r SET data = ${json(command.data)}, version = r.version + 1, updated_at = now()
      WHERE ${target} AND ${inCollection(ref)}
        AND r.deleted_at IS NULL AND NOT r.cancelled AND r.version = ${command.expectedVersion}
        AND (${externalId}::text IS NULL OR r.external_id IS NULL
             OR (r.external_id = ${externalId} AND r.external_source IS NOT DISTINCT FROM ${externalSource}::text))
        AND ${withChange(change)}
      RETURNING ${COLUMNS}`);
    if (record) return { ok: true, record, created: false };
    if (command.id) return { ok: false, reason: await this.whyRefused(ref, command.id, command) };
    const [current] = await this.rows<{ cancelled: boolean }>(Prisma.sql`
      SELECT r.cancelled FROM records r
      WHERE ${target} AND ${inCollection(ref)} AND r.deleted_at IS NULL`);
    if (!current) return { ok: false, reason: "missing" };
    return { ok: false, reason: current.cancelled ? "cancelled" : "stale" };
  }

  async replaceData(
    ref: CollectionRef,
    id: string,
    data: object,
    expectedVersion: number,
    change: ChangeContext,
  ): Promise<UpdateOutcome> {
    const [record] = await this.records(Prisma.sql`
      UPDATE records AS r SET data = ${json(data)}, version = r.version + 1, updated_at = now()
      WHERE r.id = ${id}::uuid AND ${inCollection(ref)}
        AND r.deleted_at IS NULL AND NOT r.cancelled AND r.version = ${expectedVersion} AND ${withChange(change)}
      RETURNING ${COLUMNS}`);
    if (record) return { ok: true, record };
    return { ok: false, reason: await this.whyRefused(ref, id, { expectedVersion }) };
  }

  async setFlag(
    ref: CollectionRef,
    id: string,
    flag: "archived" | "cancelled",
    change: ChangeContext,
  ): Promise<UpdateOutcome> {
    const column = flag === "archived" ? Prisma.sql`archived` : Prisma.sql`cancelled`;
    const [record] = await this.records(Prisma.sql`
      UPDATE records AS r SET ${column} = true, version = r.version + 1, updated_at = now()
      WHERE r.id = ${id}::uuid AND ${inCollection(ref)} AND r.deleted_at IS NULL AND NOT r.cancelled
        AND ${withChange(change)}
      RETURNING ${COLUMNS}`);
    if (record) return { ok: true, record };
    return { ok: false, reason: await this.whyRefused(ref, id, {}) };
  }

  /**
   * Marks the record deleted and removes its relationships, in one transaction. A link being created concurrently
   * holds a share lock on this row (see NativeRelationshipStore.upsert): either it commits first and the DELETE
   * below (a new snapshot) removes it, or it waits, re-checks the row and finds it deleted.
   */
  async softDelete(ref: CollectionRef, id: string, change: ChangeContext): Promise<DeleteOutcome> {
    const deleted = await this.db.transaction(async (tx) => {
      const update = Prisma.sql`
        UPDATE records AS r SET deleted_at = now(), updated_at = now(), version = r.version + 1
        WHERE r.id = ${id}::uuid AND ${inCollection(ref)} AND r.deleted_at IS NULL AND NOT r.archived
          AND ${withChange(change)}
        RETURNING r.id`;
      const [row] = await tx.query(update.text, update.values);
      // The context the UPDATE set lasts to the end of this transaction: the links' changes carry it too.
      if (row) await tx.query("DELETE FROM relationships WHERE source_id = $1::uuid OR target_id = $1::uuid", [id]);
      return row !== undefined;
    });
    if (deleted) return { ok: true };
    const [current] = await this.rows<{ archived: boolean }>(Prisma.sql`
      SELECT r.archived FROM records r WHERE r.id = ${id}::uuid AND ${inCollection(ref)} AND r.deleted_at IS NULL`);
    return { ok: false, reason: current?.archived ? "archived" : "missing" };
  }

  /** Runs only after a conditional write matched nothing, to tell the client why. */
  private async whyRefused(
    ref: CollectionRef,
    id: string,
    command: Partial<Pick<UpsertCommand, "externalId" | "externalSource" | "expectedVersion">>,
    creating = false,
  ): Promise<WriteRefusal> {
    const [current] = await this.records(Prisma.sql`SELECT ${COLUMNS} FROM records r WHERE r.id = ${id}::uuid`);
    if (!current) return "missing";
    if (current.workspaceId !== ref.workspaceId || current.collectionId !== ref.collectionId) {
      // Record ids are one space across the server. Where a write could have created the record, the id is merely
      // taken; where it could only change one, the record is not here, exactly as if it existed nowhere (the caller
      // may not be allowed to read where it lives: docs/security.md, "No existence oracle").
      return creating ? "other_collection" : "missing";
    }
    if (current.deletedAt) return "deleted";
    if (current.cancelled) return "cancelled";
    if (command.expectedVersion !== undefined && current.version !== command.expectedVersion) return "stale";
    if (
      command.externalId !== undefined &&
      current.externalId !== null &&
      (current.externalId !== command.externalId || current.externalSource !== (command.externalSource ?? null))
    ) {
      return "identity_mismatch";
    }
    // Nothing explains the miss but a concurrent change between the write and this read: report a conflict.
    return "stale";
  }
}

const keyColumnNames = (row: object) => Object.keys(row).filter((k) => /^k\d+$/.test(k));

/** The `data` of a projected row: each selected path (column p0, p1, …) back at its place. */
function projectedData(row: Record<string, unknown>, paths: PathSegment[][]): Prisma.JsonObject {
  const data: Record<string, unknown> = {};
  paths.forEach((path, i) => {
    setPath(data, path, row[`p${i}`]);
  });
  return data as Prisma.JsonObject;
}

/** Rebuilds the nested shape of a projected path inside `target`; missing values stay absent. */
function setPath(target: Record<string, unknown>, path: PathSegment[], value: unknown): void {
  if (value === null || value === undefined) return;
  let node: Record<string | number, unknown> = target;
  path.forEach((key, i) => {
    const next = path[i + 1];
    if (next === undefined) {
      node[key] = value;
      return;
    }
    node[key] ??= typeof next === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}
