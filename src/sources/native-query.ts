import { Prisma } from "../generated/prisma/client.ts";
import type {
  AggregateQuery,
  Aggregation,
  Condition,
  FieldRef,
  Filter,
  PathSegment,
  RecordQuery,
  Scalar,
  SearchCondition,
  SortTerm,
} from "../query/model.ts";
import { sortKeyDomains } from "../query/sort-keys.ts";

type Sql = Prisma.Sql;
const { sql, raw, join, empty } = Prisma;

/**
 * Compiles the query model to PostgreSQL. Values are always bind parameters; the only text that enters SQL is a
 * JSON path built from keys the parser restricted to [A-Za-z0-9_-], and fixed fragments. The same expressions are
 * used for declared indexes, so the planner can match them.
 */

/**
 * Queries name the table `r`; index definitions (CREATE INDEX ON records …) cannot, so every column reference
 * takes the qualifier as a parameter and the two produce the same expressions.
 */
type Qualifier = "r." | "";

/** The JSON value at a data path: `r.data #> '{a,b,0}'` (NULL when missing). */
function jsonAt(field: Extract<FieldRef, { kind: "data" }>, q: Qualifier = "r."): Sql {
  return raw(`${q}data #> '{${field.path.join(",")}}'`);
}

const SYSTEM_COLUMN: Record<string, string> = {
  id: "id",
  external_id: `external_id COLLATE "C"`,
  external_source: `external_source COLLATE "C"`,
  version: "version",
  created_at: "created_at",
  updated_at: "updated_at",
};

function systemColumn(name: string, q: Qualifier = "r."): Sql {
  const column = SYSTEM_COLUMN[name];
  if (!column) throw new Error(`unknown system field ${name}`);
  return raw(`${q}${column}`);
}

/** The field's value in one comparison domain; NULL when it is missing or of another type. */
export function typedExpression(field: FieldRef, domain: Scalar["domain"], q: Qualifier = "r."): Sql {
  if (field.kind === "system") return systemColumn(field.name, q);
  const value = jsonAt(field, q);
  switch (domain) {
    case "number":
      return sql`rg_num(${value})`;
    case "instant":
      return sql`rg_instant(${value})`;
    case "boolean":
      return sql`rg_bool(${value})`;
    case "text":
      return sql`(rg_text(${value}) COLLATE "C")`;
  }
}

function param(value: Scalar, field: FieldRef): Sql {
  switch (value.domain) {
    case "number":
      return sql`${value.value}::numeric`;
    case "instant":
      return sql`${value.value}::timestamptz`;
    case "boolean":
      return sql`${value.value}::boolean`;
    case "text":
      return field.kind === "system" && field.name === "id" ? sql`${value.value}::uuid` : sql`${value.value}::text`;
  }
}

const ARRAY_TYPE = { number: "numeric[]", instant: "timestamptz[]", boolean: "boolean[]", text: "text[]" } as const;

function anyOf(field: FieldRef, values: Scalar[]): Sql {
  // Untyped fields may mix domains (["a", 1]); each domain compares with its own typed expression.
  const byDomain = new Map<Scalar["domain"], Array<string | number | boolean>>();
  for (const v of values) byDomain.set(v.domain, [...(byDomain.get(v.domain) ?? []), v.value]);
  if (byDomain.size === 0) return sql`false`;
  const parts = [...byDomain].map(([domain, list]) => {
    const type = field.kind === "system" && field.name === "id" ? "uuid[]" : ARRAY_TYPE[domain];
    return sql`${typedExpression(field, domain)} = ANY(${list}::${raw(type)})`;
  });
  return parts.length === 1 ? (parts[0] as Sql) : sql`(${join(parts, " OR ")})`;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, "\\$&");

/** 0–1: how well the search text matches the field's best-matching words (1 = contains them exactly). */
export function searchScore(c: SearchCondition): Sql {
  return sql`COALESCE(word_similarity(${c.text}, ${textOf(c.field, false)}), 0)::float8`;
}

