/**
 * An in-memory evaluator of docs/query.md, written independently of the SQL compiler: the property test checks
 * that the database returns exactly what this returns.
 */

export interface RefRecord {
  id: string;
  external_id: string | null;
  version: number;
  created_at: string;
  data: Record<string, unknown>;
}

export type FieldType = "number" | "text" | "instant" | "boolean" | "array" | "untyped";
type Domain = "number" | "text" | "instant" | "boolean";

export interface RefCondition {
  field: string;
  op: string;
  value?: unknown;
}
export type RefFilter = RefCondition | { and: RefFilter[] } | { or: RefFilter[] };
export interface RefSort {
  field: string;
  direction: "asc" | "desc";
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Milliseconds since the epoch for the ISO forms the contract accepts (naive = UTC), else null. */
export function instantOf(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const z =
    zone.toUpperCase() === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${(frac || ".000").slice(0, 4).padEnd(4, "0")}${z}`);
  return Number.isNaN(ms) ? null : ms;
}

function valueAt(record: RefRecord, field: string): unknown {
  if (!field.startsWith("data.")) return (record as unknown as Record<string, unknown>)[field] ?? undefined;
  let node: unknown = record.data;
  for (const part of field.slice(5).split(".")) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    node =
      node && typeof node === "object" && !Array.isArray(node)
        ? (node as Record<string, unknown>)[m[1] as string]
        : undefined;
    for (const idx of m[2]?.matchAll(/\[(\d+)\]/g) ?? []) node = Array.isArray(node) ? node[Number(idx[1])] : undefined;
  }
  return node;
}

function view(value: unknown, domain: Domain): number | string | boolean | null {
  switch (domain) {
    case "number":
      return typeof value === "number" ? value : null;
    case "text":
      return typeof value === "string" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "instant":
      return instantOf(value);
  }
}

function domainOf(type: FieldType, value: unknown): Domain {
  if (type === "number" || type === "instant" || type === "boolean" || type === "text") return type;
  return typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "text";
}

function normalise(value: unknown, domain: Domain): number | string | boolean | null {
  return domain === "instant" ? instantOf(value) : (value as number | string | boolean);
}

const cmp = (a: number | string | boolean, b: number | string | boolean) => (a < b ? -1 : a > b ? 1 : 0);

function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const hasWildcard = /(^|[^\\])(\\\\)*[%_]/.test(pattern);
  const p = hasWildcard ? pattern : `%${pattern}%`;
  let out = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === "\\" && i + 1 < p.length) out += (p[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "%") out += "[\\s\\S]*";
    else if (c === "_") out += "[\\s\\S]";
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, insensitive ? "i" : "");
}

export function matches(record: RefRecord, filter: RefFilter, types: Record<string, FieldType>): boolean {
  if ("and" in filter) return filter.and.every((f) => matches(record, f, types));
  if ("or" in filter) return filter.or.some((f) => matches(record, f, types));
  const raw = valueAt(record, filter.field);
  const type = types[filter.field] ?? "untyped";
  const scalar = (v: unknown) => {
    const domain = domainOf(type, v);
    return { actual: view(raw, domain), expected: normalise(v, domain) };
  };
  switch (filter.op) {
    case "eq": {
      const { actual, expected } = scalar(filter.value);
      return actual !== null && actual === expected;
    }
    case "neq": {
      const { actual, expected } = scalar(filter.value);
      return actual === null || actual !== expected;
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const { actual, expected } = scalar(filter.value);
      if (actual === null || expected === null) return false;
      const c = cmp(actual, expected);
      return filter.op === "gt" ? c > 0 : filter.op === "gte" ? c >= 0 : filter.op === "lt" ? c < 0 : c <= 0;
    }
    case "in":
    case "not_in": {
      const found = (filter.value as unknown[]).some((v) => {
        const { actual, expected } = scalar(v);
        return actual !== null && actual === expected;
      });
      return filter.op === "in" ? found : !found;
    }
    case "like":
    case "ilike":
      return typeof raw === "string" && likeRegex(String(filter.value), filter.op === "ilike").test(raw);
    case "is_null":
      return raw === undefined || raw === null;
    case "is_not_null":
      return raw !== undefined && raw !== null;
    case "has":
      return Array.isArray(raw) && raw.some((e) => e === filter.value);
    default:
      throw new Error(`reference: unknown op ${filter.op}`);
  }
}

/** Sort keys per term (typed: one; untyped: number, text, boolean); null is the largest value. */
export function compare(a: RefRecord, b: RefRecord, sort: RefSort[], types: Record<string, FieldType>): number {
  if (sort.length === 0) {
    return cmp(b.created_at, a.created_at) || cmp(b.id, a.id);
  }
  for (const term of sort) {
    const type = types[term.field] ?? "untyped";
    const domains: Domain[] = type === "untyped" ? ["number", "text", "boolean"] : [type as Domain];
    for (const domain of domains) {
      const x = view(valueAt(a, term.field), domain);
      const y = view(valueAt(b, term.field), domain);
      let c = 0;
      if (x === null && y !== null) c = 1;
      else if (x !== null && y === null) c = -1;
      else if (x !== null && y !== null) c = cmp(x, y);
      if (c !== 0) return term.direction === "desc" ? -c : c;
    }
  }
  return cmp(a.id, b.id);
}

export function evaluate(
  records: RefRecord[],
  query: { filter?: RefFilter; sort?: RefSort[]; limit: number; offset: number },
  types: Record<string, FieldType>,
): { ids: string[]; total: number } {
  const matched = records.filter((r) => !query.filter || matches(r, query.filter, types));
  matched.sort((a, b) => compare(a, b, query.sort ?? [], types));
  return { ids: matched.slice(query.offset, query.offset + query.limit).map((r) => r.id), total: matched.length };
}
