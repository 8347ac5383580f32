// biome-ignore-all lint/suspicious/noExplicitAny: GraphQL answers are untyped JSON read for their errors.
import { readFile } from "node:fs/promises";
import { getIntrospectionQuery, parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { ExecutionBudget } from "../src/http/graphql-budget.ts";
import { costRefusal, queryCost } from "../src/http/graphql-cost.ts";
import { documentSizeRefusal } from "../src/http/graphql-document-size.ts";
import { shapeRefusals } from "../src/http/graphql-shape.ts";
import { schema } from "../src/schema/index.ts";
import * as operations from "./generated/graphql.ts";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { countStatements } from "./support/statements.ts";

const limits = loadConfig({}).graphql;
const MODERN = { headers: { accept: "application/graphql-response+json" } };

/** Every limit checked before execution, as the server applies them, for a document and its variables. */
function refusalsOf(source: string, variables: Record<string, unknown> = {}): string[] {
  const size = documentSizeRefusal(source, limits);
  if (size) return [size.message];
  const document = parse(source);
  const shape = shapeRefusals(schema, document, limits);
  if (shape.length) return shape.map((e) => e.message);
  const cost = costRefusal(queryCost(schema, document, variables, undefined), limits.maxCost);
  return cost ? [cost.message] : [];
}

async function documentedQueries(): Promise<string[]> {
  const found: string[] = [];
  for (const file of [
    "README.md",
    ...["api", "query", "relationships", "sources", "security"].map((f) => `docs/${f}.md`),
  ]) {
    const text = await readFile(new URL(`../${file}`, import.meta.url), "utf8");
    for (const block of text.matchAll(/```graphql\n([\s\S]*?)```/g)) found.push(block[1] as string);
  }
  return found;
}

/** bench/graph.ts's query with its constants, read from the file so a change there is seen here. */
async function benchQuery(): Promise<string> {
  const text = await readFile(new URL("../bench/graph.ts", import.meta.url), "utf8");
  const query = /const THREE_LEVELS = `([\s\S]*?)`;/.exec(text)?.[1];
  const roots = /const ROOTS = (\d+);/.exec(text)?.[1];
  const page = /const PAGE = (\d+);/.exec(text)?.[1];
  if (!query || !roots || !page) throw new Error("bench/graph.ts no longer has THREE_LEVELS, ROOTS and PAGE");
  return query.replaceAll(["$", "{ROOTS}"].join(""), roots).replaceAll(["$", "{PAGE}"].join(""), page);
}

describe("GraphQL limits, decided from the document", () => {
  it("allow every documented query, every test operation, bench:graph's and GraphiQL's introspection", async () => {
    const documents = [
      ...(await documentedQueries()),
      ...Object.values(operations)
        .filter((d): d is any => typeof d === "object" && d !== null && "kind" in d)
        .map((d) => print(d)),
      await benchQuery(),
      // GraphiQL's schema query.
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }),
    ];
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) expect(refusalsOf(document), document).toEqual([]);
  });

  it("price bench:graph's three levels as 50 × 10 × 10 records, inside the budget", async () => {
    const cost = queryCost(
      schema,
      parse(await benchQuery()),
      { workspace: "w", collection: "c", type: "t" },
      undefined,
    );
    expect(cost).toBe(39_201);
    expect(cost).toBeLessThan(limits.maxCost);
  });

  it("multiply list sizes through nesting, relationships and related included, with variables", () => {
    const nested = `query($n: Int) { records(workspace: "w", collection: "c", limit: 1000) {
      nodes { related(first: $n) { id } } } }`;
    expect(refusalsOf(nested, { n: 1000 })).toEqual(["Query cost 1,002,001 exceeds the budget of 50,000"]);
    expect(refusalsOf(nested, { n: 10 })).toEqual([]);
    // related's default page (50), four levels deep: 50^4 records.
    const defaults = `{ record(workspace: "w", collection: "c", id: "x") {
      related { related { related { relationships { edges { node { id } } } } } } } }`;
    expect(refusalsOf(defaults)).toEqual(["Query cost 18,877,552 exceeds the budget of 50,000"]);
    // total, pageInfo and friends are one value per page.
    expect(queryCost(schema, parse("{ workspaces(limit: 1000) { total limit offset } }"), {}, undefined)).toBe(1);
  });

  it("name the limit and the figures in each refusal", () => {
    const deep = `{ record(workspace: "w", collection: "c", id: "x") { ${"related(direction: both) { ".repeat(50)} id ${"} ".repeat(50)} } }`;
    expect(refusalsOf(deep)).toEqual(["Query depth 52 exceeds the limit of 15"]);
    const aliases = `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: workspaces(limit: 1) { total }`).join(" ")} }`;
    expect(refusalsOf(aliases)).toEqual(["Query has 101 aliases; the limit is 100"]);
    const directives = `{ workspaces { total ${"@include(if: true) ".repeat(51)} } }`;
    expect(refusalsOf(directives)).toEqual(["Query has 51 directives; the limit is 50"]);
    const wide = `{ workspaces { nodes { ${"id ".repeat(1000)} } } }`;
    expect(refusalsOf(wide)).toEqual(["Query selects 1,002 fields; the limit is 1,000"]);
    const bomb = `{ workspaces { ...A } } fragment A on WorkspacePage { ...B ...B } fragment B on WorkspacePage
      { ...C ...C } ${Array.from({ length: 12 }, (_, i) => `fragment ${String.fromCharCode(67 + i)} on WorkspacePage { ...${String.fromCharCode(68 + i)} ...${String.fromCharCode(68 + i)} }`).join(" ")} fragment O on WorkspacePage { total }`;
    expect(refusalsOf(bomb)).toEqual([
      "Query depth 32 exceeds the limit of 15",
      "Query selects 16,385 fields; the limit is 1,000",
    ]);
    expect(refusalsOf(`{ workspaces { total } } # ${"x".repeat(100_000)}`)).toEqual([
      "Query document has 100,027 characters; the limit is 100,000",
    ]);
    expect(refusalsOf(`{ ${"a ".repeat(10_000)} }`)).toEqual(["Query document has 10,002 tokens; the limit is 10,000"]);
    expect(refusalsOf(`{ ${"a { ".repeat(5000)} b ${"} ".repeat(5000)} }`)).toEqual([
      "Query document nests 5,001 brackets deep; the limit is 128",
    ]);
  });

  it("answer past the execution deadline at once, and stop what still runs at its next list or JSON field", async () => {
    const budget = new ExecutionBudget({ ...limits, timeoutMs: 20 });
    const started = performance.now();
    const result = await budget.run(() => new Promise((resolve) => setTimeout(() => resolve({ data: {} }), 2000)));
    expect(performance.now() - started).toBeLessThan(1000);
    expect((result as any).errors[0].message).toBe("Query ran past the execution deadline of 20 ms");
    expect((result as any).errors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(() => budget.check()).toThrow("execution deadline");
  });
});