/** `%`/`_` are wildcards and `\` escapes; a pattern with no wildcard matches as a substring. */
export function likePattern(pattern: string): string {
  const hasWildcard = /(^|[^\\])(\\\\)*[%_]/.test(pattern);
  return hasWildcard ? pattern : `%${pattern}%`;
}

/** The field as text for pattern matching; `exact` (LIKE) compares code points, ILIKE uses the database's folding. */
function textOf(field: FieldRef, exact: boolean): Sql {
  if (field.kind === "system") return field.name === "id" ? sql`r.id::text` : systemColumn(field.name);
  return exact ? typedExpression(field, "text") : sql`rg_text(${jsonAt(field)})`;
}

function missing(field: FieldRef): Sql {
  if (field.kind === "system") return sql`${systemColumn(field.name)} IS NULL`;
  return sql`COALESCE(jsonb_typeof(${jsonAt(field)}), 'null') = 'null'`;
}

function compileCondition(c: Condition): Sql {
  const { field } = c;
  switch (c.op) {
    case "eq":
      return sql`${typedExpression(field, c.value.domain)} = ${param(c.value, field)}`;
    case "neq":
      // Records where the field is missing or of another type are "not equal" too.
      return sql`${typedExpression(field, c.value.domain)} IS DISTINCT FROM ${param(c.value, field)}`;
    case "gt":
      return sql`${typedExpression(field, c.value.domain)} > ${param(c.value, field)}`;
    case "gte":
      return sql`${typedExpression(field, c.value.domain)} >= ${param(c.value, field)}`;
    case "lt":
      return sql`${typedExpression(field, c.value.domain)} < ${param(c.value, field)}`;
    case "lte":
      return sql`${typedExpression(field, c.value.domain)} <= ${param(c.value, field)}`;
    case "in":
      return anyOf(field, c.values);
    case "not_in":
      return c.values.length ? sql`NOT COALESCE(${anyOf(field, c.values)}, false)` : sql`true`;
    case "like":
      return sql`${textOf(field, true)} LIKE ${likePattern(c.pattern)}`;
    case "ilike":
      return sql`${textOf(field, false)} ILIKE ${likePattern(c.pattern)}`;
    case "is_null":
      return missing(field);
    case "is_not_null":
      return sql`NOT (${missing(field)})`;
    case "has":
      if (field.kind === "system") return sql`false`;
      return sql`(jsonb_typeof(${jsonAt(field)}) = 'array' AND ${jsonAt(field)} @> ${JSON.stringify([c.value])}::jsonb)`;
    case "search":
      // A substring (any case) or a fuzzy word match (pg_trgm's word similarity ≥ 0.6).
      return sql`(${textOf(field, false)} ILIKE ${`%${escapeLike(c.text)}%`} OR ${c.text} <% ${textOf(field, false)})`;
  }
}

export function compileFilter(filter: Filter): Sql {
  if ("and" in filter) return sql`(${join(filter.and.map(compileFilter), " AND ")})`;
  if ("or" in filter) return sql`(${join(filter.or.map(compileFilter), " OR ")})`;
  return compileCondition(filter);
}

/**
 * The sort keys of one term. A typed field sorts by its typed value; an untyped one by numbers, then strings,
 * then booleans. Missing values sort as the largest (last ascending, first descending), PostgreSQL's default.
 */
export function sortKeys(term: SortTerm, q: Qualifier = "r."): Sql[] {
  const { field } = term;
  if (field.kind === "system" || field.type !== "untyped") {
    const domain = field.type === "untyped" || field.type === "array" ? "text" : field.type;
    return [typedExpression(field, domain, q)];
  }
  return (["number", "text", "boolean"] as const).map((d) => typedExpression(field, d, q));
}

