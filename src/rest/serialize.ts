import type { ApiToken, Collection, Workspace } from "../generated/prisma/client.ts";
import type { PageResult } from "../resolvers/page.ts";
import type { RecordQueryPage } from "../resolvers/query.ts";
import type { Traversal } from "../resolvers/relationships.ts";
import { tokenStatus } from "../resolvers/tokens.ts";
import { type RecordRow, searchScoreOf } from "../sources/record-source.ts";
import type { RelationshipRow } from "../sources/relationships.ts";
import type { VaultSecret } from "../vault/vault.ts";

/** The contract's field names (snake_case) for each resource; GraphQL exposes the same fields in camelCase. */
export function workspaceJson(w: Workspace) {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    tags: w.tags,
    environment: w.environment,
    parent_id: w.parentId,
    settings: w.settings,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export function collectionJson(c: Collection) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    json_schema: c.jsonSchema,
    icon: c.icon,
    color: c.color,
    indexes: c.indexes,
    version: c.version,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function recordJson(r: RecordRow) {
  const json: Record<string, unknown> = {
    id: r.id,
    collection: r.collectionId,
    data: r.data,
    external_id: r.externalId,
    external_source: r.externalSource,
    version: r.version,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
  // Flags appear only when set, as in the contract's examples.
  if (r.archived) json._archived = true;
  if (r.cancelled) json.cancelled = true;
  const score = searchScoreOf(r);
  if (score !== undefined) json._search_score = score;
  return json;
}

export function listJson<T, J>(page: PageResult<T>, toJson: (item: T) => J) {
  return { data: page.items.map(toJson), meta: { total: page.total, limit: page.limit, offset: page.offset } };
}

/** The contract's list shape plus keyset pagination: `next_cursor`, and `total_estimated` when asked for. */
export function recordPageJson(page: RecordQueryPage) {
  return {
    data: page.items.map(recordJson),
    meta: {
      total: page.total,
      limit: page.limit,
      offset: page.offset,
      next_cursor: page.nextCursor,
      ...(page.totalEstimated ? { total_estimated: true } : {}),
    },
  };
}

export function relationshipJson(r: RelationshipRow) {
  return {
    id: r.id,
    rel_type: r.relType,
    source_collection: r.sourceCollection,
    source_id: r.sourceId,
    target_collection: r.targetCollection,
    target_id: r.targetId,
    data: r.data,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** A record's links; each says which way it points from that record and, when asked, embeds the other end. */
export function traversalJson(page: Traversal, includeRecord: boolean) {
  return {
    data: page.edges.map((edge) => ({
      ...relationshipJson(edge.relationship),
      direction: edge.direction,
      ...(includeRecord ? { record: recordJson(edge.record) } : {}),
    })),
    meta: { total: page.total, limit: page.limit, offset: page.offset, next_cursor: page.nextCursor },
  };
}

/** A token as lists show it: never its secret or hash; `prefix` is enough to recognise it. */
export function tokenJson(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    prefix: t.prefix,
    grants: t.grants,
    status: tokenStatus(t),
    created_at: t.createdAt.toISOString(),
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    expires_at: t.expiresAt?.toISOString() ?? null,
  };
}

/** A secret as every read shows it: metadata, and `masked` in place of the value. */
export function secretJson(s: VaultSecret) {
  return {
    id: s.id,
    name: s.name,
    tags: s.tags,
    content_type: s.contentType,
    masked: "********",
    version: s.version,
    expires_at: s.expiresAt?.toISOString() ?? null,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