describe.each(backends())("GraphQL limits over HTTP on %s", (backend) => {
  let t: TestServer;
  const ids = Array.from({ length: 10 }, (_, i) => `0b6f3c1e-0000-4000-8000-00000000000${i}`.slice(0, 36));

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "g", name: "Graph" } });
    await t.rest("PUT", "/v1/g/collections/nodes", { body: { json_schema: { type: "object" } } });
    for (const [i, id] of ids.entries()) {
      const r = await t.rest("PUT", `/v1/g/records/nodes/${id}`, { body: { data: { n: i } } });
      expect(r.status).toBe(201);
    }
    // Ten records that all link to each other: the clique that once exhausted the heap.
    for (const source of ids) {
      for (const target of ids) {
        if (source === target) continue;
        const r = await t.rest("PUT", "/v1/g/relationships", {
          body: {
            rel_type: "links",
            source_collection: "nodes",
            source_id: source,
            target_collection: "nodes",
            target_id: target,
          },
        });
        expect(r.status).toBe(201);
      }
    }
  });
  afterAll(() => t?.close());

  async function refused(query: string, variables?: Record<string, unknown>, options = {}) {
    let answer: any;
    const started = performance.now();
    const statements = await countStatements(t, async () => {
      answer = await t.gql(query, variables, options);
    });
    return { answer, statements, ms: performance.now() - started };
  }

  it("refuses the 50-deep related(direction: both) clique query before any resolver or SQL runs", async () => {
    const query = `{ records(workspace: "g", collection: "nodes", limit: 10) { nodes { ${"related(direction: both) { ".repeat(50)} id ${"} ".repeat(50)} } } }`;
    const { answer, statements, ms } = await refused(query);
    console.log(`50-deep related refused in ${ms.toFixed(1)} ms`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      errors: [
        {
          message: "Query depth 53 exceeds the limit of 15",
          extensions: {
            code: "QUERY_TOO_COMPLEX",
            details: [
              {
                path: "query",
                message: "Query depth 53 exceeds the limit of 15",
                limit: "maxDepth",
                actual: 53,
                max: 15,
              },
            ],
          },
        },
      ],
    });
    expect(statements).toBe(0);
    expect(ms).toBeLessThan(1000);
  });

  it("refuses 10,000 aliases of workspaces(limit: 1) { total } before parsing them", async () => {
    const query = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: workspaces(limit: 1) { total }`).join(" ")} }`;
    const { answer, statements, ms } = await refused(query);
    console.log(`10,000 aliases refused in ${ms.toFixed(1)} ms`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(answer.body.errors[0].message).toBe("Query document has 378,893 characters; the limit is 100,000");
    expect(statements).toBe(0);
    expect(ms).toBeLessThan(1000);
  });

  it("refuses six levels of relationships by cost, naming it, with 400 for legacy and modern clients alike", async () => {
    const hop = (inner: string) => `relationships { edges { node { id ${inner} } } }`;
    let selection = "id";
    for (let i = 0; i < 4; i++) selection = hop(selection);
    const query = `{ record(workspace: "g", collection: "nodes", id: "${ids[0]}") { ${selection} } }`;
    for (const options of [{}, { headers: { accept: "application/json" } }, MODERN]) {
      const { answer, statements } = await refused(query, undefined, options);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].message).toMatch(/^Query cost [\d,]+ exceeds the budget of 50,000$/);
      expect(statements).toBe(0);
    }
  });

  it("refuses a document nested 5,000 deep with QUERY_TOO_COMPLEX, not INTERNAL_ERROR", async () => {
    const { answer, statements } = await refused(
      `{ ${"workspaces { nodes { ".repeat(2500)} id ${"} } ".repeat(2500)} }`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toMatchObject({
      message: "Query document nests 5,001 brackets deep; the limit is 128",
      extensions: { code: "QUERY_TOO_COMPLEX" },
    });
    expect(statements).toBe(0);
  });

  it("still answers the queries it allows, compiled or not", async () => {
    const res = await t.gql(
      `{ records(workspace: "g", collection: "nodes", limit: 2) { nodes { related(first: 3) { id related(first: 2) { id } } } } }`,
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.records.nodes).toHaveLength(2);
    expect(res.body.data.records.nodes[0].related).toHaveLength(3);
  });
});

