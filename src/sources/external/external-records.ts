import type { SqlSession } from "../../db/sql-session.ts";
import type { Collection, Prisma } from "../../generated/prisma/client.ts";
import type { OutboundClient } from "../../outbound/http-client.ts";
import type { Vault } from "../../vault/vault.ts";
import type { RecordRow } from "../record-source.ts";
import { type SourceConfig, VAULT_PREFIX } from "./config.ts";
import { externalRecordId } from "./record-id.ts";
import { UpstreamSource } from "./upstream-source.ts";

interface Source {
  config: SourceConfig;
  upstream: UpstreamSource;
}

interface Compiled {
  version: number;
  sources: Map<string, Source>;
}

export interface ExternalPage {
  items: RecordRow[];
  total: number | null;
}

export interface Located {
  collectionId: string;
  source: string;
  externalId: string;
}

/** Collections whose compiled sources are kept; beyond it the least recently compiled is dropped. */
const MAX_COMPILED = 1000;
/**
 * Ids this instance knows are in external_records, so reading them again writes nothing. Keyed with the collection's
 * creation time: deleting a collection drops its rows, and a collection created again under its id must write them.
 */
const MAX_KNOWN = 100_000;
const knownKey = (collection: Collection, id: string) => `${id}@${collection.createdAt.getTime()}`;

/** Map insertion order as recency: a hit moves to the end, the oldest is evicted first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/**
 * Records that live in a collection's external sources. Each is presented as a record like any other: its id is
 * deterministic (collection, source, external id), and the ids seen are remembered (external_records) so a read by
 * id finds its source. Nothing of the record's data is stored here.
 */
export class ExternalRecords {
  private readonly compiled = new Map<string, Compiled>();
  private readonly known = new Map<string, true>();

  constructor(
    private readonly db: SqlSession,
    private readonly client: OutboundClient,
    private readonly vault: Vault,
  ) {}

  /** The collection's sources by name, compiled once per collection version. */
  sources(collection: Collection): Map<string, Source> {
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
    remember(this.compiled, key, { version: collection.version, sources }, MAX_COMPILED);
    return sources;
  }

  private secretOf(config: SourceConfig): () => Promise<string | undefined> {
    const reference = config.auth?.secret;
    if (!reference?.startsWith(VAULT_PREFIX)) return async () => undefined;
    const name = reference.slice(VAULT_PREFIX.length);
    return () => this.vault.reveal(name);
  }

  /** The source a record id was seen in, if any (one indexed lookup). */
  async locate(collection: Collection, id: string): Promise<Located | undefined> {
    return (await this.locateMany(collection.workspaceId, [id])).get(id);
  }

  /** Where each of `ids` was seen, in any collection of the workspace (one statement; unseen ids are absent). */
  async locateMany(workspaceId: string, ids: string[]): Promise<Map<string, Located>> {
    const rows = await this.db.query<{ id: string; collection_id: string; source: string; external_id: string }>(
      `SELECT id, collection_id, source, external_id FROM external_records
       WHERE id = ANY($1::uuid[]) AND workspace_id = $2`,
      [ids, workspaceId],
    );
    return new Map(
      rows.map((r) => [r.id, { collectionId: r.collection_id, source: r.source, externalId: r.external_id }]),
    );
  }

  async get(collection: Collection, source: string, externalId: string): Promise<RecordRow | null> {
    const found = await this.require(collection, source).upstream.get(externalId);
    if (!found) return null;
    const [record] = await this.present(collection, source, [found]);
    return record ?? null;
  }

  /** The upstream's records among `externalIds` (batched: see UpstreamSource.getMany); missing ones are absent. */
  async getMany(collection: Collection, source: string, externalIds: string[]): Promise<RecordRow[]> {
    const found = await this.require(collection, source).upstream.getMany(externalIds);
    return this.present(collection, source, found);
  }

  async list(collection: Collection, source: string, page: { limit: number; offset: number }): Promise<ExternalPage> {
    const { items, total } = await this.require(collection, source).upstream.list(page);
    return { items: await this.present(collection, source, items), total };
  }

  /** Creates, or updates the record `externalId` names (the contract's upsert against a source). */
  async upsert(
    collection: Collection,
    source: string,
    command: { externalId?: string; data: Record<string, unknown> },
  ): Promise<{ record: RecordRow; created: boolean }> {
    const { config, upstream } = this.require(collection, source);
    const created = command.externalId === undefined || config.update === undefined;
    const written = created
      ? await upstream.create(command.data)
      : await upstream.update(command.externalId as string, command.data);
    const [record] = await this.present(collection, source, [written]);
    if (!record) throw new Error("an upstream write presented no record");
    return { record, created };
  }

  /**
   * false when the upstream has no such record. Either way the id is forgotten here: links to it stop showing, and
   * a read by id answers 404 until the record is seen again.
   */
  async delete(collection: Collection, source: string, externalId: string): Promise<boolean> {
    const deleted = await this.require(collection, source).upstream.delete(externalId);
    const id = externalRecordId(collection.workspaceId, collection.id, source, externalId);
    this.known.delete(knownKey(collection, id));
    await this.db.query(`DELETE FROM external_records WHERE id = $1::uuid`, [id]);
    return deleted;
  }

  private require(collection: Collection, source: string): Source {
    const found = this.sources(collection).get(source);
    if (!found) throw new Error(`collection '${collection.id}' has no source '${source}'`);
    return found;
  }

  /** Records as every client sees them, and their ids remembered in one statement. */
  private async present(
    collection: Collection,
    source: string,
    found: Array<{ externalId: string; data: Record<string, unknown> }>,
  ): Promise<RecordRow[]> {
    const now = new Date();
    const records = found.map(
      (item): RecordRow => ({
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
      }),
    );
    const unknown = records.filter((r) => !this.known.has(knownKey(collection, r.id)));
    if (unknown.length > 0) {
      await this.db.query(
        `INSERT INTO external_records (id, workspace_id, collection_id, source, external_id)
         SELECT id, $2, $3, $4, external_id FROM unnest($1::uuid[], $5::text[]) AS t(id, external_id)
         ON CONFLICT (id) DO NOTHING`,
        [unknown.map((r) => r.id), collection.workspaceId, collection.id, source, unknown.map((r) => r.externalId)],
      );
      for (const r of unknown) remember(this.known, knownKey(collection, r.id), true, MAX_KNOWN);
    }
    return records;
  }
}
