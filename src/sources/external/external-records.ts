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

/**
 * Records that live in a collection's external sources. Each is presented as a record like any other: its id is
 * deterministic (collection, source, external id), and the ids seen are remembered (external_records) so a read by
 * id finds its source. Nothing of the record's data is stored here.
 */
export class ExternalRecords {
  private readonly compiled = new Map<string, Compiled>();

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
    this.compiled.set(key, { version: collection.version, sources });
    return sources;
  }

  private secretOf(config: SourceConfig): () => Promise<string | undefined> {
    const reference = config.auth?.secret;
    if (!reference?.startsWith(VAULT_PREFIX)) return async () => undefined;
    const name = reference.slice(VAULT_PREFIX.length);
    return () => this.vault.reveal(name);
  }

  /** The source a record id was seen in, if any (one indexed lookup). */
  async locate(collection: Collection, id: string): Promise<{ source: string; externalId: string } | undefined> {
    const [row] = await this.db.query<{ source: string; external_id: string }>(
      `SELECT source, external_id FROM external_records
       WHERE id = $1::uuid AND workspace_id = $2 AND collection_id = $3`,
      [id, collection.workspaceId, collection.id],
    );
    return row ? { source: row.source, externalId: row.external_id } : undefined;
  }

  async get(collection: Collection, source: string, externalId: string): Promise<RecordRow | null> {
    const found = await this.require(collection, source).upstream.get(externalId);
    if (!found) return null;
    const [record] = await this.present(collection, source, [found]);
    return record ?? null;
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

  /** false when the upstream has no such record. */
  delete(collection: Collection, source: string, externalId: string): Promise<boolean> {
    return this.require(collection, source).upstream.delete(externalId);
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
    if (records.length > 0) {
      await this.db.query(
        `INSERT INTO external_records (id, workspace_id, collection_id, source, external_id)
         SELECT id, $2, $3, $4, external_id FROM unnest($1::uuid[], $5::text[]) AS t(id, external_id)
         ON CONFLICT (id) DO NOTHING`,
        [records.map((r) => r.id), collection.workspaceId, collection.id, source, records.map((r) => r.externalId)],
      );
    }
    return records;
  }
}
