import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { evaluate, type FieldType, type RefFilter, type RefRecord, type RefSort } from "./support/query-reference.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const RUNS = Number(process.env.QUERY_PROPERTY_RUNS ?? 2000);

const schema = {
  type: "object",
  properties: {
    n: { type: ["number", "null"] },
    s: { type: ["string", "null"] },
    t: { type: ["string", "null"], format: "date-time" },
    b: { type: ["boolean", "null"] },
    tags: { type: "array", items: { type: "string" } },
    o: { type: "object", properties: { x: { type: "number" } } },
    u: {},
  },
};

const TYPES: Record<string, FieldType> = {
  "data.n": "number",
  "data.s": "text",
  "data.t": "instant",
  "data.b": "boolean",
  "data.tags": "array",
  "data.o.x": "number",
  "data.u": "untyped",
  version: "number",
  created_at: "instant",
  external_id: "text",
};

// Small pools so equalities, ties and LIKE metacharacters actually occur.
const NUMBERS = [-3, -1, 0, 0.5, 1, 2, 2.5, 10, 42];
const STRINGS = ["", "a", "b", "ab", "abc", "Abc", "B", "a%b", "c_d", "10", "zz"];
const INSTANTS = [
  "2026-01-01T10:00:00Z",
  "2026-01-01T11:00:00+01:00", // the same instant as above
  "2026-01-01T10:00:00.500Z",
  "2025-12-31T23:59:59Z",
  "2026-06-15T08:30:00-04:00",
  "2027-01-01T00:00:00Z",
];
const TAGS = ["x", "y", "z"];
const PATTERNS = ["a", "%b", "a_", "A%", "\\%", "b%", "_", "%", "c\\_d", "abc"];

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), arb);

const dataArb = fc.record(
  {
    n: maybe(fc.constantFrom(...NUMBERS)),
    s: maybe(fc.constantFrom(...STRINGS)),
    t: maybe(fc.constantFrom(...INSTANTS)),
    b: maybe(fc.boolean()),
    tags: fc.subarray(TAGS),
    o: fc.oneof(fc.constant({}), fc.record({ x: fc.constantFrom(...NUMBERS) })),
    u: maybe(fc.oneof(fc.constantFrom(...NUMBERS), fc.constantFrom(...STRINGS), fc.boolean())),
  },
  { requiredKeys: [] },
);

const valueFor: Record<string, fc.Arbitrary<unknown>> = {
  "data.n": fc.constantFrom(...NUMBERS),
  "data.o.x": fc.constantFrom(...NUMBERS),
  version: fc.constantFrom(1, 2, 3),
  "data.s": fc.constantFrom(...STRINGS),
  external_id: fc.constantFrom("e1", "e2", "e5", "zz"),
  "data.t": fc.constantFrom(...INSTANTS, "2026-01-01", "2026-01-01 10:00:00"),
  created_at: fc.constantFrom("2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"),
  "data.b": fc.boolean(),
  "data.u": fc.oneof(fc.constantFrom(...NUMBERS), fc.constantFrom(...STRINGS), fc.boolean()),
};

function conditionArb(): fc.Arbitrary<RefFilter> {
  const scalarField = fc.constantFrom(...Object.keys(valueFor));
  const comparison = scalarField.chain((field) =>
    fc
      .record({
        op: fc.constantFrom("eq", "neq", "gt", "gte", "lt", "lte", "in", "not_in", "is_null", "is_not_null"),
        value: valueFor[field] as fc.Arbitrary<unknown>,
        list: fc.array(valueFor[field] as fc.Arbitrary<unknown>, { maxLength: 4 }),
      })
      .filter(({ op, value }) => !(typeof value === "boolean" && ["gt", "gte", "lt", "lte"].includes(op)))
      .filter(({ op }) => !(field === "data.b" && ["gt", "gte", "lt", "lte"].includes(op)))
      .map(({ op, value, list }): RefFilter => {
        if (op === "in" || op === "not_in") return { field, op, value: list };
        if (op === "is_null" || op === "is_not_null") return { field, op };
        return { field, op, value };
      }),
  );
  const like = fc.record({
    field: fc.constantFrom("data.s", "data.u", "external_id"),
    op: fc.constantFrom("like", "ilike"),
    value: fc.constantFrom(...PATTERNS),
  });
  const has = fc.record({ field: fc.constant("data.tags"), op: fc.constant("has"), value: fc.constantFrom(...TAGS) });
  return fc.oneof({ weight: 6, arbitrary: comparison }, { weight: 2, arbitrary: like }, { weight: 1, arbitrary: has });
}

