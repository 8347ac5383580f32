import { type ErrorDetail, validationError } from "../../errors/app-error.ts";
import { isRecordId } from "../identifiers.ts";
import { fieldType } from "./field-types.ts";
import {
  type AggregateFn,
  type AggregateQuery,
  type Aggregation,
  type Condition,
  type FieldRef,
  type Filter,
  OPS,
  type Op,
  type PathSegment,
  type Scalar,
  type SortTerm,
  SYSTEM_FIELDS,
  type SystemField,
  type TotalMode,
  type ValueType,
} from "./model.ts";

/** Keys become part of SQL text (as JSON path literals), so only this alphabet is accepted. */
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const MAX_PATH_DEPTH = 10;
export const MAX_FILTER_DEPTH = 10;
const MAX_CONDITIONS = 100;
const MAX_IN_VALUES = 1000;
const MAX_SORT_TERMS = 5;
const MAX_FIELDS = 50;
const MAX_AGGREGATIONS = 20;
const MAX_GROUP_BY = 5;
const MAX_TEXT = 1000;
const MAX_SEARCH = 200;

/** The same forms rg_instant() accepts in SQL (migration *_query_functions): an offset only after a time. */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Collects every problem with a query before failing, so one response lists them all. */
class Problems {
  readonly details: ErrorDetail[] = [];
  add(path: string, message: string): undefined {
    if (this.details.length < 50) this.details.push({ path, message });
    return undefined;
  }
  throwIfAny(message: string) {
    if (this.details.length) {
      const first = this.details[0];
      throw validationError(
        this.details.length === 1 && first ? `${message}: ${first.message}` : message,
        this.details,
      );
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** `data.a.b[0].c` → ["a","b",0,"c"]; undefined when any segment is not a plain key or index. */
function parsePath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  for (const part of text.split(".")) {
    const match = /^([^[\]]+)((?:\[\d{1,6}\])*)$/.exec(part);
    if (!match?.[1] || !KEY.test(match[1])) return undefined;
    segments.push(match[1]);
    for (const index of match[2]?.matchAll(/\[(\d+)\]/g) ?? []) segments.push(Number(index[1]));
  }
  return segments.length <= MAX_PATH_DEPTH ? segments : undefined;
}

/** Resolves a field name against the system fields and the collection's schema. */
export function parseField(value: unknown, schema: unknown, at: string, problems: Problems): FieldRef | undefined {
  if (typeof value !== "string") return problems.add(at, "must be a field name such as 'data.status' or 'created_at'");
  if (value in SYSTEM_FIELDS) {
    const name = value as SystemField;
    return { kind: "system", name, type: SYSTEM_FIELDS[name], label: value };
  }
  if (!value.startsWith("data.")) {
    return problems.add(
      at,
      `unknown field '${value}': use 'data.<path>' or one of ${Object.keys(SYSTEM_FIELDS).join(", ")}`,
    );
  }
  const path = parsePath(value.slice(5));
  if (!path) {
    return problems.add(
      at,
      `invalid field path '${value}': keys are letters, digits, '_' or '-' (starting with a letter or '_'), array elements are [n], at most ${MAX_PATH_DEPTH} levels`,
    );
  }
  return { kind: "data", path, type: fieldType(schema, path), label: value };
}

/** Normalises an ISO-8601 date or date-time to a UTC instant; naive values are taken as UTC. */
export function normaliseInstant(value: string): string | undefined {
  const m = ISO_INSTANT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = m;
  const offset =
    !zone || zone.toUpperCase() === "Z"
      ? "Z"
      : zone.length === 3
        ? `${zone}:00`
        : zone.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = frac ? frac.slice(0, 4).padEnd(4, "0") : ".000";
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject rolled-over dates like 2026-02-31, which Date would silently move to March.
  const check = new Date(`${y}-${mo}-${d}T00:00:00Z`);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return undefined;
  return date.toISOString();
}

/** Converts a filter value into the comparison domain of its field, or explains why it cannot be compared. */
function toScalar(field: FieldRef, value: unknown, at: string, problems: Problems): Scalar | undefined {
  const type: ValueType = field.type;
  if (value === null || value === undefined) {
    return problems.add(at, "must not be null: use the is_null / is_not_null operators");
  }
  if (type === "array") return problems.add(at, `'${field.label}' is an array: use the 'has' operator`);
  if (type === "number" || (type === "untyped" && typeof value === "number")) {
    if (typeof value !== "number" || !Number.isFinite(value))
      return problems.add(at, `must be a number for '${field.label}'`);
    return { domain: "number", value };
  }
  if (type === "instant") {
    const instant = typeof value === "string" ? normaliseInstant(value) : undefined;
    if (!instant) return problems.add(at, `must be an ISO-8601 date or date-time for '${field.label}'`);
    return { domain: "instant", value: instant };
  }
  if (type === "boolean" || (type === "untyped" && typeof value === "boolean")) {
    if (typeof value !== "boolean") return problems.add(at, `must be true or false for '${field.label}'`);
    return { domain: "boolean", value };
  }
  if (typeof value !== "string") {
    return problems.add(
      at,
      `must be a ${type === "text" ? "string" : "string, number or boolean"} for '${field.label}'`,
    );
  }
  if (value.length > MAX_TEXT) return problems.add(at, `must be at most ${MAX_TEXT} characters`);
  if (field.kind === "system" && field.name === "id" && !isRecordId(value)) return problems.add(at, "must be a UUID");
  return { domain: "text", value };
}

interface FilterBudget {
  conditions: number;
}

function parseCondition(
  node: Record<string, unknown>,
  schema: unknown,
  at: string,
  problems: Problems,
): Condition | undefined {
  const unknownKeys = Object.keys(node).filter((k) => !["field", "op", "value"].includes(k));
  if (unknownKeys.length) problems.add(`${at}.${unknownKeys[0]}`, "is not part of a condition {field, op, value}");
  const op = node.op;
  if (typeof op !== "string" || !(OPS as readonly string[]).includes(op)) {
    return problems.add(
      `${at}.op`,
      typeof op === "string" ? `unknown operator '${op}'` : `must be one of ${OPS.join(", ")}`,
    );
  }
  const field = parseField(node.field, schema, `${at}.field`, problems);
  if (!field) return undefined;
  const valueAt = `${at}.value`;
  switch (op as Op) {
    case "eq":
    case "neq":
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      if (op !== "eq" && op !== "neq" && (field.type === "boolean" || typeof node.value === "boolean")) {
        return problems.add(`${at}.op`, `'${op}' does not apply to booleans`);
      }
      const value = toScalar(field, node.value, valueAt, problems);
      return value && { op: op as "eq", field, value };
    }
    case "in":
    case "not_in": {
      if (!Array.isArray(node.value)) return problems.add(valueAt, "must be an array");
      if (node.value.length > MAX_IN_VALUES) return problems.add(valueAt, `must have at most ${MAX_IN_VALUES} values`);
      const values = node.value.map((v, i) => toScalar(field, v, `${valueAt}[${i}]`, problems));
      return values.every((v) => v !== undefined) ? { op: op as "in", field, values: values as Scalar[] } : undefined;
    }
    case "like":
    case "ilike": {
      if (field.type !== "text" && field.type !== "untyped") {
        return problems.add(`${at}.op`, `'${op}' applies to text fields; '${field.label}' is ${field.type}`);
      }
      if (typeof node.value !== "string" || node.value.length === 0 || node.value.length > MAX_TEXT) {
        return problems.add(valueAt, `must be a non-empty pattern of at most ${MAX_TEXT} characters`);
      }
      return { op: op as "like", field, pattern: node.value };
    }
    case "is_null":
    case "is_not_null":
      if (node.value !== undefined && node.value !== null && node.value !== true) {
        return problems.add(valueAt, `'${op}' takes no value`);
      }
      return { op: op as "is_null", field };
    case "has": {
      if (field.type !== "array" && field.type !== "untyped") {
        return problems.add(`${at}.op`, `'has' applies to array fields; '${field.label}' is ${field.type}`);
      }
      const v = node.value;
      if (!(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) {
        return problems.add(valueAt, "must be a string, number or boolean");
      }
      return { op: "has", field, value: v };
    }
    case "search": {
      if (field.type !== "text" && field.type !== "untyped") {
        return problems.add(`${at}.op`, `'search' applies to text fields; '${field.label}' is ${field.type}`);
      }
      if (field.kind === "system" && field.name === "id") return problems.add(`${at}.field`, "ids cannot be searched");
      const text = typeof node.value === "string" ? node.value.trim() : "";
      if (!text || text.length > MAX_SEARCH) {
        return problems.add(valueAt, `must be a non-empty search text of at most ${MAX_SEARCH} characters`);
      }
      return { op: "search", field, text };
    }
  }
}

function parseFilterNode(
  node: unknown,
  schema: unknown,
  at: string,
  depth: number,
  budget: FilterBudget,
  problems: Problems,
): Filter | undefined {
  if (!isObject(node)) return problems.add(at, "must be an object: {field, op, value}, {and: [...]} or {or: [...]}");
  if (depth > MAX_FILTER_DEPTH) return problems.add(at, `filters nest at most ${MAX_FILTER_DEPTH} levels deep`);
  const keys = Object.keys(node);
  const mongo = keys.find((k) => k.startsWith("$") || k.startsWith("data."));
  if (mongo) {
    return problems.add(`${at}.${mongo}`, "Mongo-style filters are not supported: use {field, op, value}");
  }
  for (const group of ["and", "or"] as const) {
    if (!(group in node)) continue;
    if (keys.length !== 1) return problems.add(at, `'${group}' must be the only key of its object`);
    const children = node[group];
    if (!Array.isArray(children) || children.length === 0)
      return problems.add(`${at}.${group}`, "must be a non-empty array");
    const parsed = children.map((child, i) =>
      parseFilterNode(child, schema, `${at}.${group}[${i}]`, depth + 1, budget, problems),
    );
    return parsed.every((p) => p !== undefined) ? ({ [group]: parsed as Filter[] } as Filter) : undefined;
  }
  if (!("field" in node) && !("op" in node)) {
    return problems.add(at, "must be {field, op, value}, {and: [...]} or {or: [...]}");
  }
  budget.conditions++;
  if (budget.conditions === MAX_CONDITIONS + 1) problems.add(at, `a filter has at most ${MAX_CONDITIONS} conditions`);
  return parseCondition(node, schema, at, problems);
}

function parseSort(input: unknown, schema: unknown, problems: Problems, path = "sort"): SortTerm[] {
  if (input === undefined || input === null) return [];
  const terms = Array.isArray(input) ? input : [input];
  if (terms.length > MAX_SORT_TERMS) {
    problems.add(path, `at most ${MAX_SORT_TERMS} terms`);
    return [];
  }
  const sort: SortTerm[] = [];
  terms.forEach((term, i) => {
    const at = Array.isArray(input) ? `${path}[${i}]` : path;
    if (!isObject(term)) {
      problems.add(at, "must be {field, direction}: strings such as 'data.name:asc' are not accepted");
      return;
    }
    const extra = Object.keys(term).find((k) => !["field", "direction", "order"].includes(k));
    if (extra) problems.add(`${at}.${extra}`, "is not part of a sort term {field, direction}");
    const direction = term.direction ?? term.order ?? "asc";
    if (direction !== "asc" && direction !== "desc") problems.add(`${at}.direction`, "must be 'asc' or 'desc'");
    const field = parseField(term.field, schema, `${at}.field`, problems);
    if (field?.type === "array") problems.add(`${at}.field`, `'${field.label}' is an array and cannot be sorted on`);
    if (field && (direction === "asc" || direction === "desc")) sort.push({ field, direction });
  });
  return sort;
}

export interface QueryInput {
  filter?: unknown;
  sort?: unknown;
  fields?: unknown;
  total?: unknown;
}

export interface ParsedQueryParts {
  filter?: Filter;
  sort: SortTerm[];
  fields?: FieldRef[];
  total: TotalMode;
}

/** Parses the filter, sort, projection and total mode of a record query against the collection's schema. */
export function parseQueryParts(input: QueryInput, schema: unknown): ParsedQueryParts {
  const problems = new Problems();
  const budget = { conditions: 0 };
  const filter =
    input.filter === undefined || input.filter === null
      ? undefined
      : parseFilterNode(input.filter, schema, "filter", 1, budget, problems);
  const sort = parseSort(input.sort, schema, problems);
  let fields: FieldRef[] | undefined;
  if (input.fields !== undefined && input.fields !== null) {
    if (!Array.isArray(input.fields) || input.fields.length === 0 || input.fields.length > MAX_FIELDS) {
      problems.add("fields", `must be a list of 1 to ${MAX_FIELDS} field names`);
    } else {
      fields = input.fields
        .map((f, i) => parseField(f, schema, `fields[${i}]`, problems))
        .filter((f): f is FieldRef => f !== undefined);
    }
  }
  const total = input.total ?? "exact";
  if (total !== "exact" && total !== "estimate" && total !== "none") {
    problems.add("total", "must be 'exact', 'estimate' or 'none'");
  }
  problems.throwIfAny("Invalid query");
  return { filter, sort, fields, total: total as TotalMode };
}

const AGGREGATE_FNS: AggregateFn[] = ["count", "sum", "avg", "min", "max"];

function parseAggregation(
  spec: unknown,
  at: string,
  schema: unknown,
  aliases: Set<string>,
  problems: Problems,
): Aggregation | undefined {
  if (!isObject(spec)) return problems.add(at, "must be {fn, field?, alias?}");
  const extra = Object.keys(spec).find((k) => !["fn", "field", "alias"].includes(k));
  if (extra) problems.add(`${at}.${extra}`, "is not part of an aggregation {fn, field, alias}");
  const fn = spec.fn as AggregateFn;
  if (!AGGREGATE_FNS.includes(fn)) return problems.add(`${at}.fn`, `must be one of ${AGGREGATE_FNS.join(", ")}`);
  let field: FieldRef | undefined;
  if (spec.field !== undefined) field = parseField(spec.field, schema, `${at}.field`, problems);
  else if (fn !== "count") return problems.add(`${at}.field`, `'${fn}' needs a field`);
  if (field && (fn === "sum" || fn === "avg") && field.type !== "number" && field.type !== "untyped") {
    return problems.add(`${at}.field`, `'${fn}' needs a numeric field; '${field.label}' is ${field.type}`);
  }
  if (field?.type === "array" && fn !== "count") return problems.add(`${at}.field`, `'${fn}' does not apply to arrays`);
  const alias = spec.alias ?? fn;
  if (typeof alias !== "string" || !KEY.test(alias)) return problems.add(`${at}.alias`, "must be a simple name");
  if (aliases.has(alias)) {
    return problems.add(`${at}.alias`, `'${alias}' is used twice; give each aggregation an alias`);
  }
  aliases.add(alias);
  return { fn, field, alias };
}

export interface AggregateInput {
  aggregations?: unknown;
  group_by?: unknown;
  filter?: unknown;
}

/** Parses an aggregation request: `{aggregations: [{fn, field?, alias?}], group_by?: [...], filter?}`. */
export function parseAggregate(input: AggregateInput, schema: unknown): AggregateQuery {
  const problems = new Problems();
  const filter =
    input.filter === undefined || input.filter === null
      ? undefined
      : parseFilterNode(input.filter, schema, "filter", 1, { conditions: 0 }, problems);
  const aggregations: Aggregation[] = [];
  const aliases = new Set<string>();
  if (
    !Array.isArray(input.aggregations) ||
    input.aggregations.length === 0 ||
    input.aggregations.length > MAX_AGGREGATIONS
  ) {
    problems.add("aggregations", `must be a list of 1 to ${MAX_AGGREGATIONS} aggregations`);
  } else {
    input.aggregations.forEach((spec, i) => {
      const aggregation = parseAggregation(spec, `aggregations[${i}]`, schema, aliases, problems);
      if (aggregation) aggregations.push(aggregation);
    });
  }
  let groupBy: FieldRef[] = [];
  if (input.group_by !== undefined && input.group_by !== null) {
    if (!Array.isArray(input.group_by) || input.group_by.length > MAX_GROUP_BY) {
      problems.add("group_by", `must be a list of at most ${MAX_GROUP_BY} fields`);
    } else {
      groupBy = input.group_by
        .map((f, i) => parseField(f, schema, `group_by[${i}]`, problems))
        .filter((f): f is FieldRef => f !== undefined);
      for (const f of groupBy) if (aliases.has(f.label)) problems.add("group_by", `'${f.label}' clashes with an alias`);
    }
  }
  problems.throwIfAny("Invalid aggregation");
  return { filter, aggregations, groupBy };
}

const MAX_INDEXES = 10;

/** A declared index: the fields (and directions) it orders records by, within one collection. */
export type IndexSpec = SortTerm[];

/**
 * Parses a collection's `indexes`: `[{fields: [{field, direction}]}]`, each field typed by the schema being saved.
 * Returns the specs and their normalised JSON for storage.
 */
export function parseIndexes(input: unknown, schema: unknown): { specs: IndexSpec[]; stored: unknown[] } {
  const problems = new Problems();
  if (input === undefined || input === null) return { specs: [], stored: [] };
  if (!Array.isArray(input) || input.length > MAX_INDEXES) {
    problems.add("indexes", `must be a list of at most ${MAX_INDEXES} indexes`);
    problems.throwIfAny("Invalid indexes");
  }
  const specs = (input as unknown[]).map((index, i) => {
    const at = `indexes[${i}]`;
    if (!isObject(index) || !Array.isArray(index.fields) || index.fields.length === 0) {
      problems.add(at, "must be {fields: [{field, direction}]} with at least one field");
      return [];
    }
    const extra = Object.keys(index).find((k) => k !== "fields");
    if (extra) problems.add(`${at}.${extra}`, "is not part of an index {fields}");
    return parseSort(index.fields, schema, problems, `${at}.fields`);
  });
  problems.throwIfAny("Invalid indexes");
  const stored = specs.map((fields) => ({
    fields: fields.map((f) => ({ field: f.field.label, direction: f.direction })),
  }));
  return { specs, stored };
}
