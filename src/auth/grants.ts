import type { ErrorDetail } from "../errors/app-error.ts";
import { productionIdOf } from "../identifiers.ts";

/** The resource kinds permissions name (the contract's list). */
export const RESOURCES = [
  "workspaces",
  "collections",
  "records",
  "relationships",
  "attachments",
  "hooks",
  "triggers",
] as const;
export type Resource = (typeof RESOURCES)[number];
export type Action = "read" | "write";
export type Environment = "production" | "preview";

/** `read:records`, `write:collections`, …, or `*` for all of them. */
export type Permission = `${Action}:${Resource}` | "*";

export interface Grant {
  scope: {
    /** Workspace ids, or `*` for every workspace. */
    workspaces: string[];
    /** Absent: every collection of those workspaces. */
    collections?: string[];
    /** Absent: both environments. */
    environments?: Environment[];
  };
  permissions: Permission[];
}

/** What one operation needs: checked against every grant; one that covers it all is enough. */
export interface Need {
  action: Action;
  resource: Resource;
  /** Absent for account-level operations (listing workspaces, creating one is named by its id). */
  workspaceId?: string;
  /** For operations on one collection's data or definition. */
  collectionId?: string;
  /** The workspace's environment, when a grant restricts environments. */
  environment?: Environment;
}

const ALIASES: Record<string, Resource> = { models: "collections" };
/** Scopes of Rekord that Recordgate has no counterpart for: refused rather than silently ignored. */
const UNSUPPORTED = new Set(["contributions", "contexts", "rules"]);
const ENVIRONMENTS: readonly Environment[] = ["production", "preview"];
const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Canonical form of a permission: `read:records`; seed 001's `records:read` and `models:*` are accepted too. */
export function normalisePermission(value: string): Permission | string {
  if (value === "*") return "*";
  const [a, b] = value.split(":");
  if (!a || !b) return value;
  const [action, resource] = a === "read" || a === "write" ? [a, b] : [b, a];
  return `${action}:${ALIASES[resource] ?? resource}`;
}

function isPermission(value: string): value is Permission {
  if (value === "*") return true;
  const [action, resource] = value.split(":");
  return (action === "read" || action === "write") && (RESOURCES as readonly string[]).includes(resource ?? "");
}

function idList(value: unknown, path: string, details: ErrorDetail[], wildcard: boolean): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    details.push({ path, message: "must be a non-empty list of ids" });
    return undefined;
  }
  const ids = value.filter((v): v is string => typeof v === "string" && (ID.test(v) || (wildcard && v === "*")));
  if (ids.length !== value.length) {
    details.push({ path, message: wildcard ? "must hold ids or '*'" : "must hold collection ids" });
    return undefined;
  }
  return [...new Set(ids)];
}

