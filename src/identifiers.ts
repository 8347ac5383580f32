import { type ErrorDetail, validationError } from "./errors/app-error.ts";

/** Workspace and collection ids: caller-chosen, immutable slugs. */
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Any workspace id: a production slug, or a preview's `<production id>--<name>` (two slugs). Only the characters
 * of a slug, so an id may be written into index definitions (src/sources/native-indexes.ts).
 */
const WORKSPACE_ID = /^[a-z0-9][a-z0-9_-]{0,62}(?:--[a-z0-9][a-z0-9_-]{0,62})?$/;
export const isWorkspaceId = (value: string) => WORKSPACE_ID.test(value);

/** Separates a preview's name from its production workspace's id. */
export const PREVIEW_SEPARATOR = "--";

/**
 * The production workspace an id belongs to: itself, or a preview's parent. Sound because production ids contain
 * no '--' and do not end in '-' (workspaceSlugProblem, and a trigger in the database), so the first '--'
 * of a preview id is where its parent's id ends.
 */
export function productionIdOf(workspaceId: string): string {
  const at = workspaceId.indexOf(PREVIEW_SEPARATOR);
  return at < 0 ? workspaceId : workspaceId.slice(0, at);
}

/** Why `value` cannot name a new production workspace, or a preview (`what` says which), if it cannot. */
export function workspaceSlugProblem(value: string, path: string, what: string): ErrorDetail | undefined {
  if (!SLUG.test(value)) {
    return {
      path,
      message: `${what} must be 1-63 characters of a-z, 0-9, '_' or '-', starting with a letter or digit`,
    };
  }
  if (value.includes(PREVIEW_SEPARATOR) || value.endsWith("-")) {
    return { path, message: `${what} must not contain '--' or end in '-': '--' separates a preview's name` };
  }
  return undefined;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path segments under /v1 that can never be workspace ids. */
export const RESERVED_WORKSPACE_IDS = new Set(["tokens", "vault", "workspaces", "attachments", "health", "internal"]);

export function slugProblem(value: string, what: string): ErrorDetail | undefined {
  if (!SLUG.test(value)) {
    return {
      path: "id",
      message: `${what} id must be 1-63 characters of a-z, 0-9, '_' or '-', starting with a letter or digit`,
    };
  }
  return undefined;
}

export function assertSlug(value: string, what: string): void {
  const problem = slugProblem(value, what);
  if (problem) throw validationError(`Invalid ${what} id '${value}'`, [problem]);
}

export const isRecordId = (value: string) => UUID.test(value);

const MAX_NAME = 200;
const MAX_DESCRIPTION = 2000;

/**
 * The display fields workspaces and collections share. `name: null` counts as a problem only when the name is
 * required (a workspace's); a collection's name falls back to its id.
 */
export function displayFieldProblems(
  input: { name?: string | null; description?: string | null },
  nameRequired: boolean,
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const { name, description } = input;
  if ((name === null && nameRequired) || (typeof name === "string" && (!name.trim() || name.length > MAX_NAME))) {
    details.push({ path: "name", message: `must be a non-empty string of at most ${MAX_NAME} characters` });
  }
  if (description && description.length > MAX_DESCRIPTION) {
    details.push({ path: "description", message: `must be at most ${MAX_DESCRIPTION} characters` });
  }
  return details;
}
