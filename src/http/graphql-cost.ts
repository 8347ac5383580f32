import {
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNullableType,
  isListType,
} from "graphql";
import { type ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../resolvers/page.ts";
import { overLimit } from "./graphql-refusal.ts";

const PAGE_ARGS = ["limit", "first"] as const;

/** The page size a list field asks for: its `limit`/`first`, or the default page; out of range is left to it. */
function pageSize(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number | undefined {
  const name = PAGE_ARGS.find((arg) => field.args.some((a) => a.name === arg));
  if (!name) return undefined;
  const asked = args[name];
  const size = typeof asked === "number" ? asked : DEFAULT_LIMIT;
  return Math.min(Math.max(size, 1), MAX_LIMIT);
}

/** Page and connection wrappers: their counters and cursors are one value per page, not per item. */
const isPageWrapper = (type: GraphQLCompositeType) => /(Page|Connection|PageInfo)$/.test(type.name);

/**
 * Every field costs 1 plus what it selects, and a field that returns a page (`limit`) or a list of links
 * (`first`) multiplies what it selects by that size, so nesting multiplies: records(limit: 50) → relationships(first:
 * 10) → node → relationships(first: 10) costs about 50 × 10 × 10 × the fields of a record. `total`, `limit`,
 * `pageInfo`… of a page cost nothing beyond the page itself.
 */
export const pageCostEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const size = pageSize(field, args);
  if (size !== undefined) return 1 + size * childComplexity;
  if (isPageWrapper(type) && !isListType(getNullableType(field.type))) return childComplexity;
  return 1 + childComplexity;
};

/** The estimated cost of the operation to run, with its variables; undefined when they do not coerce. */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number | undefined {
  try {
    // The field limit ran first, so the walk is bounded by it; graphql-query-complexity's own node cap is not needed.
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName,
      estimators: [pageCostEstimator],
      maxQueryNodes: Number.POSITIVE_INFINITY,
    });
  } catch {
    // Variables that do not coerce: execution reports them as it would without a budget.
    return undefined;
  }
}

export function costRefusal(cost: number | undefined, maxCost: number): GraphQLError | undefined {
  if (cost === undefined || cost <= maxCost) return undefined;
  return overLimit("maxCost", cost, maxCost, "Query cost {actual} exceeds the budget of {max}");
}
