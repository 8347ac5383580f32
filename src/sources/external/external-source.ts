import type { ChangeContext } from "../../changes/context.ts";
import type { SqlSession } from "../../db/sql-session.ts";
import type { Collection, Prisma } from "../../generated/prisma/client.ts";
import type { OutboundClient } from "../../outbound/http-client.ts";
import type { RecordQuery } from "../../query/model.ts";
import { setRecent } from "../../recent-map.ts";
import type { Vault } from "../../vault/vault.ts";
import { appendExternalChange } from "../change-capture.ts";
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
} from "../record-source.ts";
import { type SourceConfig, VAULT_PREFIX } from "./config.ts";
import { externalRecordId } from "./record-id.ts";
import { SourceFailure, UpstreamError } from "./upstream-error.ts";
import { type ExternalItem, UpstreamSource } from "./upstream-source.ts";

interface Source {
  config: SourceConfig;
  upstream: UpstreamSource;
}

interface Compiled {
  version: number;
  sources: Map<string, Source>;
}

interface Located {
  source: string;
  externalId: string;
}

/** A collection's definition by reference (cached by the caller); null when there is no such collection. */
export type Definitions = (ref: CollectionRef) => Promise<Collection | null>;

/** Collections whose compiled sources are kept; beyond it the least recently compiled is dropped. */
const MAX_COMPILED = 1000;
/**
 * Where ids this instance knows to be in external_records live, so locating them again reads nothing and presenting
 * them again writes nothing. Keyed with the collection's creation time: deleting a collection drops its rows, and a
 * collection created again under its id must write them. An id another instance forgot (a delete there) is still
 * located here; its source then answers 404, which is what the read would have answered anyway.
 */
const MAX_KNOWN = 100_000;
const knownKey = (collection: Collection, id: string) => `${id}@${collection.createdAt.getTime()}`;

const hasSources = (collection: Collection | null): collection is Collection =>
  collection !== null && Array.isArray(collection.sources) && collection.sources.length > 0;

/**
 * Records that live in a collection's external sources (docs/sources.md), behind the same interface as native
 * storage. Each is presented as a record like any other: its id is deterministic (collection, source, external id),
 * and the ids seen are remembered (external_records) so a read by id finds its source. Nothing of the record's data
 * is stored here. What a source cannot do throws an UpstreamError of kind `unsupported`; every failure reaches the
 * caller as a SourceFailure naming the source.
 */
export class ExternalRecordSource implements RecordSource {
  private readonly compiled = new Map<string, Compiled>();
  private readonly known = new Map<string, Located>();

  constructor(
    private readonly db: SqlSession,
    private readonly client: OutboundClient,
    private readonly vault: Vault,
    private readonly definitions: Definitions,
  ) {}

  async get(ref: CollectionRef, id: string): Promise<RecordRow | null> {
    const [record] = await this.getMany(ref, [id]);
    return record ?? null;
  }

  /**
   * One statement finds which of `ids` were seen in which source, then one batched read per source
   * (UpstreamSource.getMany): each distinct record is asked for once.
   */
  async getMany(ref: CollectionRef, ids: string[]): Promise<RecordRow[]> {
    const collection = await this.definitions(ref);
    if (!hasSources(collection)) return [];
    const bySource = new Map<string, string[]>();
    for (const { source, externalId } of (await this.locate(collection, ids)).values()) {
      bySource.set(source, [...(bySource.get(source) ?? []), externalId]);
    }
    const pages = await Promise.all(
      [...bySource].map(([source, externalIds]) =>
        this.call(collection, source, async ({ upstream }) =>
          this.present(collection, source, await upstream.getMany(externalIds)),
        ),
      ),
    );
    return pages.flat();
  }

  /** A page of `q.source`'s records: only limit and offset reach the upstream (the resolver refuses the rest). */
  async query(ref: CollectionRef, q: RecordQuery): Promise<QueryResult> {
    const { collection, source } = await this.sourceOf(ref, q.source);
    return this.call(collection, source, async ({ upstream }) => {
      const { items, total } = await upstream.list({ limit: q.limit, offset: q.offset });
      return { items: await this.present(collection, source, items), lastKeys: undefined, total };
    });
  }

