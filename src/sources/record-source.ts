import type { ChangeContext } from "../changes/context.ts";
import type { Record as RecordRow } from "../generated/prisma/client.ts";
import type { AggregateQuery, RecordQuery } from "../query/model.ts";
import type { IndexSpec } from "../query/parse.ts";

export type { RecordRow };

/** Present only on rows returned by a query with a `search` condition (0-1 relevance). */
export const searchScoreOf = (r: RecordRow) => (r as RecordRow & { _search_score?: number })._search_score;

/** Addresses one collection of one workspace. */
export interface CollectionRef {
  workspaceId: string;
  collectionId: string;
}

export interface UpsertCommand {
  /** Already validated: a lower-case UUID when given. */
  id?: string;
  externalId?: string;
  externalSource?: string;
  /** Set when `externalSource` is one of the collection's sources: the record is written there, not stored. */
  source?: string;
  data: object;
  /** Optimistic concurrency: only update when the stored version equals this. */
  expectedVersion?: number;
}

/**
 * Why a conditional write did not happen, so the resolver can explain it. `missing` = no live record with that id
 * in this collection (one in another collection counts as missing); `other_collection` = a write that would have
 * created the record found its id taken by a record elsewhere.
 */
export type WriteRefusal = "missing" | "deleted" | "other_collection" | "identity_mismatch" | "stale" | "cancelled";

export interface QueryResult {
  items: RecordRow[];
  /** Sort-key values of the last item, as text, for the next page's cursor; undefined when the page is empty. */
  lastKeys: Array<string | null> | undefined;
  /** null when the query asked for no total. */
  total: number | null;
}

/** Group values under g0…, aggregate values under a0…, in request order. */
export type AggregateRow = Record<string, unknown>;

export type UpsertOutcome = { ok: true; record: RecordRow; created: boolean } | { ok: false; reason: WriteRefusal };
export type UpdateOutcome = { ok: true; record: RecordRow } | { ok: false; reason: WriteRefusal };
export type DeleteOutcome = { ok: true } | { ok: false; reason: WriteRefusal | "archived" };

/**
 * Where records live. Resolvers decide permissions, validation and errors, then call a source, so native storage
 * (NativeRecordSource) and external REST APIs (ExternalRecordSource) answer the same operations;
 * RoutingRecordSource sends each call to the one that holds the record.
 */
export interface RecordSource {
  get(ref: CollectionRef, id: string): Promise<RecordRow | null>;
  /** The live records among `ids`, in any order (missing ones are simply absent). */
  getMany(ref: CollectionRef, ids: string[]): Promise<RecordRow[]>;
  /** One page of matching records, with the last one's sort-key values (for the next cursor). */
  query(ref: CollectionRef, query: RecordQuery): Promise<QueryResult>;
  /** Aggregations over the matching records: one row per group (one row without group_by). */
  aggregate(ref: CollectionRef, query: AggregateQuery): Promise<AggregateRow[]>;
  // Every write takes who is writing: its change is recorded with it (src/sources/change-capture.ts).
  upsert(ref: CollectionRef, command: UpsertCommand, change: ChangeContext): Promise<UpsertOutcome>;
  /** Replaces `data` when the stored version equals `expectedVersion`. */
  replaceData(
    ref: CollectionRef,
    id: string,
    data: object,
    expectedVersion: number,
    change: ChangeContext,
  ): Promise<UpdateOutcome>;
  setFlag(
    ref: CollectionRef,
    id: string,
    flag: "archived" | "cancelled",
    change: ChangeContext,
  ): Promise<UpdateOutcome>;
  softDelete(ref: CollectionRef, id: string, change: ChangeContext): Promise<DeleteOutcome>;
  /** Builds the declared indexes that do not exist yet; returns the names of all of them. */
  createIndexes(ref: CollectionRef, specs: IndexSpec[]): Promise<string[]>;
  /** Drops the collection's indexes other than `keep`. */
  dropIndexes(ref: CollectionRef, keep?: string[]): Promise<void>;
}
