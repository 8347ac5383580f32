import { isJsonObject } from "../json-object.ts";
import { KEY, parseField } from "./fields.ts";
import { parseFilter } from "./filter.ts";
import type { AggregateFn, AggregateQuery, Aggregation, FieldRef } from "./model.ts";
import { Problems } from "./problems.ts";

const MAX_AGGREGATIONS = 20;
const MAX_GROUP_BY = 5;

const AGGREGATE_FNS: AggregateFn[] = ["count", "sum", "avg", "min", "max"];

function parseAggregation(
  spec: unknown,
  at: string,
  schema: unknown,
  aliases: Set<string>,
  problems: Problems,
): Aggregation | undefined {
  if (!isJsonObject(spec)) return problems.add(at, "must be {fn, field?, alias?}");
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
  const filter = parseFilter(input.filter, schema, problems);
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