  /** Never routed here: aggregates run over stored records only (the resolver does not name a source). */
  async aggregate(): Promise<AggregateRow[]> {
    throw new Error("external sources do not aggregate");
  }

  /** Creates upstream, or updates the record `externalId` names when the source has an update endpoint. */
  async upsert(ref: CollectionRef, command: UpsertCommand, change: ChangeContext): Promise<UpsertOutcome> {
    const { collection, source } = await this.sourceOf(ref, command.source);
    const outcome = await this.call(collection, source, async ({ config, upstream }) => {
      const data = command.data as Record<string, unknown>;
      const created = command.externalId === undefined || config.update === undefined;
      const written = created ? await upstream.create(data) : await upstream.update(command.externalId as string, data);
      const [record] = await this.present(collection, source, [written]);
      if (!record) throw new Error("an upstream write presented no record");
      return { ok: true as const, record, created };
    });
    await appendExternalChange(this.db, change, outcome.created ? "create" : "update", outcome.record);
    return outcome;
  }

  /** An update upstream; the upstream has no versions, so `expectedVersion` (always 1 here) checks nothing. */
  async replaceData(
    ref: CollectionRef,
    id: string,
    data: object,
    _expectedVersion: number,
    change: ChangeContext,
  ): Promise<UpdateOutcome> {
    const found = await this.locateOne(ref, id);
    if (!found) return { ok: false, reason: "missing" };
    const { collection, located } = found;
    const outcome: UpdateOutcome = await this.call(collection, located.source, async ({ upstream }) => {
      const written = await upstream.update(located.externalId, data as Record<string, unknown>);
      const [record] = await this.present(collection, located.source, [written]);
      return record ? { ok: true, record } : { ok: false, reason: "missing" };
    });
    if (outcome.ok) await appendExternalChange(this.db, change, "update", outcome.record);
    return outcome;
  }

  async setFlag(ref: CollectionRef, id: string, flag: "archived" | "cancelled"): Promise<UpdateOutcome> {
    const found = await this.locateOne(ref, id);
    if (!found) return { ok: false, reason: "missing" };
    const source = found.located.source;
    throw new SourceFailure(
      source,
      new UpstreamError("unsupported", `Records of source '${source}' cannot be ${flag}`),
    );
  }

  /**
   * Deletes upstream. Either way the id is forgotten here: links to it stop showing, and a read by id answers 404
   * until the record is seen again.
   */
  async softDelete(ref: CollectionRef, id: string, change: ChangeContext): Promise<DeleteOutcome> {
    const found = await this.locateOne(ref, id);
    if (!found) return { ok: false, reason: "missing" };
    const { collection, located } = found;
    const deleted = await this.call(collection, located.source, ({ upstream }) => upstream.delete(located.externalId));
    this.known.delete(knownKey(collection, id));
    await this.db.query(`DELETE FROM external_records WHERE id = $1::uuid`, [id]);
    if (!deleted) return { ok: false, reason: "missing" };
    // The upstream forgot the record; its last data is not known here, only who it was.
    const now = new Date();
    const gone = presented(collection, located.source, { externalId: located.externalId, data: {} }, now);
    await appendExternalChange(this.db, change, "delete", { ...gone, deletedAt: now });
    return { ok: true };
  }

  /** Sources have no indexes of Recordgate's. */
  async createIndexes(): Promise<string[]> {
    return [];
  }

  async dropIndexes(): Promise<void> {}

  /** The collection's sources by name, compiled once per collection version. */
  private sources(collection: Collection): Map<string, Source> {
    const key = `${collection.workspaceId}/${collection.id}`;
    const cached = this.compiled.get(key);
    if (cached && cached.version === collection.version) return cached.sources;
    const configs = (collection.sources ?? []) as unknown as SourceConfig[];
    const sources = new Map(
      configs.map((config) => [
        config.name,
        { config, upstream: new UpstreamSource(config, { client: this.client, secret: this.secretOf(config) }) },
      ]),
    );
    setRecent(this.compiled, key, { version: collection.version, sources }, MAX_COMPILED);
    return sources;
  }

