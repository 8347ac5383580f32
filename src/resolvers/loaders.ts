import DataLoader from "dataloader";
import type { Collection, PrismaClient, Workspace } from "../generated/prisma/client.ts";
import type { RecordRow, RecordSource } from "../sources/record-source.ts";
import type { EdgePage, RelationshipStore, TraversalQuery } from "../sources/relationships.ts";

export interface RecordKey {
  workspaceId: string;
  collectionId: string;
  id: string;
}

export interface EdgesKey extends TraversalQuery {
  workspaceId: string;
  recordId: string;
}

export interface CollectionKey {
  workspaceId: string;
  id: string;
}

/**
 * Per-request batching: every load in one tick of the event loop becomes one call to the store, so a GraphQL level
 * over N records costs one statement, not N. Built for each request and dropped with it: a cache shared between
 * requests would hand one token's reads to another.
 */
export interface Loaders {
  record: DataLoader<RecordKey, RecordRow | null, string>;
  /** null when the record is not live (the same statement checks it). */
  edges: DataLoader<EdgesKey, EdgePage | null, string>;
  collection: DataLoader<CollectionKey, Collection | null, string>;
  workspace: DataLoader<string, Workspace | null>;
}

/** Splits a batch into groups of keys with equal `group(key)`, each one call to the store. */
function groupBy<K, G>(keys: readonly K[], group: (key: K) => G): Map<string, { group: G; indexes: number[] }> {
  const groups = new Map<string, { group: G; indexes: number[] }>();
  keys.forEach((key, i) => {
    const g = group(key);
    const id = JSON.stringify(g);
    const entry = groups.get(id) ?? { group: g, indexes: [] };
    entry.indexes.push(i);
    groups.set(id, entry);
  });
  return groups;
}

export function createLoaders(sources: {
  prisma: PrismaClient;
  records: RecordSource;
  relationships: RelationshipStore;
}): Loaders {
  const record = new DataLoader<RecordKey, RecordRow | null, string>(
    async (keys) => {
      const results: Array<RecordRow | null> = keys.map(() => null);
      const groups = groupBy(keys, (k) => ({ workspaceId: k.workspaceId, collectionId: k.collectionId }));
      await Promise.all(
        [...groups.values()].map(async ({ group, indexes }) => {
          const ids = indexes.map((i) => (keys[i] as RecordKey).id);
          const found = new Map((await sources.records.getMany(group, ids)).map((r) => [r.id, r]));
          for (const i of indexes) results[i] = found.get((keys[i] as RecordKey).id) ?? null;
        }),
      );
      return results;
    },
    { cacheKeyFn: (k) => `${k.workspaceId}/${k.collectionId}/${k.id}` },
  );

  const edges = new DataLoader<EdgesKey, EdgePage | null, string>(
    async (keys) => {
      const results: Array<EdgePage | null> = [];
      const groups = groupBy(keys, ({ recordId: _, ...query }) => query);
      await Promise.all(
        [...groups.values()].map(async ({ group: { workspaceId, ...query }, indexes }) => {
          const ids = [...new Set(indexes.map((i) => (keys[i] as EdgesKey).recordId))];
          const pages = await sources.relationships.traverse(workspaceId, ids, query);
          for (const i of indexes) results[i] = pages.get((keys[i] as EdgesKey).recordId) ?? null;
          // The statement already fetched the record at each link's other end: the next level starts from it.
          for (const page of pages.values()) {
            for (const edge of page.edges) {
              const r = edge.record;
              record.prime({ workspaceId: r.workspaceId, collectionId: r.collectionId, id: r.id }, r);
            }
          }
        }),
      );
      return results;
    },
    {
      cacheKeyFn: (k) =>
        JSON.stringify([k.workspaceId, k.recordId, k.relType, k.direction, k.limit, k.offset, k.after, k.total]),
    },
  );

  const collection = new DataLoader<CollectionKey, Collection | null, string>(
    async (keys) => {
      const found = await sources.prisma.collection.findMany({
        where: { OR: keys.map((k) => ({ workspaceId: k.workspaceId, id: k.id })) },
      });
      const byKey = new Map(found.map((c) => [`${c.workspaceId}/${c.id}`, c]));
      return keys.map((k) => byKey.get(`${k.workspaceId}/${k.id}`) ?? null);
    },
    { cacheKeyFn: (k) => `${k.workspaceId}/${k.id}` },
  );

  const workspace = new DataLoader<string, Workspace | null>(async (ids) => {
    const found = await sources.prisma.workspace.findMany({ where: { id: { in: [...ids] } } });
    return ids.map((id) => found.find((w) => w.id === id) ?? null);
  });

  return { record, edges, collection, workspace };
}
