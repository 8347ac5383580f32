import { createHash } from "node:crypto";
import { validationError } from "../errors/app-error.ts";
import type { SortTerm } from "./model.ts";

/** Sorts seen recently and their signatures: every page of a query hashes the same sort again. */
const signatures = new Map<string, string>();
const SIGNATURES_KEPT = 1000;

/** Ties a cursor to the sort it was made for, so it cannot be replayed against another order. */
function signature(sort: SortTerm[]): string {
  const spec = sort.map((t) => `${t.field.label}:${t.direction}:${t.field.type}`).join(",");
  let signed = signatures.get(spec);
  if (signed === undefined) {
    signed = createHash("sha256").update(spec).digest("base64url").slice(0, 12);
    if (signatures.size >= SIGNATURES_KEPT) signatures.clear();
    signatures.set(spec, signed);
  }
  return signed;
}

/** An opaque keyset cursor: the sort-key values of the last row of a page. */
export function encodeCursor(sort: SortTerm[], keys: Array<string | null>): string {
  return Buffer.from(JSON.stringify({ s: signature(sort), k: keys })).toString("base64url");
}

export function decodeCursor(cursor: string, sort: SortTerm[], keyCount: number): Array<string | null> {
  const invalid = (message: string) => validationError("Invalid cursor", [{ path: "after", message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("is not a cursor returned by this API");
  }
  const { s, k } = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (
    !Array.isArray(k) ||
    k.length !== keyCount ||
    !k.every((v) => v === null || (typeof v === "string" && v.length <= 2000))
  ) {
    throw invalid("is not a cursor returned by this API");
  }
  if (s !== signature(sort)) throw invalid("was made for a different sort; start again without 'after'");
  return k as Array<string | null>;
}