  private secretOf(config: SourceConfig): () => Promise<string | undefined> {
    const reference = config.auth?.secret;
    if (!reference?.startsWith(VAULT_PREFIX)) return async () => undefined;
    const name = reference.slice(VAULT_PREFIX.length);
    return () => this.vault.reveal(name);
  }

  /** The collection and the source `name` (the resolver only routes here with one of the collection's sources). */
  private async sourceOf(
    ref: CollectionRef,
    name: string | undefined,
  ): Promise<{ collection: Collection; source: string }> {
    const collection = await this.definitions(ref);
    if (name === undefined || !collection || !this.sources(collection).has(name)) {
      throw new Error(`collection '${ref.collectionId}' has no source '${name}'`);
    }
    return { collection, source: name };
  }

  /** Runs an operation against one source; whatever it throws reaches the caller as that source's failure. */
  private async call<T>(collection: Collection, name: string, run: (source: Source) => Promise<T>): Promise<T> {
    const source = this.sources(collection).get(name);
    if (!source) throw new Error(`collection '${collection.id}' has no source '${name}'`);
    try {
      return await run(source);
    } catch (error) {
      throw new SourceFailure(name, error);
    }
  }

  /** Where each of `ids` was seen in this collection (unseen ids are absent): from memory, else one statement. */
  private async locate(collection: Collection, ids: string[]): Promise<Map<string, Located>> {
    const located = new Map<string, Located>();
    const unknown: string[] = [];
    for (const id of ids) {
      const hit = this.known.get(knownKey(collection, id));
      if (hit) located.set(id, hit);
      else unknown.push(id);
    }
    if (unknown.length === 0) return located;
    const rows = await this.db.query<{ id: string; source: string; external_id: string }>(
      `SELECT id, source, external_id FROM external_records
       WHERE id = ANY($1::uuid[]) AND workspace_id = $2 AND collection_id = $3`,
      [unknown, collection.workspaceId, collection.id],
    );
    for (const row of rows) {
      const where = { source: row.source, externalId: row.external_id };
      setRecent(this.known, knownKey(collection, row.id), where, MAX_KNOWN);
      located.set(row.id, where);
    }
    return located;
  }

  private async locateOne(
    ref: CollectionRef,
    id: string,
  ): Promise<{ collection: Collection; located: Located } | null> {
    const collection = await this.definitions(ref);
    if (!hasSources(collection)) return null;
    const located = (await this.locate(collection, [id])).get(id);
    return located ? { collection, located } : null;
  }

  /** Records as every client sees them; ids not yet recorded are remembered in one statement. */
  private async present(collection: Collection, source: string, found: ExternalItem[]): Promise<RecordRow[]> {
    const now = new Date();
    const records = found.map((item) => presented(collection, source, item, now));
    const unknown = records.filter((r) => !this.known.has(knownKey(collection, r.id)));
    if (unknown.length > 0) {
      await this.db.query(
        `INSERT INTO external_records (id, workspace_id, collection_id, source, external_id)
         SELECT id, $2, $3, $4, external_id FROM unnest($1::uuid[], $5::text[]) AS t(id, external_id)
         ON CONFLICT (id) DO NOTHING`,
        [unknown.map((r) => r.id), collection.workspaceId, collection.id, source, unknown.map((r) => r.externalId)],
      );
      for (const r of unknown) {
        setRecent(this.known, knownKey(collection, r.id), { source, externalId: r.externalId as string }, MAX_KNOWN);
      }
    }
    return records;
  }
}

/** An upstream item as a record: the id is derived from where it lives, so every instance gives it the same one. */
function presented(collection: Collection, source: string, item: ExternalItem, now: Date): RecordRow {
  return {
    id: externalRecordId(collection.workspaceId, collection.id, source, item.externalId),
    workspaceId: collection.workspaceId,
    collectionId: collection.id,
    externalId: item.externalId,
    externalSource: source,
    version: 1,
    archived: false,
    cancelled: false,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    data: item.data as Prisma.JsonObject,
  };
}
