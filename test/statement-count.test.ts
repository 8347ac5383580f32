import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ThreeLevelsDocument, type ThreeLevelsQuery } from "./generated/graphql.ts";
import { backends, SEEDED } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { countStatements } from "./support/statements.ts";

describe.each(backends())("SQL statements per request on %s", (backend) => {
  let t: TestServer;
  const body = {
    filter: {
      and: [
        { field: "data.status", op: "eq", value: "open" },
        { field: "data.amount", op: "gt", value: 10 },
      ],
    },
    sort: [{ field: "data.amount", direction: "desc" }],
    limit: 10,
  };

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "w", name: "W" } });
    await t.rest("PUT", "/v1/w/collections/inv", {
      body: { json_schema: { type: "object", properties: { status: { type: "string" }, amount: { type: "number" } } } },
    });
    for (let i = 0; i < 20; i++) {
      await t.rest("PUT", "/v1/w/records/inv", { body: { data: { status: i % 2 ? "open" : "paid", amount: i * 3 } } });
    }
    // Warm the collection cache, as any request after the first would.
    await t.rest("POST", "/v1/w/records/inv/query", { body });
  });
  afterAll(() => t?.close());

  it("a filtered, sorted page with its exact total takes two statements; without the total, one", async () => {
    expect(await countStatements(t, () => t.rest("POST", "/v1/w/records/inv/query", { body }))).toBe(2);
    expect(
      await countStatements(t, () => t.rest("POST", "/v1/w/records/inv/query", { body: { ...body, total: "none" } })),
    ).toBe(1);
  });

  it("a grouped aggregate takes one statement", async () => {
    const aggregate = {
      group_by: ["data.status"],
      aggregations: [{ fn: "count" }, { fn: "sum", field: "data.amount" }],
    };
    expect(await countStatements(t, () => t.rest("POST", "/v1/w/records/inv/aggregate", { body: aggregate }))).toBe(1);
  });

  it("reading one record takes one statement", async () => {
    const list = await t.rest("POST", "/v1/w/records/inv/query", { body: { limit: 1, total: "none" } });
    const id = list.body.data[0].id;
    expect(await countStatements(t, () => t.rest("GET", `/v1/w/records/inv/${id}`))).toBe(1);
  });
});

describe.each(backends())("SQL statements per GraphQL level on %s", (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "g", name: "Graph" } });
    await t.rest("PUT", "/v1/g/collections/nodes", { body: { json_schema: { type: "object" } } });
    // 50 roots, each linked to 10 of 100 leaves; each leaf linked to 10 other leaves (rows written directly: this
    // test is about reads).
    await t.db.query(`
      INSERT INTO records (id, workspace_id, collection_id, data)
      SELECT ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'g', 'nodes',
             jsonb_build_object('n', g, 'kind', CASE WHEN g <= 50 THEN 'root' ELSE 'leaf' END)
      FROM generate_series(1, 150) g WHERE ${SEEDED}`);
    await t.db.query(`
      INSERT INTO relationships (id, workspace_id, rel_type, source_collection, source_id, target_collection, target_id, data)
      SELECT gen_random_uuid(), 'g', 'links', 'nodes', ('00000000-0000-7000-8000-' || lpad(s::text, 12, '0'))::uuid,
             'nodes', ('00000000-0000-7000-8000-' || lpad((51 + (s * 7 + k) % 100)::text, 12, '0'))::uuid,
             jsonb_build_object('k', k)
      FROM generate_series(1, 150) s, generate_series(0, 9) k WHERE ${SEEDED}`);
  });
  afterAll(() => t?.close());

  it("records → relationships → record → relationships → record takes three statements", async () => {
    let result: { data?: ThreeLevelsQuery; errors?: unknown[] } = {};
    const run = async () => {
      result = (
        await t.gql<ThreeLevelsQuery>(print(ThreeLevelsDocument), {
          workspace: "g",
          collection: "nodes",
          type: "links",
        })
      ).body;
    };
    // The first request also reads the collection definition (then cached): count a warm one.
    await run();
    expect(await countStatements(t, run)).toBe(3);
    expect(result.errors).toBeUndefined();
    const roots = result.data?.records.nodes ?? [];
    expect(roots).toHaveLength(50);
    for (const root of roots) {
      expect(root.relationships.edges).toHaveLength(10);
      for (const edge of root.relationships.edges) expect(edge.node.relationships.edges).toHaveLength(10);
    }
    const leafCount = roots.flatMap((r) => r.relationships.edges.flatMap((e) => e.node.relationships.edges)).length;
    expect(leafCount).toBe(5000);
  });
});