/** Validates and normalises a token's grants; problems are reported at `grants[i]…` paths. */
export function parseGrants(input: unknown, details: ErrorDetail[]): Grant[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > 50) {
    details.push({ path: "grants", message: "must be a non-empty list of at most 50 grants" });
    return [];
  }
  return input.flatMap((grant, i): Grant[] => {
    const at = `grants[${i}]`;
    if (!grant || typeof grant !== "object" || Array.isArray(grant)) {
      details.push({ path: at, message: "must be {scope: {workspaces, collections?, environments?}, permissions}" });
      return [];
    }
    const { scope, permissions, ...extra } = grant as Record<string, unknown>;
    for (const key of Object.keys(extra)) details.push({ path: `${at}.${key}`, message: "is not part of a grant" });
    if (!scope || typeof scope !== "object" || Array.isArray(scope)) {
      details.push({ path: `${at}.scope`, message: "must be {workspaces, collections?, environments?}" });
      return [];
    }
    const { workspaces, collections, environments, ...extraScope } = scope as Record<string, unknown>;
    for (const key of Object.keys(extraScope)) {
      details.push({ path: `${at}.scope.${key}`, message: "is not part of a scope" });
    }
    const parsed: Grant = { scope: { workspaces: [] }, permissions: [] };
    parsed.scope.workspaces = idList(workspaces, `${at}.scope.workspaces`, details, true) ?? [];
    if (collections !== undefined) {
      parsed.scope.collections = idList(collections, `${at}.scope.collections`, details, false);
    }
    if (environments !== undefined) {
      const valid =
        Array.isArray(environments) &&
        environments.length > 0 &&
        environments.every((e) => ENVIRONMENTS.includes(e as Environment));
      if (valid) parsed.scope.environments = [...new Set(environments as Environment[])];
      else details.push({ path: `${at}.scope.environments`, message: "must list 'production' and/or 'preview'" });
    }
    if (!Array.isArray(permissions) || permissions.length === 0) {
      details.push({ path: `${at}.permissions`, message: "must be a non-empty list such as ['read:records']" });
    } else {
      permissions.forEach((p, j) => {
        const value = typeof p === "string" ? normalisePermission(p) : "";
        const resource = typeof p === "string" ? p.split(":").find((part) => UNSUPPORTED.has(part)) : undefined;
        if (isPermission(value)) {
          if (!parsed.permissions.includes(value)) parsed.permissions.push(value);
        } else {
          details.push({
            path: `${at}.permissions[${j}]`,
            message: resource
              ? `'${resource}' is a Rekord scope with no counterpart in Recordgate`
              : `must be '*' or read:/write: followed by one of ${RESOURCES.join(", ")}`,
          });
        }
      });
    }
    return [parsed];
  });
}

const includes = (list: string[] | undefined, value: string | undefined) =>
  list === undefined || (value !== undefined && list.includes(value));

/**
 * Whether a grant's workspace list covers a workspace: `*`, its id, or, for a preview, its production workspace's
 * id (a grant on `acme` covers `acme--feature`; `environments` can then narrow it to previews).
 */
export const coversWorkspace = (workspaces: string[], workspaceId: string) =>
  workspaces.includes("*") || workspaces.includes(workspaceId) || workspaces.includes(productionIdOf(workspaceId));

/** Whether one grant covers what an operation needs. */
function grantAllows(grant: Grant, need: Need): boolean {
  const { scope } = grant;
  const permitted = grant.permissions.includes("*") || grant.permissions.includes(`${need.action}:${need.resource}`);
  if (!permitted) return false;
  if (need.workspaceId !== undefined && !coversWorkspace(scope.workspaces, need.workspaceId)) return false;
  // An operation on one collection needs that collection in scope; one on the workspace's whole set of
  // collections (listing them, or a workspace-level change) needs a grant without a collection restriction.
  if (scope.collections !== undefined && !includes(scope.collections, need.collectionId)) return false;
  if (scope.environments !== undefined && !includes(scope.environments, need.environment)) return false;
  return true;
}

export function allows(grants: Grant[], need: Need): boolean {
  return grants.some((grant) => grantAllows(grant, need));
}

/** Whether any grant restricts environments, i.e. whether checking `grants` needs the workspace's environment. */
export const needsEnvironment = (grants: Grant[]) => grants.some((g) => g.scope.environments !== undefined);

/**
 * The privilege ceiling: a token may only hand out what it holds. Every (workspace, permission) of the child
 * grant must be allowed by the parent's grants for all of the child's collections and environments.
 */
export function covers(parent: Grant[], child: Grant): boolean {
  const permissions: Permission[] = child.permissions.includes("*") ? ["*"] : child.permissions;
  const environments = child.scope.environments ?? [undefined];
  const collections = child.scope.collections ?? [undefined];
  return child.scope.workspaces.every((workspace) =>
    permissions.every((permission) =>
      parent.some((p) => {
        if (!p.permissions.includes("*") && !p.permissions.includes(permission)) return false;
        if (
          !p.scope.workspaces.includes("*") &&
          (workspace === "*" || !coversWorkspace(p.scope.workspaces, workspace))
        ) {
          return false;
        }
        if (p.scope.collections !== undefined && !collections.every((c) => includes(p.scope.collections, c))) {
          return false;
        }
        if (p.scope.environments !== undefined && !environments.every((e) => includes(p.scope.environments, e))) {
          return false;
        }
        return true;
      }),
    ),
  );
}
