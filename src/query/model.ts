/**
 * The typed query model both transports parse into (see parse.ts) and the native source compiles to SQL
 * (src/sources/native-query.ts). docs/query.md describes its semantics.
 */

/** How a field's values compare: from the collection's JSON Schema, or `untyped` when the schema does not say. */
export type ValueType = "number" | "instant" | "text" | "boolean" | "array" | "untyped";

/** A path segment inside `data`: an object key or an array index. */
export type PathSegment = string | number;

export type FieldRef =
  | { kind: "system"; name: SystemField; type: ValueType; label: string }
  | { kind: "data"; path: PathSegment[]; type: ValueType; label: string };

export const SYSTEM_FIELDS = {
  id: "text",
  external_id: "text",
  external_source: "text",
  version: "number",
  created_at: "instant",
  updated_at: "instant",
} as const satisfies Record<string, ValueType>;

export type SystemField = keyof typeof SYSTEM_FIELDS;

export const COMPARISON_OPS = ["eq", "neq", "gt", "gte", "lt", "lte"] as const;
export const OPS = [
  ...COMPARISON_OPS,
  "in",
  "not_in",
  "like",
  "ilike",
  "is_null",
  "is_not_null",
  "has",
  "search",
] as const;
export type Op = (typeof OPS)[number];

/** A scalar already checked against the field's type and converted to its comparison domain. */
export type Scalar =
  | { domain: "number"; value: number }
  | { domain: "instant"; value: string } // normalised ISO-8601 UTC
  | { domain: "text"; value: string }
  | { domain: "boolean"; value: boolean };

export type Condition =
  | { op: "eq" | "neq" | "gt" | "gte" | "lt" | "lte"; field: FieldRef; value: Scalar }
  | { op: "in" | "not_in"; field: FieldRef; values: Scalar[] }
  | { op: "like" | "ilike"; field: FieldRef; pattern: string }
  | { op: "is_null" | "is_not_null"; field: FieldRef }
  | { op: "has"; field: FieldRef; value: string | number | boolean }
  | { op: "search"; field: FieldRef; text: string };

export type Filter = { and: Filter[] } | { or: Filter[] } | Condition;

export interface SortTerm {
  field: FieldRef;
  direction: "asc" | "desc";
}

/** `exact` counts every match (the contract's default); `estimate` asks the planner; `none` skips counting. */
export type TotalMode = "exact" | "estimate" | "none";

export interface RecordQuery {
  filter?: Filter;
  /** Empty: the default order, newest first. The record id is always the last tie-breaker. */
  sort: SortTerm[];
  fields?: FieldRef[];
  limit: number;
  offset: number;
  /** Keyset cursor: sort-key values of the last row of the previous page. */
  after?: unknown[];
  total: TotalMode;
  /** One of the collection's external sources: its records are listed upstream (limit and offset only). */
  source?: string;
}

export type AggregateFn = "count" | "sum" | "avg" | "min" | "max";

export interface Aggregation {
  fn: AggregateFn;
  field?: FieldRef;
  alias: string;
}

export interface AggregateQuery {
  filter?: Filter;
  aggregations: Aggregation[];
  groupBy: FieldRef[];
}

export type SearchCondition = Extract<Condition, { op: "search" }>;

/** The first `search` condition of a filter: its score ranks results and is returned as `_search_score`. */
export function searchOf(filter: Filter | undefined): SearchCondition | undefined {
  if (!filter) return undefined;
  if ("and" in filter || "or" in filter) {
    for (const child of "and" in filter ? filter.and : filter.or) {
      const found = searchOf(child);
      if (found) return found;
    }
    return undefined;
  }
  return filter.op === "search" ? filter : undefined;
}
