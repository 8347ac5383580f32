import { createHash } from "node:crypto";
import { type ErrorDetail, notFound, validationError } from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import type { Collection, Prisma } from "../generated/prisma/client.ts";
import { displayFieldProblems, SLUG, slugProblem } from "../identifiers.ts";
import { parseIndexes } from "../query/parse.ts";
import { type InlineSecret, parseSources, type SourceConfig, VAULT_PREFIX } from "../sources/external/config.ts";
import type { RecordRow } from "../sources/record-source.ts";
import { authorize, can, collectionScope } from "./authorize.ts";
import { saveCollection } from "./collection-config.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";
import type { SchemaWarning } from "./schema-registry.ts";
import { requireWorkspace } from "./workspaces.ts";

export interface UpsertCollectionInput {
  name?: string | null;
  description?: string | null;
  jsonSchema: unknown;
  icon?: string | null;
  color?: string | null;
  /** Declared indexes, `[{fields: [{field, direction}]}]`; PUT replaces the whole list. */
  indexes?: unknown;
  /** External sources (docs/sources.md); PUT replaces the whole list. */
  sources?: unknown;
}

/**
 * Whether a workspace exists is told only to a caller who may read it: a grant limited to some collections (of
 * every workspace, say) must not learn which workspaces exist from a 404 (docs/security.md, "No existence oracle").
 */
async function requireWorkspaceIfReadable(ctx: Context, workspaceId: string): Promise<void> {
  if (await can(ctx, "read", "workspaces", workspaceId)) await requireWorkspace(ctx, workspaceId);
}

/**
 * Resolves a collection for another operation; the 404 says whether the workspace or the collection is missing
 * (the workspace only to a caller who may read it).
 */
export async function requireCollection(ctx: Context, workspaceId: string, id: string): Promise<Collection> {
  const collection = SLUG.test(id)
    ? await ctx.collections.read(workspaceId, id, () =>
        ctx.prisma.collection.findUnique({ where: { workspaceId_id: { workspaceId, id } } }),
      )
    : null;
  if (collection) return collection;
  await requireWorkspaceIfReadable(ctx, workspaceId);
  throw notFound(`Collection '${id}' not found in workspace '${workspaceId}'`);
}

