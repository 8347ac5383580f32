import {
  type Action,
  allows,
  coversWorkspace,
  type Environment,
  type Grant,
  needsEnvironment,
  type Resource,
} from "../auth/grants.ts";
import { forbidden, rateLimited } from "../errors/app-error.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { Context } from "./context.ts";

export type { Action, Resource };

/** The workspace's environment, read once per request and only for grants that restrict environments. */
async function environmentOf(ctx: Context, workspaceId: string): Promise<Environment | undefined> {
  const workspace = await ctx.loaders.workspace.load(workspaceId);
  return (workspace?.environment as Environment | undefined) ?? undefined;
}

/** Whether the caller may do `action` on `resource` in that workspace (and collection); never throws. */
export async function can(
  ctx: Context,
  action: Action,
  resource: Resource,
  workspaceId?: string,
  collectionId?: string,
): Promise<boolean> {
  const { principal } = ctx;
  if (principal.kind === "admin") return true;
  const environment =
    workspaceId !== undefined && needsEnvironment(principal.grants) ? await environmentOf(ctx, workspaceId) : undefined;
  return allows(principal.grants, { action, resource, workspaceId, collectionId, environment });
}

/**
 * Counts the request against the workspace's limit, once per request and workspace, and reports the standing in
 * the response headers (both the IETF draft's RateLimit-* and the common X-RateLimit-* spellings). The root admin
 * token is the operator's and is not limited; API tokens share their workspace's limit.
 */
async function meter(ctx: Context, workspaceId: string): Promise<void> {
  if (ctx.principal.kind === "admin") return;
  let pending = ctx.metered.get(workspaceId);
  if (!pending) {
    pending = ctx.rateLimits.consume(workspaceId);
    ctx.metered.set(workspaceId, pending);
    const decision = await pending;
    if (decision.limit > 0) {
      for (const prefix of ["RateLimit", "X-RateLimit"]) {
        ctx.header(`${prefix}-Limit`, String(decision.limit));
        ctx.header(`${prefix}-Remaining`, String(decision.remaining));
        ctx.header(`${prefix}-Reset`, String(decision.resetSeconds));
      }
      if (!decision.allowed) ctx.header("Retry-After", String(decision.resetSeconds));
    }
  }
  const decision = await pending;
  if (!decision.allowed) {
    throw rateLimited(`Workspace '${workspaceId}' is over its request limit; retry in ${decision.resetSeconds} s`, [
      { path: "", message: "shared by every token of the workspace", retry_after: decision.resetSeconds },
    ]);
  }
}

/** Configuration that agents may not change in a production workspace (they work in previews). */
const PRODUCTION_CONFIG: ReadonlySet<Resource> = new Set(["collections", "hooks", "triggers"]);

/**
 * The single permission check every operation calls before touching data: the root admin may do everything, a
 * token what one of its grants covers (docs/security.md). REST and GraphQL, nested fields and loaders included,
 * all come through here.
 */
export async function authorize(
  ctx: Context,
  action: Action,
  resource: Resource,
  workspaceId?: string,
  collectionId?: string,
): Promise<void> {
  if (!(await can(ctx, action, resource, workspaceId, collectionId))) {
    const where = [workspaceId && `workspace '${workspaceId}'`, collectionId && `collection '${collectionId}'`]
      .filter(Boolean)
      .join(", ");
    throw forbidden(`Token lacks ${action}:${resource}${where ? ` on ${where}` : ""}`);
  }
  // Only once the grant covers the workspace: a token must not spend another workspace's quota.
  if (workspaceId !== undefined) await meter(ctx, workspaceId);
  const { principal } = ctx;
  // The contract's environment rule binds service tokens; the admin and user tokens holding the permission may
  // change production directly (docs/security.md explains why).
  if (
    principal.kind === "token" &&
    principal.type === "service" &&
    action === "write" &&
    PRODUCTION_CONFIG.has(resource) &&
    workspaceId !== undefined &&
    (await environmentOf(ctx, workspaceId)) === "production"
  ) {
    throw forbidden(
      `Service tokens cannot change ${resource} in production workspace '${workspaceId}'; use a preview`,
      [
        {
          path: "",
          message: "production configuration is changed by promotion or by a user",
          reason: "environment_restricted",
        },
      ],
    );
  }
}

