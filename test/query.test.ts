import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.ts";
import { parseAggregate } from "../src/query/aggregate.ts";
import { parseQueryParts } from "../src/query/parse.ts";
import { compileRecordQuery } from "../src/sources/native.ts";
import { compileAggregate } from "../src/sources/native-query.ts";
import { backends, SEEDED } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const invoiceSchema = {
  type: "object",
  properties: {
    status: { type: "string" },
    amount: { type: "number" },
    due: { type: "string", format: "date-time" },
    paid: { type: "boolean" },
    customer: { type: "object", properties: { name: { type: "string" }, city: { type: "string" } } },
    lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
    tags: { type: "array", items: { type: "string" } },
  },
};

const invoices = [
  {
    status: "open",
    amount: 5200,
    due: "2026-03-01T10:00:00Z",
    paid: false,
    customer: { name: "Acme", city: "Paris" },
    lines: [{ sku: "A-1" }],
    tags: ["vip"],
  },
  {
    status: "open",
    amount: 120.5,
    due: "2026-03-01T12:00:00+02:00",
    paid: false,
    customer: { name: "Globex", city: "Oslo" },
    lines: [{ sku: "B-7" }, { sku: "A-1" }],
    tags: [],
  },
  {
    status: "paid",
    amount: 9000,
    due: "2026-02-01T00:00:00Z",
    paid: true,
    customer: { name: "Initech", city: "Paris" },
    lines: [],
    tags: ["vip", "eu"],
  },
  { status: "draft", amount: 75, customer: { name: "acme corp", city: "Lyon" }, tags: ["eu"] },
  { status: "paid", amount: 5000, due: "2026-04-01T00:00:00Z", paid: true, customer: { name: "50% Off Ltd" } },
];