/**
 * The column list of a declared index: the same sort-key expressions queries order by, then the id, so a query
 * filtering on the leading fields and sorting by the rest (or sorting by all, in the same or reversed directions)
 * can read the index in order.
 */
export function indexColumns(fields: SortTerm[]): string {
  const keys = fields.flatMap((term) =>
    sortKeys(term, "").map((k) => {
      if (k.values.length) throw new Error("an index expression cannot carry bind parameters");
      return `(${k.text}) ${term.direction === "desc" ? "DESC" : "ASC"}`;
    }),
  );
  return [...keys, "id ASC"].join(", ");
}

export function orderBy(sort: SortTerm[]): Sql {
  if (sort.length === 0) return sql`r.created_at DESC, r.id DESC`;
  const keys = sort.flatMap((term) =>
    sortKeys(term).map((k) => sql`${k} ${raw(term.direction === "desc" ? "DESC" : "ASC")}`),
  );
  return join([...keys, sql`r.id ASC`], ", ");
}

export function whereClause(scope: Sql, filter: Filter | undefined): Sql {
  return filter ? sql`${scope} AND ${compileFilter(filter)}` : scope;
}

/** SELECT list for a projection: only the requested data paths, each as its own column. */
export function projection(fields: FieldRef[] | undefined): { select: Sql; paths: PathSegment[][] } | undefined {
  const dataFields = fields?.filter((f): f is Extract<FieldRef, { kind: "data" }> => f.kind === "data");
  if (!fields) return undefined;
  const columns = (dataFields ?? []).map((f, i) => sql`${jsonAt(f)} AS ${raw(`"p${i}"`)}`);
  return {
    select: columns.length ? sql`, ${join(columns, ", ")}` : empty,
    paths: (dataFields ?? []).map((f) => f.path),
  };
}

function aggregateExpression(a: Aggregation): Sql {
  const field = a.field;
  if (!field) return sql`count(*)`;
  if (a.fn === "count") {
    return field.kind === "system"
      ? sql`count(${systemColumn(field.name)})`
      : sql`count(NULLIF(jsonb_typeof(${jsonAt(field)}), 'null'))`;
  }
  if (a.fn === "sum" || a.fn === "avg") return sql`${raw(a.fn)}(${typedExpression(field, "number")})`;
  const domain = field.type === "instant" || field.type === "text" || field.type === "boolean" ? field.type : "number";
  if (domain === "boolean")
    return sql`${raw(a.fn === "min" ? "bool_and" : "bool_or")}(${typedExpression(field, domain)})`;
  return sql`${raw(a.fn)}(${typedExpression(field, domain)})`;
}

/**
 * A typed field groups by its typed value (cheaper to sort and hash than JSON, and consistent with filters: a value of
 * another type counts as missing); an untyped one by its JSON value. Missing and JSON null share the null group.
 */
function groupExpression(field: FieldRef, q: Qualifier = "r."): Sql {
  if (field.kind === "system") return systemColumn(field.name, q);
  if (field.type === "number" || field.type === "text" || field.type === "boolean" || field.type === "instant") {
    return typedExpression(field, field.type, q);
  }
  return sql`NULLIF(${jsonAt(field, q)}, 'null'::jsonb)`;
}

/**
 * The expressions of a declared index's data fields, as sorted and as grouped, for CREATE STATISTICS. PostgreSQL
 * keeps no statistics for a partial index's expressions, so without these it guesses every value distinct and, for
 * a grouped aggregate, walks the index with a heap fetch per row instead of hashing a scan (3x slower at 1M).
 */
export function statisticsExpressions(fields: SortTerm[]): string[] {
  const texts = fields
    .filter((term) => term.field.kind === "data")
    .flatMap((term) => [...sortKeys(term, ""), groupExpression(term.field, "")])
    .map((expr) => {
      if (expr.values.length) throw new Error("a statistics expression cannot carry bind parameters");
      return expr.text;
    });
  return [...new Set(texts)];
}

