import type { ChangeContext } from "../changes/context.ts";
import type { AggregateQuery, RecordQuery } from "../query/model.ts";
import type { IndexSpec } from "../query/parse.ts";
import { mayBeExternalId } from "./external/record-id.ts";
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
} from "./record-source.ts";

/**
 * Sends each operation to where its record lives, so resolvers see one RecordSource. Operations by id ask native
 * storage first (one indexed statement) and the collection's external sources only for what it does not hold;
 * writes, pages and lists that name a source (`source`, decided by the resolver from the collection's config) go
 * to the external side; aggregates and indexes are native only.
 */
export class RoutingRecordSource implements RecordSource {
  constructor(
    private readonly native: RecordSource,
    private readonly external: RecordSource,
  ) {}

  async get(ref: CollectionRef, id: string): Promise<RecordRow | null> {
    // A name-based id is most likely a source's record: asking the sources first spares a read by id its native
    // miss (and a source that does not know the id costs no statement when the collection has no sources).
    if (mayBeExternalId(id)) return (await this.external.get(ref, id)) ?? this.native.get(ref, id);
    return (await this.native.get(ref, id)) ?? this.external.get(ref, id);
  }

  async getMany(ref: CollectionRef, ids: string[]): Promise<RecordRow[]> {
    const stored = await this.native.getMany(ref, ids);
    if (stored.length === ids.length) return stored;
    const found = new Set(stored.map((r) => r.id));
    const missing = ids.filter((id) => !found.has(id));
    return [...stored, ...(await this.external.getMany(ref, missing))];
  }

  query(ref: CollectionRef, query: RecordQuery): Promise<QueryResult> {
    return query.source === undefined ? this.native.query(ref, query) : this.external.query(ref, query);
  }

  aggregate(ref: CollectionRef, query: AggregateQuery): Promise<AggregateRow[]> {
    return this.native.aggregate(ref, query);
  }

  upsert(ref: CollectionRef, command: UpsertCommand, change: ChangeContext): Promise<UpsertOutcome> {
    return command.source === undefined
      ? this.native.upsert(ref, command, change)
      : this.external.upsert(ref, command, change);
  }

  async replaceData(
    ref: CollectionRef,
    id: string,
    data: object,
    expectedVersion: number,
    change: ChangeContext,
  ): Promise<UpdateOutcome> {
    const outcome = await this.native.replaceData(ref, id, data, expectedVersion, change);
    return isMissing(outcome) ? this.external.replaceData(ref, id, data, expectedVersion, change) : outcome;
  }

  async setFlag(
    ref: CollectionRef,
    id: string,
    flag: "archived" | "cancelled",
    change: ChangeContext,
  ): Promise<UpdateOutcome> {
    const outcome = await this.native.setFlag(ref, id, flag, change);
    return isMissing(outcome) ? this.external.setFlag(ref, id, flag, change) : outcome;
  }

  async softDelete(ref: CollectionRef, id: string, change: ChangeContext): Promise<DeleteOutcome> {
    const outcome = await this.native.softDelete(ref, id, change);
    return isMissing(outcome) ? this.external.softDelete(ref, id, change) : outcome;
  }

  createIndexes(ref: CollectionRef, specs: IndexSpec[]): Promise<string[]> {
    return this.native.createIndexes(ref, specs);
  }

  dropIndexes(ref: CollectionRef, keep?: string[]): Promise<void> {
    return this.native.dropIndexes(ref, keep);
  }
}

/** "No live record with that id" (and not: deleted, stale, …): the only answer that sends the call on. */
const isMissing = (outcome: { ok: boolean; reason?: string }) => !outcome.ok && outcome.reason === "missing";
