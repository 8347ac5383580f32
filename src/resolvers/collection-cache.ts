import type { Collection } from "../generated/prisma/client.ts";
import { setRecent } from "../recent-map.ts";

/**
 * How long an entry may live while every change reaches this instance (its own writes, and other instances' through
 * the database's notifications): only a safety net against a change whose notification was lost.
 */
const COHERENT_MAX_AGE_MS = 10 * 60_000;

/** Sends an invalidation to the other instances; resolves once it is on its way. */
export type Publish = (key: string) => Promise<void>;

/**
 * Collection definitions kept in memory so a record read or write does not pay a statement to load its schema.
 *
 * While the cache is *coherent* — every change reaches it: always on PGlite (one process owns the data folder), and
 * on PostgreSQL while this instance listens for the invalidations others publish — entries stay until a change
 * invalidates them. Otherwise (the listening connection is down) they expire after `ttlMs`, so another instance's
 * change is seen within that time. Misses are never cached, so a collection created elsewhere is found at once.
 */
export class CollectionCache {
  private readonly entries = new Map<string, { collection: Collection; storedAt: number }>();
  /** Bumped by every invalidation: a read that started before one must not store what it read. */
  private generation = 0;
  private coherent: boolean;

  constructor(
    private readonly ttlMs: number,
    options: { coherent?: boolean; publish?: Publish; maxEntries?: number } = {},
  ) {
    this.coherent = options.coherent ?? false;
    this.publish = options.publish;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  private readonly publish: Publish | undefined;
  private readonly maxEntries: number;

  get(workspaceId: string, id: string): Collection | undefined {
    const key = `${workspaceId}/${id}`;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const maxAge = this.coherent ? COHERENT_MAX_AGE_MS : this.ttlMs;
    if (Date.now() - hit.storedAt >= maxAge) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.collection;
  }

  /** The cached definition, else `load`'s (cached when found). */
  async read(workspaceId: string, id: string, load: () => Promise<Collection | null>): Promise<Collection | null> {
    const found = await this.readMany([{ workspaceId, id }], async () => {
      const loaded = await load();
      return loaded ? [loaded] : [];
    });
    return found.get(`${workspaceId}/${id}`) ?? null;
  }

  /**
   * The definitions of `keys` by `workspace/id`: cached ones, and the rest from one call to `load` (cached when
   * found). Absent keys are collections that do not exist.
   */
  async readMany(
    keys: ReadonlyArray<{ workspaceId: string; id: string }>,
    load: (missing: Array<{ workspaceId: string; id: string }>) => Promise<Collection[]>,
  ): Promise<Map<string, Collection>> {
    const found = new Map<string, Collection>();
    const missing = keys.filter((k) => {
      const cached = this.get(k.workspaceId, k.id);
      if (cached) found.set(`${k.workspaceId}/${k.id}`, cached);
      return !cached;
    });
    if (missing.length === 0) return found;
    const snapshot = this.snapshot();
    for (const loaded of await load(missing)) {
      this.set(loaded, snapshot);
      found.set(`${loaded.workspaceId}/${loaded.id}`, loaded);
    }
    return found;
  }

  /** Take before reading a collection from the database; `set` ignores the read if anything changed since. */
  snapshot(): number {
    return this.generation;
  }

  set(collection: Collection, snapshot: number): void {
    if (this.ttlMs <= 0 || snapshot !== this.generation) return;
    setRecent(
      this.entries,
      `${collection.workspaceId}/${collection.id}`,
      { collection, storedAt: Date.now() },
      this.maxEntries,
    );
  }

  /**
   * After a change is committed: drops the entry (or the whole workspace's) here, then tells the other instances.
   * A failed publish only costs them freshness within their fallback TTL, so it is not the writer's error.
   */
  async invalidate(workspaceId: string, id?: string): Promise<void> {
    const key = id === undefined ? `${workspaceId}/*` : `${workspaceId}/${id}`;
    this.receive(key);
    await this.publish?.(key).catch(() => {});
  }

  /** Applies an invalidation: `ws/id`, or `ws/*` for every collection of a workspace. */
  receive(key: string): void {
    this.generation++;
    if (!key.endsWith("/*")) {
      this.entries.delete(key);
      return;
    }
    const prefix = key.slice(0, -1);
    for (const entry of this.entries.keys()) if (entry.startsWith(prefix)) this.entries.delete(entry);
  }

  /**
   * Whether every change reaches this cache. Either way the entries are dropped: changes may have been missed
   * while nothing was listening, and entries read then would otherwise live on as if they were current.
   */
  setCoherent(coherent: boolean): void {
    this.entries.clear();
    this.generation++;
    this.coherent = coherent;
  }
}
