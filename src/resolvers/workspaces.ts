import { conflict, type ErrorDetail, notFound, validationError } from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import type { Collection, Prisma, Workspace } from "../generated/prisma/client.ts";
import { displayFieldProblems, isWorkspaceId, RESERVED_WORKSPACE_IDS, workspaceSlugProblem } from "../identifiers.ts";
import { authorize, workspaceScope } from "./authorize.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";

export interface WorkspaceSettings {
  timezone?: string | null;
}

export interface CreateWorkspaceInput {
  id: string;
  name: string;
  description?: string | null;
  tags?: string[] | null;
  settings?: WorkspaceSettings | null;
}

export interface UpdateWorkspaceInput {
  name?: string | null;
  description?: string | null;
  tags?: string[] | null;
  settings?: WorkspaceSettings | null;
}

const MAX_TAGS = 50;

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function checkFields(input: UpdateWorkspaceInput): ErrorDetail[] {
  const details: ErrorDetail[] = displayFieldProblems(input, true);
  if (input.tags) {
    if (input.tags.length > MAX_TAGS) details.push({ path: "tags", message: `must have at most ${MAX_TAGS} tags` });
    input.tags.forEach((tag, i) => {
      if (!tag.trim() || tag.length > 100) details.push({ path: `tags.${i}`, message: "must be 1-100 characters" });
    });
  }
  const timezone = input.settings?.timezone;
  if (timezone != null && !isTimeZone(timezone)) {
    details.push({ path: "settings.timezone", message: `'${timezone}' is not an IANA time zone` });
  }
  return details;
}

/** Looks a workspace up for another operation; 404 names it when absent. */
export async function requireWorkspace(ctx: Context, id: string): Promise<Workspace> {
  const workspace = isWorkspaceId(id) ? await ctx.prisma.workspace.findUnique({ where: { id } }) : null;
  if (!workspace) throw notFound(`Workspace '${id}' not found`);
  return workspace;
}

export async function listWorkspaces(
  ctx: Context,
  input: PageInput & { tag?: string | null } = {},
): Promise<PageResult<Workspace>> {
  const visible = workspaceScope(ctx);
  const page = parsePage(input);
  const where: Prisma.WorkspaceWhereInput = {
    ...(input.tag ? { tags: { has: input.tag } } : {}),
    ...(visible ? { OR: visible } : {}),
  };
  const [items, total] = await Promise.all([
    ctx.prisma.workspace.findMany({ where, orderBy: { id: "asc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.workspace.count({ where }),
  ]);
  return { items, total, ...page };
}

export async function getWorkspace(ctx: Context, id: string): Promise<Workspace> {
  await authorize(ctx, "read", "workspaces", id);
  return requireWorkspace(ctx, id);
}

export async function createWorkspace(ctx: Context, input: CreateWorkspaceInput): Promise<Workspace> {
  await authorize(ctx, "write", "workspaces", input.id);
  const details = checkFields(input);
  const idProblem = workspaceSlugProblem(input.id, "id", "workspace id");
  if (idProblem) details.unshift(idProblem);
  else if (RESERVED_WORKSPACE_IDS.has(input.id)) details.unshift({ path: "id", message: `'${input.id}' is reserved` });
  if (details.length) throw validationError("Invalid workspace", details);
  try {
    return await ctx.prisma.workspace.create({
      data: {
        id: input.id,
        name: input.name.trim(),
        description: input.description ?? null,
        tags: input.tags ?? [],
        settings: (input.settings ?? {}) as Prisma.InputJsonObject,
      },
    });
  } catch (error) {
    translateDatabaseError(error, { unique: () => conflict(`Workspace '${input.id}' already exists`) });
  }
}

export async function updateWorkspace(ctx: Context, id: string, input: UpdateWorkspaceInput): Promise<Workspace> {
  await authorize(ctx, "write", "workspaces", id);
  const details = checkFields(input);
  if (details.length) throw validationError("Invalid workspace", details);
  // One statement, so concurrent updates of different settings keys both survive (jsonb `||` merges).
  const [updated] = await ctx.prisma.$queryRaw<Workspace[]>`
    UPDATE workspaces SET
      name = COALESCE(${input.name?.trim() ?? null}, name),
      description = CASE WHEN ${input.description !== undefined} THEN ${input.description ?? null} ELSE description END,
      tags = COALESCE(${input.tags ?? null}::text[], tags),
      settings = settings || ${JSON.stringify(input.settings ?? {})}::jsonb,
      updated_at = now()
    WHERE id = ${id}
    RETURNING id, name, description, tags, environment, parent_id AS "parentId", settings,
      created_at AS "createdAt", updated_at AS "updatedAt"`;
  if (!updated) throw notFound(`Workspace '${id}' not found`);
  return updated;
}

/**
 * Deletes the workspace and, through the foreign keys, its previews and every collection and record in them, in one
 * statement; then drops their declared indexes.
 */
export async function deleteWorkspace(ctx: Context, id: string): Promise<void> {
  await authorize(ctx, "write", "workspaces", id);
  if (!isWorkspaceId(id)) throw notFound(`Workspace '${id}' not found`);
  const collections = await ctx.prisma.collection.findMany({
    where: { OR: [{ workspaceId: id }, { workspace: { parentId: id } }] },
    select: { workspaceId: true, id: true },
  });
  const { count } = await ctx.prisma.workspace.deleteMany({ where: { id } });
  for (const workspaceId of new Set([id, ...collections.map((c) => c.workspaceId)])) {
    await ctx.collections.invalidate(workspaceId);
  }
  if (count === 0) throw notFound(`Workspace '${id}' not found`);
  for (const c of collections) await ctx.records.dropIndexes({ workspaceId: c.workspaceId, collectionId: c.id });
}

/** The workspace a collection belongs to (GraphQL's Collection.workspace), batched per request. */
export async function workspaceOfCollection(ctx: Context, collection: Collection): Promise<Workspace> {
  await authorize(ctx, "read", "workspaces", collection.workspaceId);
  const workspace = await ctx.loaders.workspace.load(collection.workspaceId);
  if (!workspace) throw notFound(`Workspace '${collection.workspaceId}' not found`);
  return workspace;
}
