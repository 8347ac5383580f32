import { isRecordId } from "../identifiers.ts";
import { isJsonObject } from "../json-object.ts";
import { parseField } from "./fields.ts";
import { normaliseInstant } from "./instants.ts";
import { type Condition, type FieldRef, type Filter, OPS, type Op, type Scalar, type ValueType } from "./model.ts";
import type { Problems } from "./problems.ts";

const MAX_FILTER_DEPTH = 10;
const MAX_CONDITIONS = 100;
const MAX_IN_VALUES = 1000;
const MAX_TEXT = 1000;
const MAX_SEARCH = 200;

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
  if (!isJsonObject(node))
    return problems.add(at, "must be an object: {field, op, value}, {and: [...]} or {or: [...]}");
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

/** Parses a filter tree; undefined when absent or invalid (then `problems` says why). */
export function parseFilter(input: unknown, schema: unknown, problems: Problems): Filter | undefined {
  if (input === undefined || input === null) return undefined;
  return parseFilterNode(input, schema, "filter", 1, { conditions: 0 }, problems);
}