/** The caller's grants holding `action:resource` (all of them `*`-permitted ones included); null for the admin. */
function grantsFor(ctx: Context, action: Action, resource: Resource) {
  const { principal } = ctx;
  if (principal.kind === "admin") return null;
  return principal.grants.filter((g) => g.permissions.includes("*") || g.permissions.includes(`${action}:${resource}`));
}

/**
 * Which workspaces a list may show: undefined for all of them, else a filter (ids and environments per grant), so
 * a token never learns that other workspaces exist. 403 when no grant allows reading any workspace.
 */
export function workspaceScope(ctx: Context): Prisma.WorkspaceWhereInput[] | undefined {
  // A grant limited to some collections does not cover reading the workspace itself (as GET /workspaces/{id}).
  const grants = grantsFor(ctx, "read", "workspaces")?.filter((g) => !g.scope.collections) ?? null;
  if (grants === null) return undefined;
  if (grants.length === 0) throw forbidden("Token lacks read:workspaces");
  if (grants.some((g) => g.scope.workspaces.includes("*") && !g.scope.environments)) return undefined;
  return grants.map((g) => ({
    ...(g.scope.workspaces.includes("*")
      ? {}
      : { OR: [{ id: { in: g.scope.workspaces } }, { parentId: { in: g.scope.workspaces } }] }),
    ...(g.scope.environments ? { environment: { in: g.scope.environments } } : {}),
  }));
}

/**
 * Which collections of a workspace the caller may `action`: undefined for all, else their ids. 403 when no grant
 * covers the workspace at all.
 */
export async function collectionScope(
  ctx: Context,
  action: Action,
  resource: Resource,
  workspaceId: string,
): Promise<string[] | undefined> {
  const grants = grantsFor(ctx, action, resource);
  if (grants === null) return undefined;
  const environment = needsEnvironment(grants) ? await environmentOf(ctx, workspaceId) : undefined;
  const covering = grants.filter(
    (g) =>
      coversWorkspace(g.scope.workspaces, workspaceId) &&
      (!g.scope.environments || (environment !== undefined && g.scope.environments.includes(environment))),
  );
  if (covering.length === 0) throw forbidden(`Token lacks ${action}:${resource} on workspace '${workspaceId}'`);
  await meter(ctx, workspaceId);
  if (covering.some((g) => !g.scope.collections)) return undefined;
  return [...new Set(covering.flatMap((g) => g.scope.collections ?? []))];
}

/** A grant's scope as a filter on collections: its workspaces and their previews, collections, environments. */
function collectionsInScope(scope: Grant["scope"]): Prisma.CollectionWhereInput {
  const { workspaces, collections, environments } = scope;
  return {
    AND: [
      workspaces.includes("*")
        ? {}
        : { OR: [{ workspaceId: { in: workspaces } }, { workspace: { parentId: { in: workspaces } } }] },
      collections ? { id: { in: collections } } : {},
      environments ? { workspace: { environment: { in: environments } } } : {},
    ],
  };
}

/**
 * Prisma filters for nested GraphQL relations (Workspace.collections, Collection.records, recordCount), which
 * Prisma resolves in its own queries rather than through our resolvers: they restrict to what the caller's grants
 * cover, so a nested field can never show more than the top-level operation would. undefined for the admin.
 */
export function readableCollections(ctx: Context): Prisma.CollectionWhereInput | undefined {
  const grants = grantsFor(ctx, "read", "collections");
  if (grants === null) return undefined;
  return { OR: grants.map((g) => collectionsInScope(g.scope)) };
}

export function readableRecords(ctx: Context): Prisma.RecordWhereInput | undefined {
  const grants = grantsFor(ctx, "read", "records");
  if (grants === null) return undefined;
  return { OR: grants.map((g) => ({ collection: collectionsInScope(g.scope) })) };
}