describe.each(backends())("GraphQL ceilings during execution on %s", (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(backend, { config: { graphql: { ...limits, maxRows: 5, maxBytes: 4096 } } });
    await t.rest("POST", "/v1/workspaces", { body: { id: "c", name: "Ceilings" } });
    await t.rest("PUT", "/v1/c/collections/items", { body: { json_schema: { type: "object" } } });
    for (let i = 0; i < 8; i++) {
      const r = await t.rest("PUT", "/v1/c/records/items", {
        body: { data: { i, text: i < 2 ? "x".repeat(3000) : "" } },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => t?.close());

  it("stops a request over its rows with one QUERY_TOO_COMPLEX error and no data", async () => {
    const res = await t.gql(`{ records(workspace: "c", collection: "items", limit: 8) { nodes { id } } }`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        {
          message: "Query produced 8 rows, over the limit of 5",
          extensions: {
            code: "QUERY_TOO_COMPLEX",
            details: [
              {
                path: "query",
                message: "Query produced 8 rows, over the limit of 5",
                limit: "maxRows",
                actual: 8,
                max: 5,
              },
            ],
          },
        },
      ],
    });
    const under = await t.gql(`{ records(workspace: "c", collection: "items", limit: 5) { nodes { id } } }`);
    expect(under.status).toBe(200);
    expect(under.body.data.records.nodes).toHaveLength(5);
  });

  it("stops a request over its JSON bytes, counted on the data it returns", async () => {
    const heavy = await t.gql(
      `{ records(workspace: "c", collection: "items", limit: 5, sort: [{field: "data.i", direction: "asc"}]) { nodes { data } } }`,
    );
    expect(heavy.status).toBe(400);
    expect(heavy.body.errors).toHaveLength(1);
    expect(heavy.body.errors?.[0]?.message).toBe("Query produced more than 4,096 bytes of JSON");
    // The same rows without their data are within the ceiling.
    const light = await t.gql(`{ records(workspace: "c", collection: "items", limit: 5) { nodes { id } } }`);
    expect(light.status).toBe(200);
  });
});

describe.each(backends())("unexpected GraphQL errors on %s", (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    // Limits loose enough to let a document crash the parser, as every one did before they existed.
    t = await startTestServer(backend, {
      config: { graphql: { ...limits, maxChars: 1_000_000, maxTokens: 1_000_000, maxNesting: 1_000_000 } },
    });
  });
  afterAll(() => t?.close());

  it("a parser crash is logged once with the request id and answered with it", async () => {
    const requestId = "parser-crash-1";
    const crash = `{ workspaces(tag: ${"[".repeat(5000)}"x"${"]".repeat(5000)}) { total } }`;
    const answer = await t.gql(crash, undefined, { headers: { "x-request-id": requestId } });
    expect(answer.body.errors).toEqual([
      { message: "Unexpected server error", extensions: { code: "INTERNAL_ERROR", requestId } },
    ]);
    const logged = t.logs.map((line) => JSON.parse(line)).filter((entry) => entry.reqId === requestId);
    const unexpected = logged.filter((entry) => entry.msg === "unexpected error in GraphQL request");
    expect(unexpected).toHaveLength(1);
    expect(unexpected[0].err.message).toMatch(/call stack/);
  });
});