describe.each(backends())("queries on %s", (backend) => {
  let t: TestServer;
  const ids: string[] = [];
  const query = (body: object) => t.rest("POST", "/v1/shop/records/invoices/query", { body });
  const names = (res: { body: { data: { data: { customer?: { name: string } } }[] } }) =>
    res.body.data.map((r) => r.data.customer?.name);

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "shop", name: "Shop" } });
    await t.rest("PUT", "/v1/shop/collections/invoices", { body: { json_schema: invoiceSchema } });
    for (const data of invoices) {
      ids.push((await t.rest("PUT", "/v1/shop/records/invoices", { body: { data } })).body.id);
    }
  });
  afterAll(() => t?.close());

  it("answers the agent's question: open invoices over 5000, newest first", async () => {
    const res = await query({
      filter: {
        and: [
          { field: "data.status", op: "eq", value: "open" },
          { field: "data.amount", op: "gt", value: 5000 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(names(res)).toEqual(["Acme"]);
    expect(res.body.meta).toEqual({ total: 1, limit: 50, offset: 0, next_cursor: null });
  });

  it("compares numbers numerically and date-times as instants, whatever their offset", async () => {
    const cheap = await query({
      filter: { field: "data.amount", op: "lt", value: 1000 },
      sort: [{ field: "data.amount" }],
    });
    expect(names(cheap)).toEqual(["acme corp", "Globex"]); // 75 < 120.5, not "120.5" < "75"
    const sameInstant = await query({ filter: { field: "data.due", op: "eq", value: "2026-03-01T10:00:00Z" } });
    expect(names(sameInstant).sort()).toEqual(["Acme", "Globex"]);
    const naive = await query({ filter: { field: "data.due", op: "gte", value: "2026-03-01 10:00:01" } });
    expect(names(naive)).toEqual(["50% Off Ltd"]);
  });

  it("sorts on several fields, missing values last ascending and first descending", async () => {
    const res = await query({
      sort: [
        { field: "data.customer.city", direction: "asc" },
        { field: "data.amount", order: "desc" },
      ],
    });
    expect(names(res)).toEqual(["acme corp", "Globex", "Initech", "Acme", "50% Off Ltd"]);
    const desc = await query({ sort: { field: "data.due", direction: "desc" } });
    expect(names(desc)[0]).toBe("acme corp");
  });

  it("supports in / not_in (empty lists too), neq including missing values, and null checks", async () => {
    expect(
      names(
        await query({
          filter: { field: "data.status", op: "in", value: ["draft", "paid"] },
          sort: [{ field: "data.amount" }],
        }),
      ),
    ).toEqual(["acme corp", "50% Off Ltd", "Initech"]);
    expect((await query({ filter: { field: "data.status", op: "in", value: [] } })).body.meta.total).toBe(0);
    expect((await query({ filter: { field: "data.status", op: "not_in", value: [] } })).body.meta.total).toBe(5);
    expect((await query({ filter: { field: "data.paid", op: "neq", value: true } })).body.meta.total).toBe(3);
    expect(names(await query({ filter: { field: "data.due", op: "is_null" } }))).toEqual(["acme corp"]);
    expect((await query({ filter: { field: "data.lines", op: "is_not_null" } })).body.meta.total).toBe(3);
  });

  it("matches like / ilike as documented: substring without wildcards, escapes, case", async () => {
    expect(names(await query({ filter: { field: "data.customer.name", op: "like", value: "cme" } })).sort()).toEqual([
      "Acme",
      "acme corp",
    ]);
    expect(names(await query({ filter: { field: "data.customer.name", op: "like", value: "A%" } }))).toEqual(["Acme"]);
    expect(names(await query({ filter: { field: "data.customer.name", op: "ilike", value: "ACME%" } })).sort()).toEqual(
      ["Acme", "acme corp"],
    );
    expect(names(await query({ filter: { field: "data.customer.name", op: "like", value: "50\\%" } }))).toEqual([
      "50% Off Ltd",
    ]);
  });

  it("finds array elements with has and addresses elements by index", async () => {
    expect((await query({ filter: { field: "data.tags", op: "has", value: "vip" } })).body.meta.total).toBe(2);
    expect(names(await query({ filter: { field: "data.lines[1].sku", op: "eq", value: "A-1" } }))).toEqual(["Globex"]);
  });

  it("searches fuzzily, ranks by _search_score and combines with exact conditions", async () => {
    const res = await query({ filter: { field: "data.customer.name", op: "search", value: "acme" } });
    expect(res.status).toBe(200);
    // Equal scores (both contain the word exactly): newest first.
    expect(names(res)).toEqual(["acme corp", "Acme"]);
    expect(res.body.data.map((r: { _search_score: number }) => r._search_score)).toEqual([1, 1]);
    expect(res.body.meta.next_cursor).toBeNull();
    const typo = await query({ filter: { field: "data.customer.name", op: "search", value: "Initek" } });
    expect(names(typo)).toEqual(["Initech"]);
    expect(typo.body.data[0]._search_score).toBeGreaterThan(0.5);
    expect(typo.body.data[0]._search_score).toBeLessThan(1);
    const combined = await query({
      filter: {
        and: [
          { field: "data.customer.name", op: "search", value: "acme" },
          { field: "data.status", op: "eq", value: "draft" },
        ],
      },
    });
    expect(names(combined)).toEqual(["acme corp"]);
    const sorted = await query({
      filter: { field: "data.customer.name", op: "search", value: "acme" },
      sort: [{ field: "data.amount" }],
    });
    expect(names(sorted)).toEqual(["acme corp", "Acme"]);
    const literal = await query({ filter: { field: "data.customer.name", op: "search", value: "50%" } });
    expect(names(literal)).toEqual(["50% Off Ltd"]);
    const plain = await query({});
    expect(plain.body.data[0]).not.toHaveProperty("_search_score");
    const gql = await t.gql(
      `{ records(workspace: "shop", collection: "invoices", filter: {field: "data.customer.name", op: "search", value: "globex"}) { nodes { searchScore data } } }`,
    );
    expect(gql.body.data.records.nodes).toEqual([
      { searchScore: 1, data: expect.objectContaining({ status: "open" }) },
    ]);
    const cursor = await query({ filter: { field: "data.customer.name", op: "search", value: "acme" }, after: "x" });
    expect(cursor.status).toBe(400);
  });

  it("filters on system fields", async () => {
    const res = await query({
      filter: { field: "id", op: "in", value: [ids[0], ids[2]] },
      sort: [{ field: "created_at" }],
    });
    expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([ids[0], ids[2]]);
    expect((await query({ filter: { field: "version", op: "eq", value: 1 } })).body.meta.total).toBe(5);
    const byPrefix = await query({ filter: { field: "id", op: "like", value: `${ids[3]?.slice(0, 23)}%` } });
    expect(byPrefix.body.data.map((r: { id: string }) => r.id)).toEqual([ids[3]]);
  });

  it("projects only the requested data paths", async () => {
    const res = await query({
      fields: ["data.status", "data.customer.name", "data.lines[0].sku"],
      filter: { field: "id", op: "eq", value: ids[1] },
    });
    expect(res.body.data[0]).toMatchObject({
      id: ids[1],
      collection: "invoices",
      data: { status: "open", customer: { name: "Globex" }, lines: [{ sku: "B-7" }] },
    });
    const viaGet = await t.rest(
      "GET",
      `/v1/shop/records/invoices?fields=data.amount&filter=${encodeURIComponent(JSON.stringify({ field: "id", op: "eq", value: ids[0] }))}`,
    );
    expect(viaGet.body.data[0].data).toEqual({ amount: 5200 });
  });

  it("pages with offset or with keyset cursors; totals can be estimated or skipped", async () => {
    const first = await query({ sort: [{ field: "data.amount" }], limit: 2 });
    const second = await query({ sort: [{ field: "data.amount" }], limit: 2, after: first.body.meta.next_cursor });
    const third = await query({ sort: [{ field: "data.amount" }], limit: 2, after: second.body.meta.next_cursor });
    expect([...names(first), ...names(second), ...names(third)]).toEqual([
      "acme corp",
      "Globex",
      "50% Off Ltd",
      "Acme",
      "Initech",
    ]);
    expect(third.body.meta.next_cursor).toBeNull();
    const estimated = await query({ total: "estimate" });
    expect(estimated.body.meta.total_estimated).toBe(true);
    expect(typeof estimated.body.meta.total).toBe("number");
    expect((await query({ total: "none" })).body.meta.total).toBeNull();
    const wrongSort = await query({ sort: [{ field: "data.status" }], after: first.body.meta.next_cursor });
    expect(wrongSort.status).toBe(400);
    expect(wrongSort.body.error.details).toEqual([
      { path: "after", message: "was made for a different sort; start again without 'after'" },
    ]);
  });

  it("keeps keyset pages stable while records are inserted and deleted between them", async () => {
    await t.rest("PUT", "/v1/shop/collections/events", {
      body: { json_schema: { type: "object", properties: { n: { type: "number" } } } },
    });
    const original: string[] = [];
    for (let n = 0; n < 30; n++) {
      original.push((await t.rest("PUT", "/v1/shop/records/events", { body: { data: { n: n * 10 } } })).body.id);
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await t.rest("POST", "/v1/shop/records/events/query", {
        body: { sort: [{ field: "data.n" }], limit: 4, total: "none", ...(after ? { after } : {}) },
      });
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      after = res.body.meta.next_cursor ?? undefined;
      if (!after) break;
      // Between pages: new records land before and after the cursor, and one not yet seen is deleted.
      await t.rest("PUT", "/v1/shop/records/events", { body: { data: { n: page * 10 + 5 } } });
      await t.rest("PUT", "/v1/shop/records/events", { body: { data: { n: -1 } } });
      if (page === 2) await t.rest("DELETE", `/v1/shop/records/events/${original[29]}`);
    }
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    const survivors = original.slice(0, 29);
    expect(seen.filter((id) => survivors.includes(id))).toEqual(survivors); // every survivor once, in order
  });

  it("aggregates with group_by through REST and GraphQL", async () => {
    const body = {
      group_by: ["data.status"],
      aggregations: [
        { fn: "count" },
        { fn: "sum", field: "data.amount", alias: "total" },
        { fn: "max", field: "data.due" },
      ],
    };
    const res = await t.rest("POST", "/v1/shop/records/invoices/aggregate", { body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { "data.status": "draft", count: 1, total: 75, max: null },
        { "data.status": "open", count: 2, total: 5320.5, max: "2026-03-01T10:00:00.000Z" },
        { "data.status": "paid", count: 2, total: 14000, max: "2026-04-01T00:00:00.000Z" },
      ],
      meta: { groups: 3 },
    });
    const gql = await t.gql(
      `{ aggregate(workspace: "shop", collection: "invoices", groupBy: ["data.status"], aggregations: [{fn: "count"}], filter: {field: "data.paid", op: "eq", value: true}) }`,
    );
    expect(gql.body.data.aggregate).toEqual([{ "data.status": "paid", count: 2 }]);
  });

  it.each([
    [{ filter: { "data.status": "open" } }, "filter.data.status", "Mongo-style"],
    [{ filter: { field: "data.status", op: "$eq", value: "x" } }, "filter.op", "unknown operator '$eq'"],
    [{ filter: { field: "data.status", op: "foo", value: "x" } }, "filter.op", "unknown operator 'foo'"],
    [
      { filter: { and: [{ field: "data.amount", op: "gt", value: "5000" }] } },
      "filter.and[0].value",
      "must be a number",
    ],
    [{ filter: { field: "data.due", op: "gt", value: "soon" } }, "filter.value", "ISO-8601"],
    [{ filter: { field: "data.tags", op: "eq", value: "vip" } }, "filter.value", "use the 'has' operator"],
    [{ filter: { field: "data.status", op: "eq", value: null } }, "filter.value", "is_null"],
    [{ filter: { field: "data.a'b", op: "eq", value: 1 } }, "filter.field", "invalid field path"],
    [{ filter: { field: "owner", op: "eq", value: 1 } }, "filter.field", "unknown field 'owner'"],
    [{ sort: "data.amount:asc" }, "sort", "strings such as"],
    [{ sort: [{ field: "data.tags" }] }, "sort[0].field", "cannot be sorted"],
    [{ total: "maybe" }, "total", "'exact', 'estimate' or 'none'"],
    [{ filter: { field: "data.amount", op: "search", value: "5" } }, "filter.op", "applies to text fields"],
    [{ filter: { field: "data.status", op: "search", value: "  " } }, "filter.value", "non-empty search text"],
    [{ after: "not-a-cursor" }, "after", "not a cursor"],
  ])("rejects %j with a VALIDATION_ERROR pointing at %s", async (body, path, message) => {
    const res = await query(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
    expect(detail?.message).toContain(message);
  });

  it("rejects the contract's unknown-operator example with its message", async () => {
    const res = await t.rest(
      "GET",
      `/v1/shop/records/invoices?filter=${encodeURIComponent('{"field":"data.status","op":"foo","value":1}')}`,
    );
    expect(res.body.error.message).toBe("Invalid query: unknown operator 'foo'");
    const notJson = await t.rest("GET", "/v1/shop/records/invoices?filter=%7Bnope");
    expect(notJson.body.error.details).toEqual([{ path: "query.filter", message: "is not valid JSON" }]);
  });

  it.each([
    [{ aggregations: [{ fn: "sum", field: "data.status" }] }, "aggregations[0].field"],
    [{ aggregations: [{ fn: "avg" }] }, "aggregations[0].field"],
    [{ aggregations: [{ fn: "median", field: "data.amount" }] }, "aggregations[0].fn"],
    [
      {
        aggregations: [
          { fn: "sum", field: "data.amount" },
          { fn: "sum", field: "data.amount" },
        ],
      },
      "aggregations[1].alias",
    ],
    [{ aggregations: [] }, "aggregations"],
  ])("rejects the aggregation %j at %s", async (body, path) => {
    const res = await t.rest("POST", "/v1/shop/records/invoices/aggregate", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });
});

interface PlanNode {
  "Node Type": string;
  "Plan Rows": number;
  Plans?: PlanNode[];
}

function findNode(node: PlanNode | undefined, type: string): PlanNode | undefined {
  if (!node) return undefined;
  if (node["Node Type"] === type) return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child, type);
    if (found) return found;
  }
  return undefined;
}

describe.each(backends())("declared indexes on %s", (backend) => {
  let t: TestServer;
  const indexNames = () =>
    t.db.query<{ name: string }>(
      "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'records' AND indexname LIKE 'rgi%' ORDER BY 1",
    );
  const statisticsNames = () =>
    t.db.query<{ name: string }>("SELECT stxname AS name FROM pg_statistic_ext WHERE stxname LIKE 'rgi%' ORDER BY 1");

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "big", name: "Big" } });
    await t.rest("PUT", "/v1/big/collections/other", { body: { json_schema: { type: "object" } } });
  });
  afterAll(() => t?.close());

  it("creates, uses, replaces and drops expression indexes as the collection declares them", async () => {
    const declared = {
      json_schema: invoiceSchema,
      indexes: [{ fields: [{ field: "data.status" }, { field: "data.amount", direction: "desc" }] }],
    };
    const created = await t.rest("PUT", "/v1/big/collections/invoices", { body: declared });
    expect(created.status).toBe(201);
    expect(created.body.indexes).toEqual([
      {
        fields: [
          { field: "data.status", direction: "asc" },
          { field: "data.amount", direction: "desc" },
        ],
      },
    ]);
    expect(await indexNames()).toHaveLength(1);
    expect(await statisticsNames()).toEqual(await indexNames());

    // Enough rows, in this and another collection, that the planner prefers the index to a scan.
    await t.db.query(
      `INSERT INTO records (id, workspace_id, collection_id, data)
       SELECT gen_random_uuid(), 'big', CASE WHEN g % 2 = 0 THEN 'invoices' ELSE 'other' END,
              jsonb_build_object('status', (ARRAY['open','paid','draft','void'])[1 + g % 4], 'amount', g % 9973)
       FROM generate_series(1, 20000) g WHERE ${SEEDED}`,
    );
    await t.db.query("ANALYZE records");
    const collection = (await t.rest("GET", "/v1/big/collections/invoices")).body;
    const parts = parseQueryParts(
      {
        filter: { field: "data.status", op: "eq", value: "open" },
        sort: [{ field: "data.amount", direction: "desc" }],
      },
      collection.json_schema,
    );
    const { page } = compileRecordQuery(
      { workspaceId: "big", collectionId: "invoices" },
      { ...parts, limit: 20, offset: 0 },
    );
    const [explained] = await t.db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${page.text}`, page.values);
    const plan = JSON.stringify(explained?.["QUERY PLAN"]);
    const [name] = await indexNames();
    expect(plan).toContain(`"Index Name":"${name?.name}"`);
    expect(plan).not.toContain('"Node Type":"Sort"');

    // The API answers from it, in order.
    const res = await t.rest("POST", "/v1/big/records/invoices/query", {
      body: {
        filter: { field: "data.status", op: "eq", value: "open" },
        sort: [{ field: "data.amount", direction: "desc" }],
        limit: 3,
      },
    });
    const amounts = res.body.data.map((r: { data: { amount: number } }) => r.data.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));

    // The index's statistics tell the planner status has 4 values (a partial index's own are ignored): without
    // them it expects thousands of groups and walks the index in group order instead of hashing.
    const grouped = compileAggregate(
      Prisma.raw("r.workspace_id = 'big' AND r.collection_id = 'invoices' AND r.deleted_at IS NULL"),
      parseAggregate(
        { aggregations: [{ fn: "count", alias: "n" }], group_by: ["data.status"] },
        collection.json_schema,
      ),
    );
    const [groupPlan] = await t.db.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${grouped.text}`,
      grouped.values,
    );
    const aggregateNode = findNode(groupPlan?.["QUERY PLAN"][0]?.Plan, "Aggregate");
    expect(aggregateNode?.["Plan Rows"]).toBeLessThanOrEqual(10);

    const replaced = await t.rest("PUT", "/v1/big/collections/invoices", {
      body: { json_schema: invoiceSchema, indexes: [{ fields: [{ field: "data.due" }] }] },
    });
    expect(replaced.status).toBe(200);
    const after = await indexNames();
    expect(after).toHaveLength(1);
    expect(after[0]?.name).not.toBe(name?.name);

    expect(await statisticsNames()).toEqual(after);

    expect((await t.rest("DELETE", "/v1/big/collections/invoices")).status).toBe(204);
    expect(await indexNames()).toEqual([]);
    expect(await statisticsNames()).toEqual([]);
  });

  it("rejects an index on an unknown or array field, building nothing", async () => {
    const res = await t.rest("PUT", "/v1/big/collections/bad", {
      body: { json_schema: invoiceSchema, indexes: [{ fields: [{ field: "data.tags" }] }, { fields: [] }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      "indexes[0].fields[0].field",
      "indexes[1]",
    ]);
    expect(await indexNames()).toEqual([]);
    expect((await t.rest("GET", "/v1/big/collections/bad")).status).toBe(404);
  });

  it("deleting a workspace drops its collections' indexes", async () => {
    await t.rest("PUT", "/v1/big/collections/indexed", {
      body: { json_schema: invoiceSchema, indexes: [{ fields: [{ field: "data.amount" }] }] },
    });
    expect(await indexNames()).toHaveLength(1);
    expect((await t.rest("DELETE", "/v1/workspaces/big")).status).toBe(204);
    expect(await indexNames()).toEqual([]);
  });
});

describe.each(backends())("search without pg_trgm on %s", (backend) => {
  it("answers 400 explaining the missing extension, and every other query still works", async () => {
    const t = await startTestServer(backend);
    try {
      await t.db.query("DROP EXTENSION pg_trgm");
      await t.rest("POST", "/v1/workspaces", { body: { id: "w", name: "W" } });
      await t.rest("PUT", "/v1/w/collections/c", { body: { json_schema: { type: "object" } } });
      await t.rest("PUT", "/v1/w/records/c", { body: { data: { name: "Ada" } } });
      const res = await t.rest("POST", "/v1/w/records/c/query", {
        body: { filter: { field: "data.name", op: "search", value: "ada" } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe("search is unavailable: this database lacks the pg_trgm extension");
      const like = await t.rest("POST", "/v1/w/records/c/query", {
        body: { filter: { field: "data.name", op: "ilike", value: "ada" } },
      });
      expect(like.body.meta.total).toBe(1);
    } finally {
      await t.close();
    }
  });
});
