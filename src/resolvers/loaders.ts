import DataLoader from "dataloader";
import type { Collection, PrismaClient, Workspace } from "../generated/prisma/client.ts";
import type { RecordRow, RecordSource } from "../sources/record-source.ts";
import {
  type Edge,
  type EdgePage,
  otherEndOf,
  type RelationshipStore,
  type StoredEdge,
  type TraversalQuery,
} from "../sources/relationships.ts";
import type { CollectionCache } from "./collection-cache.ts";

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

export interface LoaderSources {
  prisma: PrismaClient;
  records: RecordSource;
  relationships: RelationshipStore;
  collections: CollectionCache;
}

export function createLoaders(sources: LoaderSources): Loaders {
  const collection = new DataLoader<CollectionKey, Collection | null, string>(
    async (keys) => {
      const found = await sources.collections.readMany(keys, (missing) =>
        sources.prisma.collection.findMany({
          where: { OR: missing.map((k) => ({ workspaceId: k.workspaceId, id: k.id })) },
        }),
      );
      return keys.map((k) => found.get(`${k.workspaceId}/${k.id}`) ?? null);
    },
    { cacheKeyFn: (k) => `${k.workspaceId}/${k.id}` },
  );

  const record = new DataLoader<RecordKey, RecordRow | null, string>(
    async (keys) => {
      const results: Array<RecordRow | null> = keys.map(() => null);
      const groups = groupBy(keys, (k) => ({ workspaceId: k.workspaceId, collectionId: k.collectionId }));
      await Promise.all(
        [...groups.values()].map(async ({ group, indexes }) => {
          const ids = [...new Set(indexes.map((i) => (keys[i] as RecordKey).id))];
          // Native and external records alike: a source's records are read in one batch per source.
          const found = new Map((await sources.records.getMany(group, ids)).map((r) => [r.id, r]));
          for (const i of indexes) results[i] = found.get((keys[i] as RecordKey).id) ?? null;
        }),
      );
      return results;
    },
    { cacheKeyFn: (k) => `${k.workspaceId}/${k.collectionId}/${k.id}` },
  );

  /** The store's page with each external end fetched from its source; links whose record is gone there drop out. */
  async function withExternalEnds(workspaceId: string, page: EdgePage<StoredEdge>): Promise<EdgePage> {
    const ends = await Promise.all(
      page.edges.map((edge) => {
        if (edge.record) return edge.record;
        const end = otherEndOf(edge);
        return record.load({ workspaceId, collectionId: end.collection, id: end.id });
      }),
    );
    const edges = page.edges.flatMap((edge, i): Edge[] => {
      const end = ends[i];
      return end ? [{ ...edge, record: end }] : [];
    });
    return { ...page, edges };
  }

  const edges = new DataLoader<EdgesKey, EdgePage | null, string>(
    async (keys) => {
      const results: Array<EdgePage | null> = [];
      const groups = groupBy(keys, ({ recordId: _, ...query }) => query);
      await Promise.all(
        [...groups.values()].map(async ({ group: { workspaceId, ...query }, indexes }) => {
          const ids = [...new Set(indexes.map((i) => (keys[i] as EdgesKey).recordId))];
          const stored = await sources.relationships.traverse(workspaceId, ids, query);
          // The statement already fetched the record at each link's other end: the next level starts from it.
          for (const page of stored.values()) {
            for (const { record: r } of page.edges) {
              if (r) record.prime({ workspaceId: r.workspaceId, collectionId: r.collectionId, id: r.id }, r);
            }
          }
          // Every page's external ends are loaded in the same tick, so the sources see one batch.
          const pages = new Map(
            await Promise.all(
              [...stored].map(async ([id, page]) => [id, await withExternalEnds(workspaceId, page)] as const),
            ),
          );
          for (const i of indexes) results[i] = pages.get((keys[i] as EdgesKey).recordId) ?? null;
        }),
      );
      return results;
    },
    {
      cacheKeyFn: (k) =>
        JSON.stringify([k.workspaceId, k.recordId, k.relType, k.direction, k.limit, k.offset, k.after, k.total]),
    },
  );

  const workspace = new DataLoader<string, Workspace | null>(async (ids) => {
    const found = await sources.prisma.workspace.findMany({ where: { id: { in: [...ids] } } });
    return ids.map((id) => found.find((w) => w.id === id) ?? null);
  });

  return { record, edges, collection, workspace };
}
