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
