import { validationError } from "../errors/app-error.ts";
import type { Collection } from "../generated/prisma/client.ts";
import { type AggregateInput, parseAggregate } from "../query/aggregate.ts";
import { decodeCursor, encodeCursor } from "../query/cursor.ts";
import { type Aggregation, searchOf } from "../query/model.ts";
import { parseQueryParts, type QueryInput } from "../query/parse.ts";
import { sortKeyDomains } from "../query/sort-keys.ts";
import type { RecordRow } from "../sources/record-source.ts";
import { authorize } from "./authorize.ts";
import { requireCollection } from "./collections.ts";
import type { Context } from "./context.ts";
import { isProxied } from "./external.ts";
import { type Page, type PageInput, parsePage } from "./page.ts";
import { assertStorable } from "./storable.ts";

export interface RecordQueryInput extends PageInput, QueryInput {
  /** A `next_cursor` from a previous page of the same query. */
  after?: string | null;
  /**
   * Only records from this external source: a source of the collection is listed upstream; any other value filters
   * the stored records by their external_source.
   */
  externalSource?: string | null;
}

export interface RecordQueryPage {
  items: RecordRow[];
  /** null when the caller asked for `total: "none"`. */
  total: number | null;
  /** true when `total` is the planner's estimate rather than a count. */
  totalEstimated: boolean;
  limit: number;
  offset: number;
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Lists a collection's records: filter, sort, projection, offset or keyset pagination, and the total. */
export async function queryRecords(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  input: RecordQueryInput = {},
): Promise<RecordQueryPage> {
  const { filter, sort, fields, externalSource } = input;
  assertStorable(
    {
      workspace: workspaceId,
      collection: collectionId,
      filter,
      sort,
      fields,
      after: input.after,
      external_source: externalSource,
    },
    ctx.limits.maxJsonDepth,
    "Invalid query",
  );
  await authorize(ctx, "read", "records", workspaceId, collectionId);
  const page = parsePage(input);
  const collection = await requireCollection(ctx, workspaceId, collectionId);
  if (input.externalSource != null) {
    if (typeof input.externalSource !== "string" || input.externalSource.length > 255) {
      throw validationError("Invalid external_source", [{ path: "external_source", message: "must be a string" }]);
    }
    if (isProxied(collection, input.externalSource)) return listExternal(ctx, collection, input, page);
    const bySource = { field: "external_source", op: "eq", value: input.externalSource };
    input = { ...input, filter: input.filter == null ? bySource : { and: [input.filter, bySource] } };
  }
  const parts = parseQueryParts(input, collection.jsonSchema);
  // A search without a sort is ranked by score, which a keyset cursor does not carry.
  const rankedBySearch = parts.sort.length === 0 && searchOf(parts.filter) !== undefined;
  let after: Array<string | null> | undefined;
  if (input.after != null) {
    if (rankedBySearch) {
      throw validationError("Cursors need an explicit sort when searching", [
        { path: "after", message: "add a sort, or page with offset" },
      ]);
    }
    if (page.offset !== 0) {
      throw validationError("Use either offset or after, not both", [
        { path: "offset", message: "must be 0 with after" },
      ]);
    }
    after = decodeCursor(input.after, parts.sort, sortKeyDomains(parts.sort).length);
  }
  const result = await ctx.records.query(
    { workspaceId, collectionId },
    { ...parts, ...page, ...(after ? { after } : {}) },
  );
  const last = result.lastKeys;
  return {
    items: result.items,
    total: result.total,
    totalEstimated: parts.total === "estimate",
    ...page,
    nextCursor: last && !rankedBySearch && result.items.length === page.limit ? encodeCursor(parts.sort, last) : null,
  };
}

/**
 * A page of a source's records, listed upstream. Only what every upstream can do: offset pages. Filters, sorts,
 * projections and cursors would be evaluated on one page only, a silent partial answer, so they are refused.
 */
async function listExternal(
  ctx: Context,
  collection: Collection,
  input: RecordQueryInput,
  page: Page,
): Promise<RecordQueryPage> {
  const source = input.externalSource as string;
  const unsupported = (["filter", "sort", "fields", "after"] as const).filter((key) => input[key] != null);
  if (unsupported.length) {
    throw validationError(`Records of source '${source}' can only be paged with limit and offset`, [
      ...unsupported.map((key) => ({ path: key, message: `is not supported for source '${source}'` })),
    ]);
  }
  const ref = { workspaceId: collection.workspaceId, collectionId: collection.id };
  const result = await ctx.records.query(ref, { sort: [], total: "exact", ...page, source });
  return { items: result.items, total: result.total, totalEstimated: false, ...page, nextCursor: null };
}

export interface AggregateResult {
  /** One object per group: each group_by field under its name, then each aggregation under its alias. */
  groups: Array<Record<string, unknown>>;
}

/** PostgreSQL returns numeric and bigint results as strings and instants as Dates: make them plain JSON. */
function toJsonValue(value: unknown, a: Aggregation): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const numeric = a.fn === "count" || a.fn === "sum" || a.fn === "avg" || a.field?.type === "number";
  return numeric || (a.field?.type === "untyped" && typeof value === "string") ? Number(value) : value;
}

/** count / sum / avg / min / max over the matching records, optionally grouped. */
export async function aggregateRecords(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  input: AggregateInput,
): Promise<AggregateResult> {
  const { aggregations, group_by, filter } = input;
  assertStorable(
    { workspace: workspaceId, collection: collectionId, aggregations, group_by, filter },
    ctx.limits.maxJsonDepth,
    "Invalid aggregation",
  );
  await authorize(ctx, "read", "records", workspaceId, collectionId);
  const collection = await requireCollection(ctx, workspaceId, collectionId);
  const query = parseAggregate(input, collection.jsonSchema);
  const rows = await ctx.records.aggregate({ workspaceId, collectionId }, query);
  if (rows.length > 1000) {
    throw validationError("Too many groups", [
      { path: "group_by", message: "produces more than 1000 groups; filter first" },
    ]);
  }
  return {
    groups: rows.map((row) => {
      const group: Record<string, unknown> = {};
      query.groupBy.forEach((field, i) => {
        const value = row[`g${i}`];
        // numeric arrives as a string and timestamptz as a Date: return JSON numbers and ISO strings.
        group[field.label] =
          value instanceof Date
            ? value.toISOString()
            : field.type === "number" && value !== null && value !== undefined
              ? Number(value)
              : (value ?? null);
      });
      query.aggregations.forEach((a, i) => {
        group[a.alias] = toJsonValue(row[`a${i}`], a);
      });
      return group;
    }),
  };
}
