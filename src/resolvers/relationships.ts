import { conflict, type ErrorDetail, notFound, payloadTooLarge, validationError } from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import { isRecordId, SLUG } from "../identifiers.ts";
import { mayBeExternalId } from "../sources/external/record-id.ts";
import type { RecordRow } from "../sources/record-source.ts";
import type {
  Direction,
  Edge,
  EdgeCursor,
  RelationshipFilter,
  RelationshipRow,
  TraversalQuery,
} from "../sources/relationships.ts";
import { authorize, can, collectionScope } from "./authorize.ts";
import { requireCollection } from "./collections.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";
import { assertStorable } from "./storable.ts";

/** A relationship type: a short identifier such as `belongs_to`, `blocks` or `crm:owner`. */
const REL_TYPE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;
const REL_TYPE_RULE = "must be 1-100 characters of letters, digits, '_', '.', ':' or '-'";
const DIRECTIONS: readonly Direction[] = ["outgoing", "incoming", "both"];

export interface RelationshipInput {
  id?: string | null;
  relType?: unknown;
  sourceCollection?: unknown;
  sourceId?: unknown;
  targetCollection?: unknown;
  targetId?: unknown;
  data?: unknown;
}

/** The field names clients send (REST's snake_case), so error paths point at what they wrote. */
const PATHS = {
  id: "id",
  relType: "rel_type",
  sourceCollection: "source_collection",
  sourceId: "source_id",
  targetCollection: "target_collection",
  targetId: "target_id",
  data: "data",
} as const;

const isString = (value: unknown): value is string => typeof value === "string";

function checkInput(input: RelationshipInput): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (input.id != null && !(isString(input.id) && isRecordId(input.id))) {
    details.push({ path: PATHS.id, message: "must be a UUID" });
  }
  if (!isString(input.relType) || !REL_TYPE.test(input.relType)) {
    details.push({ path: PATHS.relType, message: `is required and ${REL_TYPE_RULE}` });
  }
  for (const key of ["sourceCollection", "targetCollection"] as const) {
    const value = input[key];
    if (!isString(value) || !SLUG.test(value)) details.push({ path: PATHS[key], message: "must be a collection id" });
  }
  for (const key of ["sourceId", "targetId"] as const) {
    const value = input[key];
    if (!isString(value) || !isRecordId(value)) details.push({ path: PATHS[key], message: "must be a record UUID" });
  }
  if (input.data != null && (typeof input.data !== "object" || Array.isArray(input.data))) {
    details.push({ path: PATHS.data, message: "must be a JSON object" });
  }
  return details;
}

/**
 * Creates or updates a link: by `id` when given, else by (source, rel_type, target), so repeating a PUT never makes
 * a second link. Both ends must be live records of this workspace.
 */
export async function upsertRelationship(
  ctx: Context,
  workspaceId: string,
  input: RelationshipInput,
): Promise<{ relationship: RelationshipRow; created: boolean }> {
  assertStorable({ workspace: workspaceId, data: input.data }, ctx.limits.maxJsonDepth, "Invalid relationship");
  const details = checkInput(input);
  if (details.length) throw validationError("Invalid relationship", details);
  // A link touches both ends: the grant must cover relationships in both collections.
  await authorize(ctx, "write", "relationships", workspaceId, input.sourceCollection as string);
  await authorize(ctx, "write", "relationships", workspaceId, input.targetCollection as string);
  const data = (input.data ?? {}) as object;
  const bytes = Buffer.byteLength(JSON.stringify(data));
  if (bytes > ctx.limits.maxRecordBytes) {
    throw payloadTooLarge(`Relationship data is ${bytes} bytes; the limit is ${ctx.limits.maxRecordBytes}`);
  }
  const source = { collection: input.sourceCollection as string, id: (input.sourceId as string).toLowerCase() };
  const target = { collection: input.targetCollection as string, id: (input.targetId as string).toLowerCase() };
  const id = input.id != null ? input.id.toLowerCase() : undefined;
  const gone = await externalEndsGone(ctx, workspaceId, { source, target });
  if (gone.length) throw missingEnds(workspaceId, gone, { source, target });
  const outcome = await ctx.relationships
    .upsert(workspaceId, { id, relType: input.relType as string, source, target, data }, ctx.change)
    .catch((error: unknown) =>
      translateDatabaseError(error, {
        unique: () =>
          conflict(`A '${input.relType}' relationship from '${source.id}' to '${target.id}' already exists`, [
            { path: PATHS.id, message: "the same source, type and target are linked under another id" },
          ]),
        // The ends were checked under a lock; only a collection deleted in between gets here.
        foreignKey: () => notFound("A collection of this relationship no longer exists"),
      }),
    );
  if (outcome.ok) return outcome;
  if (outcome.reason === "id_bound") {
    throw conflict(`Relationship '${id}' already links other records or has another type`, [
      { path: PATHS.id, message: "an existing relationship's ends and type cannot change; delete it instead" },
    ]);
  }
  throw missingEnds(workspaceId, outcome.missing, { source, target });
}

