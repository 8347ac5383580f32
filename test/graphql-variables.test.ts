// biome-ignore-all lint/suspicious/noExplicitAny: GraphQL answers are untyped JSON compared whole.
import { execute, parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jitExecutesCorrectly } from "../src/http/graphql-jit-choice.ts";
import { createLogger } from "../src/logger.ts";
import { createContext } from "../src/resolvers/context.ts";
import { schema } from "../src/schema/index.ts";
import { ThreeLevelsDocument } from "./generated/graphql.ts";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const RECORDS = `records(workspace: "v", collection: "items", sort: [{field: "data.n", direction: "asc"}]`;

/** Every form a variable can take in a query, each with the variables sent (none: its default applies). */
const QUERIES: Array<[string, string, Record<string, unknown>]> = [
  [
    "whole JSON argument",
    `query($f: JSON) { ${RECORDS}, filter: $f) { total nodes { data } } }`,
    { f: { field: "data.status", op: "eq", value: "open" } },
  ],
  [
    "inside a JSON object literal",
    `query($v: JSON) { ${RECORDS}, filter: {field: "data.status", op: "eq", value: $v}) { total nodes { data } } }`,
    { v: "open" },
  ],
  [
    "inside a list literal inside a JSON literal",
    `query($v: JSON) { ${RECORDS}, filter: {field: "data.status", op: "in", value: ["none", $v]}) { total nodes { data } } }`,
    { v: "done" },
  ],
  [
    "nested two levels",
    `query($v: JSON, $n: JSON) { ${RECORDS}, filter: {and: [{field: "data.status", op: "eq", value: $v}, {field: "data.n", op: "gt", value: $n}]}) { total nodes { data } } }`,
    { v: "open", n: 0 },
  ],
  [
    "with a default",
    `query($v: JSON = "done") { ${RECORDS}, filter: {field: "data.status", op: "eq", value: $v}) { total nodes { data } } }`,
    {},
  ],
  [
    "in a sort literal",
    `query($f: JSON) { records(workspace: "v", collection: "items", sort: [{field: $f, direction: "desc"}]) { nodes { data } } }`,
    { f: "data.n" },
  ],
  [
    "inside a list of strings",
    `query($p: String!) { ${RECORDS}, fields: ["data.n", $p]) { nodes { data } } }`,
    { p: "data.status" },
  ],
  ["as an Int with a default", `query($l: Int = 2) { ${RECORDS}, limit: $l) { limit nodes { data } } }`, {}],
  [
    "in @include",
    `query($yes: Boolean!) { ${RECORDS}) { total @include(if: $yes) nodes @skip(if: $yes) { id } } }`,
    { yes: true },
  ],
  [
    "aggregations",
    `query($fn: JSON) { aggregate(workspace: "v", collection: "items", aggregations: [{fn: $fn, alias: "c"}], groupBy: ["data.status"]) }`,
    { fn: "count" },
  ],
];

/** Mutations: `$e` is the externalId, so the HTTP run and the graphql-js run create twin records. */
const MUTATIONS: Array<[string, string, Record<string, unknown>]> = [
  [
    "whole input",
    `mutation($i: RecordInput!) { upsertRecord(workspace: "v", collection: "items", input: $i) { created record { externalId data } } }`,
    { i: { externalId: "E", data: { name: "whole" } } },
  ],
  [
    "inside a JSON object literal",
    `mutation($n: String, $e: String) { upsertRecord(workspace: "v", collection: "items", input: {externalId: $e, data: {name: $n}}) { created record { externalId data } } }`,
    { n: "Ada", e: "E" },
  ],
  [
    "nested two levels and in a list",
    `mutation($c: JSON, $t: JSON, $e: String) { upsertRecord(workspace: "v", collection: "items", input: {externalId: $e, data: {address: {city: $c}, tags: [$t, "x"]}}) { created record { externalId data } } }`,
    { c: "Paris", t: "a", e: "E" },
  ],
  [
    "with a default",
    `mutation($n: JSON = "dflt", $e: String) { upsertRecord(workspace: "v", collection: "items", input: {externalId: $e, data: {name: $n}}) { created record { externalId data } } }`,
    { e: "E" },
  ],
];

describe.each(backends())("GraphQL variables answer as graphql-js does, on %s", (backend) => {
  let t: TestServer;
  const errors = vi.spyOn(console, "error");
  const warnings = vi.spyOn(console, "warn");

  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "v", name: "Variables" } });
    await t.rest("PUT", "/v1/v/collections/items", { body: { json_schema: { type: "object" } } });
    for (const [n, status] of ["open", "done", "open", "done"].entries()) {
      const r = await t.rest("PUT", "/v1/v/records/items", { body: { data: { n, status } } });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => t?.close());

  /** Plain graphql-js `execute`, on the same schema and services, as the reference answer. */
  async function reference(query: string, variables: Record<string, unknown>) {
    const contextValue = createContext(t.server.services, {
      principal: { kind: "admin" },
      requestId: "reference",
      log: createLogger("silent"),
    });
    const result = await execute({ schema, document: parse(query), variableValues: variables, contextValue });
    return JSON.parse(JSON.stringify(result));
  }

  it.each(QUERIES)("a variable %s", async (_, query, variables) => {
    const expected = await reference(query, variables);
    expect(expected.errors).toBeUndefined();
    expect(JSON.stringify(expected.data)).toMatch(/"(data|c|total)":/);
    const answer = await t.gql(query, variables);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(expected);
  });

  it.each(MUTATIONS)("a mutation with a variable %s", async (label, query, variables) => {
    const expected = await reference(query, {
      ...variables,
      e: `js ${label}`,
      i: { externalId: `js ${label}`, data: { name: "whole" } },
    });
    expect(expected.errors).toBeUndefined();
    const answer = await t.gql(query, {
      ...variables,
      e: `http ${label}`,
      i: { externalId: `http ${label}`, data: { name: "whole" } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data.upsertRecord.created).toBe(true);
    expect(answer.body.data.upsertRecord.record.data).toEqual(expected.data.upsertRecord.record.data);
    expect(answer.body.data.upsertRecord.record.externalId).toBe(`http ${label}`);
  });

  it("keeps the compiled executor for documents without variables inside JSON literals (bench:graph's shape)", () => {
    expect(jitExecutesCorrectly(schema, ThreeLevelsDocument)).toBe(true);
    expect(jitExecutesCorrectly(schema, parse(QUERIES[1]?.[1] as string))).toBe(false);
  });

  it("writes nothing but JSON lines to the log, and nothing to the console", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(() => JSON.parse(line), line).not.toThrow();
    expect(errors).not.toHaveBeenCalled();
    expect(warnings).not.toHaveBeenCalled();
  });
});
