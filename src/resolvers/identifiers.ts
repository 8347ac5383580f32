import { type ErrorDetail, validationError } from "../errors/app-error.ts";

/** Workspace and collection ids: caller-chosen, immutable slugs. */
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;
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