type Ends = Record<"source" | "target", { collection: string; id: string }>;

function missingEnds(workspaceId: string, missing: Array<"source" | "target">, ends: Ends) {
  return notFound(
    `Relationship ${missing.join(" and ")} not found in workspace '${workspaceId}'`,
    missing.map((end) => {
      const { collection, id } = ends[end];
      return { path: `${end}_id`, message: `no record '${id}' in collection '${collection}'` };
    }),
  );
}

/**
 * The ends that are external records their source no longer has: the store knows only that they were seen. Only
 * name-based ids can be external records, so a link between records stored here costs nothing more.
 */
async function externalEndsGone(ctx: Context, workspaceId: string, ends: Ends): Promise<Array<"source" | "target">> {
  const candidates = (["source", "target"] as const).filter((end) => mayBeExternalId(ends[end].id));
  const found = await Promise.all(
    candidates.map((end) =>
      ctx.loaders.record.load({ workspaceId, collectionId: ends[end].collection, id: ends[end].id }),
    ),
  );
  return candidates.filter((_, i) => found[i] === null);
}

/** Whether the caller may `action` relationships in both collections this one links. */
async function mayTouch(ctx: Context, action: "read" | "write", r: RelationshipRow): Promise<boolean> {
  return (
    (await can(ctx, action, "relationships", r.workspaceId, r.sourceCollection)) &&
    (await can(ctx, action, "relationships", r.workspaceId, r.targetCollection))
  );
}

/** One relationship; one the caller may not see answers 404, as if it did not exist. */
async function visibleRelationship(ctx: Context, workspaceId: string, id: string, action: "read" | "write") {
  // 403 when no grant covers relationships in this workspace at all; per-collection refusals look like a 404.
  await collectionScope(ctx, action, "relationships", workspaceId);
  const relationship = isRecordId(id) ? await ctx.relationships.get(workspaceId, id.toLowerCase()) : null;
  if (!relationship || !(await mayTouch(ctx, action, relationship))) {
    throw notFound(`Relationship '${id}' not found in workspace '${workspaceId}'`);
  }
  return relationship;
}

export function getRelationship(ctx: Context, workspaceId: string, id: string): Promise<RelationshipRow> {
  return visibleRelationship(ctx, workspaceId, id, "read");
}

export async function deleteRelationship(ctx: Context, workspaceId: string, id: string): Promise<void> {
  const relationship = await visibleRelationship(ctx, workspaceId, id, "write");
  const deleted = await ctx.relationships.delete(workspaceId, relationship.id, ctx.change);
  if (!deleted) throw notFound(`Relationship '${id}' not found in workspace '${workspaceId}'`);
}

export interface ListRelationshipsInput extends PageInput {
  type?: string | null;
  sourceCollection?: string | null;
  sourceId?: string | null;
  targetCollection?: string | null;
  targetId?: string | null;
}

/** Every relationship of the workspace matching the given ends and type, oldest first. */
export async function listRelationships(
  ctx: Context,
  workspaceId: string,
  input: ListRelationshipsInput = {},
): Promise<PageResult<RelationshipRow>> {
  const visible = await collectionScope(ctx, "read", "relationships", workspaceId);
  const page = parsePage(input);
  const details: ErrorDetail[] = [];
  const filter: RelationshipFilter = visible ? { collections: visible } : {};
  if (input.type != null) {
    if (REL_TYPE.test(input.type)) filter.relType = input.type;
    else details.push({ path: "type", message: REL_TYPE_RULE });
  }
  for (const key of ["sourceCollection", "targetCollection"] as const) {
    const value = input[key];
    if (value == null) continue;
    if (SLUG.test(value)) filter[key] = value;
    else details.push({ path: PATHS[key], message: "must be a collection id" });
  }
  for (const key of ["sourceId", "targetId"] as const) {
    const value = input[key];
    if (value == null) continue;
    if (isRecordId(value)) filter[key] = value.toLowerCase();
    else details.push({ path: PATHS[key], message: "must be a record UUID" });
  }
  if (details.length) throw validationError("Invalid relationship filter", details);
  const { items, total } = await ctx.relationships.list(workspaceId, filter, page);
  return { items, total, ...page };
}

