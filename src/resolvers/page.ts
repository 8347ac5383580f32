import { validationError } from "../errors/app-error.ts";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export interface PageInput {
  limit?: number | null;
  offset?: number | null;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface PageResult<T> extends Page {
  items: T[];
  total: number;
}

/** The contract's pagination rule: limit 1..1000 (default 50), offset ≥ 0; out of range is an error, not a clamp. */
export function parsePage(input: PageInput = {}): Page {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const offset = input.offset ?? 0;
  const details = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    details.push({ path: "limit", message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > 2_147_483_647) {
    details.push({ path: "offset", message: "must be a non-negative integer" });
  }
  if (details.length) throw validationError("Invalid pagination parameters", details);
  return { limit, offset };
}
