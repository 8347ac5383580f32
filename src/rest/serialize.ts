import type { FastifyReply } from "fastify";
import type { ApiToken, Collection, Promotion, Workspace } from "../generated/prisma/client.ts";
import type { PageResult } from "../resolvers/page.ts";
import type { RecordQueryPage } from "../resolvers/query.ts";
import type { Traversal } from "../resolvers/relationships.ts";
import { mintedBy, tokenStatus } from "../resolvers/tokens.ts";
import { dataTextOf } from "../sources/data-text.ts";
import { type RecordRow, searchScoreOf } from "../sources/record-source.ts";
import type { RelationshipRow } from "../sources/relationships.ts";
import type { VaultSecret } from "../vault/vault.ts";
import { isoInstant } from "./iso-instant.ts";

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
    sources: c.sources,
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
    created_at: isoInstant(r.createdAt),
    updated_at: isoInstant(r.updatedAt),
  };
  // Flags appear only when set, as in the contract's examples.
  if (r.archived) json._archived = true;
  if (r.cancelled) json.cancelled = true;
  const score = searchScoreOf(r);
  if (score !== undefined) json._search_score = score;
  return json;
}

/**
 * recordJson written straight as text (a test holds the two equal), with `data` as the database returned it when
 * the record still holds it as text (see RecordWithDataText): pages of records are sent without parsing and
 * re-serialising every document, or building an object per record only to stringify it.
 */
export function recordJsonText(r: RecordRow): string {
  let flags = "";
  if (r.archived) flags += ',"_archived":true';
  if (r.cancelled) flags += ',"cancelled":true';
  const score = searchScoreOf(r);
  if (score !== undefined) flags += `,"_search_score":${JSON.stringify(score)}`;
  return (
    `{"id":${JSON.stringify(r.id)},"collection":${JSON.stringify(r.collectionId)},"data":${dataTextOf(r)}` +
    `,"external_id":${JSON.stringify(r.externalId)},"external_source":${JSON.stringify(r.externalSource)}` +
    `,"version":${JSON.stringify(r.version)},"created_at":"${isoInstant(r.createdAt)}"` +
    `,"updated_at":"${isoInstant(r.updatedAt)}"${flags}}`
  );
}

export function listJson<T, J>(page: PageResult<T>, toJson: (item: T) => J) {
  return { data: page.items.map(toJson), meta: { total: page.total, limit: page.limit, offset: page.offset } };
}

/**
 * The contract's list shape plus keyset pagination (`next_cursor`, and `total_estimated` when asked for), as JSON
 * text: the route sends it as it is.
 */
export function recordPageJsonText(page: RecordQueryPage): string {
  const meta = {
    total: page.total,
    limit: page.limit,
    offset: page.offset,
    next_cursor: page.nextCursor,
    ...(page.totalEstimated ? { total_estimated: true } : {}),
  };
  return `{"data":[${page.items.map(recordJsonText).join(",")}],"meta":${JSON.stringify(meta)}}`;
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
    created_at: isoInstant(r.createdAt),
    updated_at: isoInstant(r.updatedAt),
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

/** A promotion: what it changed in production, from which preview, and whether it was rolled back. */
export function promotionJson(p: Promotion) {
  return {
    id: p.id,
    workspace_id: p.workspaceId,
    from: p.fromId,
    status: p.status,
    diff: p.diff,
    created_at: p.createdAt.toISOString(),
    created_by: p.createdBy,
    rolled_back_at: p.rolledBackAt?.toISOString() ?? null,
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
    created_by: mintedBy(t),
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

/** Sends JSON the handler already wrote as text (Fastify would send a plain string as text/plain). */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type("application/json; charset=utf-8").send(text);
}
