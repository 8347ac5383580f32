import type { Scalar, SortTerm } from "./model.ts";

export type KeyDomain = Scalar["domain"] | "uuid";

/**
 * What a sort compares, key by key: a typed field sorts by its typed value; an untyped one by its number value,
 * then its string value, then its boolean value; the record id is always the last key, so the order is total.
 * Without a sort the order is newest first (created_at, then id). A keyset cursor carries one value per key.
 */
export function sortKeyDomains(sort: SortTerm[]): KeyDomain[] {
  if (sort.length === 0) return ["instant", "uuid"];
  const domains = sort.flatMap((term): KeyDomain[] => {
    const { field } = term;
    if (field.kind === "system" && field.name === "id") return ["uuid"];
    if (field.kind === "system" || field.type !== "untyped") {
      return [field.type === "untyped" || field.type === "array" ? "text" : field.type];
    }
    return ["number", "text", "boolean"];
  });
  return [...domains, "uuid"];
}
