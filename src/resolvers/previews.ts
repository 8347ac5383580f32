import { conflict, validationError } from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import type { Workspace } from "../generated/prisma/client.ts";
import { displayFieldProblems, PREVIEW_SEPARATOR, workspaceSlugProblem } from "../identifiers.ts";
import { authorize } from "./authorize.ts";
import { buildDeclaredIndexes, configOf } from "./collection-config.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";
import { requireWorkspace } from "./workspaces.ts";

export interface CreatePreviewInput {
  name: string;
  description?: string | null;
}

/** The production workspace an operation on previews names; a preview there is the client's error. */
export async function requireProduction(ctx: Context, workspaceId: string): Promise<Workspace> {
  const workspace = await requireWorkspace(ctx, workspaceId);
  if (workspace.environment !== "production") {
    throw validationError(`Workspace '${workspaceId}' is a preview; name its production workspace`, [
      { path: "workspace", message: `use '${workspace.parentId}'` },
    ]);
  }
  return workspace;
}

/**
 * Creates `<production>--<name>`: a preview that starts with a copy of production's collections (definitions and
 * declared indexes, never records), so what a promotion reports is what the preview changed.
 */
export async function createPreview(ctx: Context, productionId: string, input: CreatePreviewInput): Promise<Workspace> {
  await authorize(ctx, "write", "workspaces", productionId);
  const details = [...displayFieldProblems({ description: input.description }, false)];
  const nameProblem = workspaceSlugProblem(input.name, "name", "a preview name");
  if (nameProblem) details.unshift(nameProblem);
  if (details.length) throw validationError("Invalid preview", details);
  const production = await requireProduction(ctx, productionId);
  const id = `${productionId}${PREVIEW_SEPARATOR}${input.name}`;
  const [preview, collections] = await ctx.prisma
    .$transaction(async (tx) => {
      const created = await tx.workspace.create({
        data: {
          id,
          name: input.name,
          description: input.description ?? null,
          environment: "preview",
          parentId: productionId,
          tags: production.tags,
          settings: production.settings ?? {},
        },
      });
      await tx.$executeRaw`
        INSERT INTO collections (workspace_id, id, name, description, json_schema, icon, color, indexes, sources)
        SELECT ${id}, id, name, description, json_schema, icon, color, indexes, sources
        FROM collections WHERE workspace_id = ${productionId}`;
      return [created, await tx.collection.findMany({ where: { workspaceId: id } })] as const;
    })
    .catch((error: unknown) =>
      translateDatabaseError(error, {
        unique: () => conflict(`Preview '${id}' already exists`),
        // Production was deleted after the check above.
        foreignKey: () => conflict(`Workspace '${productionId}' was deleted meanwhile`),
      }),
    );
  // An empty collection's indexes build at once; a failed build leaves the preview usable, only slower to query.
  for (const c of collections) {
    if (Array.isArray(c.indexes) && c.indexes.length > 0) {
      await buildDeclaredIndexes(ctx.records, { workspaceId: id, collectionId: c.id }, configOf(c));
    }
  }
  return preview;
}

export async function listPreviews(
  ctx: Context,
  productionId: string,
  input: PageInput = {},
): Promise<PageResult<Workspace>> {
  await authorize(ctx, "read", "workspaces", productionId);
  const page = parsePage(input);
  await requireProduction(ctx, productionId);
  const where = { parentId: productionId };
  const [items, total] = await Promise.all([
    ctx.prisma.workspace.findMany({ where, orderBy: { id: "asc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.workspace.count({ where }),
  ]);
  return { items, total, ...page };
}