export const MAX_GROUPS = 1000;

/** One statement: GROUP BY the requested fields (their raw JSON values), groups in ascending order. */
export function compileAggregate(scope: Sql, query: AggregateQuery): Sql {
  const groups = query.groupBy.map((f, i) => sql`${groupExpression(f)} AS ${raw(`"g${i}"`)}`);
  const aggs = query.aggregations.map((a, i) => sql`${aggregateExpression(a)} AS ${raw(`"a${i}"`)}`);
  const select = join([...groups, ...aggs], ", ");
  const where = whereClause(scope, query.filter);
  if (!groups.length) return sql`SELECT ${select} FROM records r WHERE ${where}`;
  const positions = raw(query.groupBy.map((_, i) => String(i + 1)).join(", "));
  // Grouping is planned on its own (MATERIALIZED): with ORDER BY or LIMIT attached, PostgreSQL preferred walking a
  // declared index in group order with a heap fetch per row, 2x slower at 600k records than scanning and sorting.
  return sql`WITH groups AS MATERIALIZED (SELECT ${select} FROM records r WHERE ${where} GROUP BY ${positions})
    SELECT * FROM groups ORDER BY ${positions} LIMIT ${MAX_GROUPS + 1}`;
}

export type { RecordQuery };

interface KeyPart {
  expr: Sql;
  desc: boolean;
  domain: Scalar["domain"] | "uuid";
}

function keyParts(sort: SortTerm[]): KeyPart[] {
  const domains = sortKeyDomains(sort);
  const exprs =
    sort.length === 0
      ? [
          { expr: raw("r.created_at"), desc: true },
          { expr: raw("r.id"), desc: true },
        ]
      : [
          ...sort.flatMap((t) => sortKeys(t).map((expr) => ({ expr, desc: t.direction === "desc" }))),
          { expr: raw("r.id"), desc: false },
        ];
  return exprs.map((e, i) => ({ ...e, domain: domains[i] ?? "text" }));
}

/** The sort-key values of each row, as text, so a cursor can carry them without losing precision. */
export function keyColumns(sort: SortTerm[]): Sql {
  return join(
    keyParts(sort).map((k, i) => sql`(${k.expr})::text AS ${raw(`"k${i}"`)}`),
    ", ",
  );
}

const CAST = { number: "numeric", instant: "timestamptz", boolean: "boolean", text: "text", uuid: "uuid" } as const;

/**
 * Rows strictly after the cursor in the sort order (keyset pagination). NULLs sort as the largest value, matching
 * ORDER BY's defaults, so `after` for an ascending key includes NULLs and for a descending key excludes them.
 */
export function afterCursor(sort: SortTerm[], values: Array<string | null>): Sql {
  const parts = keyParts(sort);
  const typed = (i: number) => {
    const part = parts[i] as KeyPart;
    // PGlite serialises a parameter by its inferred type, so a boolean must arrive as a JS boolean.
    const value = part.domain === "boolean" ? values[i] === "true" : values[i];
    return sql`${value ?? null}::${raw(CAST[part.domain])}`;
  };
  const equal = (i: number) => {
    const part = parts[i] as KeyPart;
    return values[i] === null ? sql`${part.expr} IS NULL` : sql`${part.expr} = ${typed(i)}`;
  };
  const after = (i: number) => {
    const part = parts[i] as KeyPart;
    if (values[i] === null) return part.desc ? sql`${part.expr} IS NOT NULL` : sql`false`;
    return part.desc ? sql`${part.expr} < ${typed(i)}` : sql`(${part.expr} > ${typed(i)} OR ${part.expr} IS NULL)`;
  };
  const alternatives = parts.map((_, i) => join([...parts.slice(0, i).map((__, j) => equal(j)), after(i)], " AND "));
  return sql`(${join(
    alternatives.map((a) => sql`(${a})`),
    " OR ",
  )})`;
}