export interface TraversalInput extends PageInput {
  type?: string | null;
  direction?: string | null;
  /** `endCursor` / `next_cursor` of the previous page. */
  after?: string | null;
  /** Count every matching link (REST's meta.total); GraphQL pages by cursor and does not. */
  total?: boolean;
}

export interface Traversal {
  edges: Edge[];
  /** null unless asked for. */
  total: number | null;
  limit: number;
  offset: number;
  hasMore: boolean;
  /** Pass as `after` for the next page; null on the last one. */
  nextCursor: string | null;
}

export function encodeEdgeCursor(relationship: RelationshipRow): string {
  const position: EdgeCursor = { createdAt: relationship.createdAt.toISOString(), id: relationship.id };
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeEdgeCursor(cursor: string): EdgeCursor {
  try {
    const { createdAt, id } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<EdgeCursor>;
    if (isString(createdAt) && !Number.isNaN(Date.parse(createdAt)) && isString(id) && isRecordId(id)) {
      return { createdAt, id };
    }
  } catch {
    // Falls through to the error below.
  }
  throw validationError("Invalid cursor", [{ path: "after", message: "is not a cursor returned by this API" }]);
}

function parseTraversal(input: TraversalInput): TraversalQuery {
  const page = parsePage(input);
  const details: ErrorDetail[] = [];
  if (input.type != null && !REL_TYPE.test(input.type)) details.push({ path: "type", message: REL_TYPE_RULE });
  const direction = (input.direction ?? "both") as Direction;
  if (!DIRECTIONS.includes(direction)) {
    details.push({ path: "direction", message: "must be 'outgoing', 'incoming' or 'both'" });
  }
  if (input.after != null && page.offset !== 0) details.push({ path: "offset", message: "must be 0 with after" });
  if (details.length) throw validationError("Invalid relationship query", details);
  return {
    relType: input.type ?? undefined,
    direction,
    ...page,
    ...(input.after != null ? { after: decodeEdgeCursor(input.after) } : {}),
    total: input.total === true,
  };
}

/**
 * A record's links (by type and direction) with the record at each one's other end, oldest link first. Loads go
 * through the request's DataLoaders, so GraphQL asking this for many records at once costs one statement.
 */
export async function traverseRelationships(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  recordId: string,
  input: TraversalInput = {},
): Promise<Traversal> {
  await authorize(ctx, "read", "relationships", workspaceId, collectionId);
  const query = parseTraversal(input);
  const page = isRecordId(recordId)
    ? await ctx.loaders.edges.load({ workspaceId, recordId: recordId.toLowerCase(), ...query })
    : null;
  if (!page || page.collectionId !== collectionId) {
    await requireCollection(ctx, workspaceId, collectionId);
    throw notFound(`Record '${recordId}' not found in collection '${collectionId}'`);
  }
  // The other ends are records: a link shows only when the caller may read it and the record there, like a
  // collection the token does not cover, whose records it never sees.
  let edges = page.edges;
  if (ctx.principal.kind !== "admin") {
    edges = [];
    for (const edge of page.edges) {
      const other = edge.record.collectionId;
      if ((await can(ctx, "read", "records", workspaceId, other)) && (await mayTouch(ctx, "read", edge.relationship))) {
        edges.push(edge);
      }
    }
  }
  const last = page.edges.at(-1);
  return {
    edges,
    total: page.total,
    limit: query.limit,
    offset: query.offset,
    hasMore: page.hasMore,
    nextCursor: page.hasMore && last ? encodeEdgeCursor(last.relationship) : null,
  };
}

/** The record at one end of a relationship (null when it was deleted since). */
export async function relationshipEnd(
  ctx: Context,
  relationship: RelationshipRow,
  end: "source" | "target",
): Promise<RecordRow | null> {
  const [collectionId, id] =
    end === "source"
      ? [relationship.sourceCollection, relationship.sourceId]
      : [relationship.targetCollection, relationship.targetId];
  await authorize(ctx, "read", "records", relationship.workspaceId, collectionId);
  return ctx.loaders.record.load({ workspaceId: relationship.workspaceId, collectionId, id });
}