export async function listCollections(
  ctx: Context,
  workspaceId: string,
  input: PageInput = {},
): Promise<PageResult<Collection>> {
  const visible = await collectionScope(ctx, "read", "collections", workspaceId);
  const page = parsePage(input);
  const where: Prisma.CollectionWhereInput = { workspaceId, ...(visible ? { id: { in: visible } } : {}) };
  const [items, total] = await Promise.all([
    ctx.prisma.collection.findMany({ where, orderBy: { id: "asc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.collection.count({ where }),
  ]);
  // An empty page may mean the workspace does not exist; only then pay for the extra lookup.
  if (total === 0) await requireWorkspaceIfReadable(ctx, workspaceId);
  return { items, total, ...page };
}

export async function getCollection(ctx: Context, workspaceId: string, id: string): Promise<Collection> {
  await authorize(ctx, "read", "collections", workspaceId, id);
  return requireCollection(ctx, workspaceId, id);
}

function checkFields(id: string, input: UpsertCollectionInput): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const idProblem = slugProblem(id, "collection");
  if (idProblem) details.push(idProblem);
  details.push(...displayFieldProblems(input, false));
  for (const key of ["icon", "color"] as const) {
    const value = input[key];
    if (value && value.length > 100) details.push({ path: key, message: "must be at most 100 characters" });
  }
  return details;
}

/**
 * Creates or replaces a collection in one conflict-aware statement. The schema is compiled first so a broken schema
 * never lands; existing records are re-validated on their next write, not now (no migrations). `warnings` are what
 * a stricter reading of the schema would question (unknown keywords, ignored `then`…): advice, never a refusal.
 */
export async function upsertCollection(
  ctx: Context,
  workspaceId: string,
  id: string,
  input: UpsertCollectionInput,
): Promise<{ collection: Collection; created: boolean; warnings: SchemaWarning[] }> {
  await authorize(ctx, "write", "collections", workspaceId, id);
  const details = checkFields(id, input);
  const parsedSources = parseSources(input.sources, ctx.outboundPolicy);
  details.push(...parsedSources.details);
  if (details.length) throw validationError("Invalid collection", details);
  const compiled = ctx.schemas.compile(input.jsonSchema);
  const indexes = parseIndexes(input.indexes, input.jsonSchema);
  await requireWorkspace(ctx, workspaceId);
  const sources = await vaultInlineSecrets(ctx, workspaceId, id, parsedSources.sources, parsedSources.inlineSecrets);
  const ref = { workspaceId, collectionId: id };
  // New indexes first: if a build fails, the collection is unchanged. Old ones go once the new definition is saved.
  const keep = await ctx.records.createIndexes(ref, indexes.specs);
  const collection = await saveCollection(ctx.prisma, workspaceId, id, {
    name: input.name?.trim() || id,
    description: input.description ?? null,
    jsonSchema: input.jsonSchema as Prisma.JsonValue,
    icon: input.icon ?? null,
    color: input.color ?? null,
    indexes: indexes.stored as Prisma.JsonValue,
    sources: sources as unknown as Prisma.JsonValue,
  }).catch((error: unknown) =>
    // Only reachable when the workspace is deleted between the check above and this write.
    translateDatabaseError(error, { foreignKey: () => notFound(`Workspace '${workspaceId}' not found`) }),
  );
  await ctx.collections.invalidate(workspaceId, id);
  await ctx.records.dropIndexes(ref, keep);
  // The first write after a save must not pay for compiling the schema again.
  ctx.schemas.remember(collection, compiled.validate);
  return { collection, created: collection.version === 1, warnings: compiled.warnings };
}

/** The vault name of a source's inline secret: one per workspace, collection and source. */
export function sourceSecretName(workspaceId: string, collectionId: string, source: string): string {
  const name = `source.${workspaceId}.${collectionId}.${source}`;
  return name.length <= 128 ? name : `source.${createHash("sha256").update(name).digest("hex").slice(0, 40)}`;
}

/**
 * Secrets given inline in a source go to the vault (encrypted; a repeated PUT rotates them), and the stored config
 * refers to them as `vault:<name>`: the value is never stored in the collection nor returned by any read.
 */
async function vaultInlineSecrets(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  sources: SourceConfig[],
  inline: InlineSecret[],
): Promise<SourceConfig[]> {
  const references = new Map<string, string>();
  for (const secret of inline) {
    const name = sourceSecretName(workspaceId, collectionId, secret.source);
    const existing = await ctx.prisma.vaultSecret.findUnique({ where: { name }, select: { id: true } });
    if (existing) await ctx.vault.rotate(existing.id, secret.value);
    else await ctx.vault.create({ name, value: secret.value, tags: ["source"] });
    references.set(secret.source, `${VAULT_PREFIX}${name}`);
  }
  return sources.map((source) => {
    const reference = references.get(source.name);
    return reference && source.auth ? { ...source, auth: { ...source.auth, secret: reference } } : source;
  });
}

/** Removes the collection and all its records in one statement (foreign-key cascade). */
export async function deleteCollection(ctx: Context, workspaceId: string, id: string): Promise<void> {
  await authorize(ctx, "write", "collections", workspaceId, id);
  const { count } = SLUG.test(id)
    ? await ctx.prisma.collection.deleteMany({ where: { workspaceId, id } })
    : { count: 0 };
  await ctx.collections.invalidate(workspaceId, id);
  if (count === 0) {
    await requireWorkspaceIfReadable(ctx, workspaceId);
    throw notFound(`Collection '${id}' not found in workspace '${workspaceId}'`);
  }
  await ctx.records.dropIndexes({ workspaceId, collectionId: id });
}

/** The collection a record belongs to, batched per request (GraphQL's Record.collection). */
export async function collectionOfRecord(ctx: Context, record: RecordRow): Promise<Collection> {
  await authorize(ctx, "read", "collections", record.workspaceId, record.collectionId);
  const collection = await ctx.loaders.collection.load({ workspaceId: record.workspaceId, id: record.collectionId });
  // The record's foreign key cascades from its collection: only a deletion racing this request gets here.
  if (!collection) throw notFound(`Collection '${record.collectionId}' not found`);
  return collection;
}
