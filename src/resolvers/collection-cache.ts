import type { Collection } from "../generated/prisma/client.ts";

/**
 * Collection definitions kept in memory so a record read or write does not pay a statement to load its schema.
 * This instance's own changes invalidate at once; changes made through another instance are seen within `ttlMs`.
 * Misses are never cached, so a collection created elsewhere is found on the next request.
 */
export class CollectionCache {
  private readonly entries = new Map<string, { collection: Collection; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  get(workspaceId: string, id: string): Collection | undefined {
    const key = `${workspaceId}/${id}`;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.collection;
  }

  set(collection: Collection): void {
    if (this.ttlMs <= 0) return;
    const key = `${collection.workspaceId}/${collection.id}`;
    this.entries.delete(key);
    this.entries.set(key, { collection, expires: Date.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  invalidate(workspaceId: string, id?: string): void {
    if (id !== undefined) {
      this.entries.delete(`${workspaceId}/${id}`);
      return;
    }
    for (const key of this.entries.keys()) if (key.startsWith(`${workspaceId}/`)) this.entries.delete(key);
  }
}