const filterArb: fc.Arbitrary<RefFilter> = fc.letrec<{ filter: RefFilter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    conditionArb(),
    fc.record({ and: fc.array(tie("filter"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("filter"), { minLength: 1, maxLength: 3 }) }),
  ),
})).filter;

const sortArb: fc.Arbitrary<RefSort[]> = fc.array(
  fc.record({
    field: fc.constantFrom(
      "data.n",
      "data.s",
      "data.t",
      "data.b",
      "data.u",
      "data.o.x",
      "version",
      "external_id",
      "created_at",
    ),
    direction: fc.constantFrom("asc" as const, "desc" as const),
  }),
  { maxLength: 3 },
);

describe.each(backends())("query engine against the reference evaluator on %s", (backend) => {
  let t: TestServer;
  const records: RefRecord[] = [];

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "prop", name: "Property" } });
    const col = await t.rest("PUT", "/v1/prop/collections/items", { body: { json_schema: schema } });
    expect(col.status).toBe(201);
    const dataset = fc.sample(dataArb, { numRuns: 80, seed: 4242 });
    for (const [i, data] of dataset.entries()) {
      const body = { data: JSON.parse(JSON.stringify(data)), ...(i % 3 === 0 ? {} : { external_id: `e${i}` }) };
      let res = await t.rest("PUT", "/v1/prop/records/items", { body });
      // Some records get a second version, so `version` filters and sorts see more than 1.
      if (i % 4 === 0) res = await t.rest("PUT", `/v1/prop/records/items/${res.body.id}`, { body });
      expect(res.status, res.text).toBeLessThan(300);
      records.push({
        id: res.body.id,
        external_id: res.body.external_id,
        version: res.body.version,
        created_at: res.body.created_at,
        data: res.body.data,
      });
    }
  });
  afterAll(() => t?.close());

  it(`returns exactly the reference's page and total for ${RUNS} random queries`, async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.option(filterArb, { nil: undefined }),
        sortArb,
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 40 }),
        async (filter, sort, limit, offset) => {
          const res = await t.rest("POST", "/v1/prop/records/items/query", { body: { filter, sort, limit, offset } });
          expect(res.status, res.text).toBe(200);
          const expected = evaluate(records, { filter, sort, limit, offset }, TYPES);
          expect(res.body.data.map((r: { id: string }) => r.id)).toEqual(expected.ids);
          expect(res.body.meta.total).toBe(expected.total);
          if (expected.ids.length > 0) nonEmpty++;
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.QUERY_PROPERTY_SEED ?? Date.now() % 100000) },
    );
    // Guard against a generator that only produces queries matching nothing (which any engine would pass).
    expect(nonEmpty).toBeGreaterThan(RUNS * 0.3);
  }, 600_000);

  it("walks every match exactly once with keyset cursors, in the reference order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(filterArb, { nil: undefined }),
        sortArb,
        fc.integer({ min: 1, max: 15 }),
        async (filter, sort, limit) => {
          const expected = evaluate(records, { filter, sort, limit: 10_000, offset: 0 }, TYPES).ids;
          const seen: string[] = [];
          let after: string | undefined;
          for (let page = 0; page < 100; page++) {
            const res = await t.rest("POST", "/v1/prop/records/items/query", {
              body: { filter, sort, limit, total: "none", ...(after ? { after } : {}) },
            });
            expect(res.status, res.text).toBe(200);
            expect(res.body.meta.total).toBeNull();
            seen.push(...res.body.data.map((r: { id: string }) => r.id));
            after = res.body.meta.next_cursor ?? undefined;
            if (!after) break;
          }
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: Math.max(50, Math.floor(RUNS / 10)) },
    );
  }, 600_000);

  it("gives the same answers through GraphQL", async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(filterArb, { nil: undefined }), sortArb, async (filter, sort) => {
        const gql = await t.gql(
          `query($filter: JSON, $sort: JSON) { records(workspace: "prop", collection: "items", filter: $filter, sort: $sort, limit: 20) { total nodes { id } } }`,
          { filter, sort },
        );
        const expected = evaluate(records, { filter, sort, limit: 20, offset: 0 }, TYPES);
        expect(gql.body.errors).toBeUndefined();
        expect(gql.body.data.records.nodes.map((n: { id: string }) => n.id)).toEqual(expected.ids);
        expect(gql.body.data.records.total).toBe(expected.total);
      }),
      { numRuns: 100 },
    );
  }, 600_000);

  it("aggregates like the reference: count, sum, avg, min, max, grouped", async () => {
    const numeric = (r: RefRecord, f: string) => {
      const v = f === "data.o.x" ? (r.data.o as { x?: unknown } | undefined)?.x : r.data[f.slice(5)];
      return typeof v === "number" ? v : undefined;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.option(filterArb, { nil: undefined }),
        fc.constantFrom(["data.s"], ["data.b"], ["data.n"], [], ["data.b", "data.s"]),
        fc.constantFrom("data.n", "data.o.x", "data.u"),
        async (filter, groupBy, field) => {
          const res = await t.rest("POST", "/v1/prop/records/items/aggregate", {
            body: {
              filter,
              group_by: groupBy,
              aggregations: [
                { fn: "count" },
                { fn: "count", field, alias: "present" },
                { fn: "sum", field },
                { fn: "avg", field },
                { fn: "min", field },
                { fn: "max", field },
              ],
            },
          });
          expect(res.status, res.text).toBe(200);
          const matched = evaluate(records, { filter, limit: 10_000, offset: 0 }, TYPES).ids;
          const groups = new Map<string, RefRecord[]>();
          for (const r of records.filter((x) => matched.includes(x.id))) {
            const key = JSON.stringify(groupBy.map((g) => r.data[g.slice(5)] ?? null));
            groups.set(key, [...(groups.get(key) ?? []), r]);
          }
          if (groupBy.length === 0 && groups.size === 0) groups.set("[]", []);
          const expected = [...groups].map(([key, rows]) => {
            const values = rows.map((r) => numeric(r, field)).filter((v): v is number => v !== undefined);
            const present = rows.filter((r) => {
              const v = field === "data.o.x" ? (r.data.o as { x?: unknown } | undefined)?.x : r.data[field.slice(5)];
              return v !== undefined && v !== null;
            }).length;
            const sum = values.reduce((a, b) => a + b, 0);
            return {
              key,
              count: rows.length,
              present,
              sum: values.length ? sum : null,
              avg: values.length ? sum / values.length : null,
              min: values.length ? Math.min(...values) : null,
              max: values.length ? Math.max(...values) : null,
            };
          });
          const actual = res.body.data.map((g: Record<string, unknown>) => ({
            key: JSON.stringify(groupBy.map((f) => g[f])),
            count: g.count,
            present: g.present,
            sum: g.sum,
            avg: g.avg,
            min: g.min,
            max: g.max,
          }));
          const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
          expect(
            actual
              .sort(byKey)
              .map((g: { avg: number | null }) => ({ ...g, avg: g.avg === null ? null : Number(g.avg.toFixed(9)) })),
          ).toEqual(expected.sort(byKey).map((g) => ({ ...g, avg: g.avg === null ? null : Number(g.avg.toFixed(9)) })));
          expect(res.body.meta.groups).toBe(expected.length);
        },
      ),
      { numRuns: 200 },
    );
  }, 600_000);

  it("answers every malformed query with a 4xx, never a 5xx", async () => {
    const junk = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({
        field: fc.oneof(fc.string(), fc.constantFrom("data.n", "data.", "data.a..b", "data.x[", "id")),
        op: fc.string(),
        value: fc.jsonValue(),
      }),
      fc.record({
        field: fc.constantFrom(
          ...Object.keys(TYPES),
          "id",
          "updated_at",
          "external_source",
          "data.nope.deep",
          "data.tags[0]",
        ),
        op: fc.constantFrom(
          "eq",
          "neq",
          "gt",
          "lte",
          "in",
          "not_in",
          "like",
          "ilike",
          "has",
          "is_null",
          "is_not_null",
          "search",
          "$in",
          "between",
        ),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
      fc.record({ and: fc.jsonValue({ maxDepth: 2 }) }),
      fc.dictionary(
        fc.constantFrom("$or", "data.n", "field", "op", "and", "or", "value"),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        junk,
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 1 })),
        async (filter, sort, fields) => {
          const res = await t.rest("POST", "/v1/prop/records/items/query", { body: { filter, sort, fields } });
          expect(res.status, res.text).toBeLessThan(500);
          if (res.status >= 400) expect(res.body.error.code).toBe("VALIDATION_ERROR");
          const get = await t.rest(
            "GET",
            `/v1/prop/records/items?filter=${encodeURIComponent(JSON.stringify(filter) ?? "")}`,
          );
          expect(get.status, get.text).toBeLessThan(500);
          const agg = await t.rest("POST", "/v1/prop/records/items/aggregate", {
            body: { aggregations: sort ?? [{ fn: "count" }], group_by: fields, filter },
          });
          expect(agg.status, agg.text).toBeLessThan(500);
        },
      ),
      { numRuns: Math.max(300, Math.floor(RUNS / 2)) },
    );
  }, 600_000);
});
