import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSchemaLimits, DEFAULT_SCHEMA_LIMITS } from "../src/resolvers/json-schema/limits.ts";
import { SchemaRegistry } from "../src/resolvers/schema-registry.ts";
import { backends } from "./support/database.ts";
import { countRows } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string" }]));

/** A schema nested `levels` deep, as JSON text: JSON.stringify itself would overflow on the object. */
function deep(levels: number): string {
  return `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
}

describe("the schema limit check", () => {
  it("measures a 10,000-deep schema without recursing, and refuses it at the first level beyond the limit", () => {
    const schema = JSON.parse(deep(10_000));
    expect(() => checkSchemaLimits(schema, DEFAULT_SCHEMA_LIMITS)).toThrow(
      "json_schema is nested deeper than 32 levels",
    );
  });
});

describe("a stored schema", () => {
  it("still validates writes when the limits were lowered after its save, compiling once", () => {
    const registry = new SchemaRegistry({ limits: { ...DEFAULT_SCHEMA_LIMITS, maxPatterns: 1 } });
    const jsonSchema = { type: "object", properties: { a: { pattern: "^a$" }, b: { pattern: "^b$" } } };
    expect(() => registry.compile(jsonSchema)).toThrow("json_schema has more than 1 distinct patterns");
    const collection = { workspaceId: "w", id: "c", version: 3, updatedAt: new Date(0), jsonSchema };
    const before = registry.compilations;
    expect(registry.validate(collection, { a: "a" })).toBeNull();
    expect(registry.validate(collection, { b: "x" })).toEqual([
      { path: "data.b", message: 'must match pattern "^b$"' },
    ]);
    expect(registry.compilations).toBe(before + 1);
  });
});

describe.each(backends())("collection schemas on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "s", name: "Schemas" } });
  });
  afterAll(() => t?.close());

  const save = (id: string, json_schema: unknown) =>
    t.rest("PUT", `/v1/s/collections/${id}`, { body: { json_schema } });
  const write = (id: string, data: unknown) => t.rest("PUT", `/v1/s/records/${id}`, { body: { data } });

  it("matches a catastrophic-backtracking pattern in linear time and keeps serving", async () => {
    const saved = await save("redos", { type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } } });
    expect(saved.status).toBe(201);
    // 12.7 s on a backtracking engine for 28 characters (×4 per two more); RE2 does 10,000 in milliseconds.
    const attack = await write("redos", { s: `${"a".repeat(10_000)}!` });
    expect(attack.status).toBe(400);
    expect(attack.body.error.details).toEqual([{ path: "data.s", message: 'must match pattern "^(a+)+$"' }]);
    expect((await write("redos", { s: "aaaa" })).status).toBe(201);
  });

  it.each([
    ["a backreference", "^(a)\\1$", "json_schema.properties.s.pattern"],
    ["a lookahead", "^(?=a)\\w+$", "json_schema.properties.s.pattern"],
  ])("refuses %s at save, naming the pattern", async (_name, pattern, path) => {
    const before = await countRows(t, "collections");
    const res = await save("nope", { type: "object", properties: { s: { type: "string", pattern } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe(path);
    expect(res.body.error.details[0].message).toContain("backreferences and lookaround are not supported");
    expect(await countRows(t, "collections")).toBe(before);
  });

  it("refuses a patternProperties key RE2 cannot run, with its path", async () => {
    const res = await save("nope", { type: "object", patternProperties: { "(?<!x)y": { type: "string" } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe("json_schema.patternProperties.(?<!x)y");
  });

  it.each([
    ["the root", { type: "object", $ref: "#" }, "json_schema", "# → #"],
    [
      "two definitions",
      { type: "object", $ref: "#/$defs/a", $defs: { a: { allOf: [{ $ref: "#/$defs/b" }] }, b: { $ref: "#/$defs/a" } } },
      "json_schema.$defs.a",
      "#/$defs/a → #/$defs/a/allOf/0 → #/$defs/b → #/$defs/a",
    ],
  ])("refuses a $ref loop through %s that never descends into the record", async (_n, schema, path, loop) => {
    const res = await save("loop", schema);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path, message: `$ref loop that never reaches a property or item: ${loop}` },
    ]);
  });

  it("accepts a recursive schema that descends into the record, and validates nested records", async () => {
    const tree = {
      type: "object",
      properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
    };
    expect((await save("tree", tree)).status).toBe(201);
    expect((await write("tree", { name: "a", children: [{ name: "b", children: [] }] })).status).toBe(201);
    const bad = await write("tree", { name: "a", children: [{ name: 1 }] });
    expect(bad.body.error.details).toEqual([{ path: "data.children.0.name", message: "must be string" }]);
  });

  it.each([
    ["deeper than 32 levels", JSON.parse(deep(40)), "json_schema is nested deeper than 32 levels"],
    [
      "with more than 1000 keys",
      { type: "object", properties: props(600) },
      "json_schema has more than 1000 properties in all",
    ],
    [
      "larger than 32768 bytes",
      { type: "object", description: "x".repeat(40_000) },
      "json_schema is larger than 32768 bytes",
    ],
    [
      "with more than 200 distinct patterns",
      {
        type: "object",
        properties: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`p${i}`, { pattern: `^a${i}$` }])),
      },
      "json_schema has more than 200 distinct patterns",
    ],
    [
      "with a pattern longer than 256 characters",
      { type: "object", properties: { s: { pattern: "a".repeat(300) } } },
      "json_schema has a pattern of 300 characters; the limit is 256",
    ],
    [
      "whose patterns compile to more than 10000 RE2 instructions",
      {
        type: "object",
        properties: Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`p${i}`, { pattern: `^[a-z]{0,999}${i}$` }])),
      },
      "json_schema's patterns compile to more than 10000 RE2 instructions (counted repeats multiply them)",
    ],
  ])("refuses a schema %s with the path where it crossed", async (_n, schema, message) => {
    const res = await save("big", schema);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.message, res.text.slice(0, 300)).toBe(message);
    expect(res.body.error.details[0].path).toMatch(/^json_schema/);
  });

  it("saves a realistic 200-property schema with patterns, formats, enums, titles and descriptions", async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [
        `field_${i}`,
        {
          title: `Field ${i}`,
          description: "Shown in the form",
          ...[
            { type: "string", pattern: "^[A-Z]{3}-[0-9]{4,8}$" },
            { type: "string", format: "date-time" },
            { enum: ["open", "paid", "void"] },
            { type: "number", minimum: 0 },
          ][i % 4],
        },
      ]),
    );
    expect((await save("wide", { type: "object", "x-format-assertion": true, properties })).status).toBe(201);
    expect((await write("wide", { field_0: "ABC-1234", field_1: "2026-12-04T10:00:00Z" })).status).toBe(201);
    expect((await write("wide", { field_0: "abc" })).status).toBe(400);
  });

  it("refuses a $dynamicRef schema ajv would loop on, instead of failing every write", async () => {
    const schema = {
      type: "object",
      $id: "https://example.com/derived",
      $ref: "./base",
      $defs: {
        derived: { $dynamicAnchor: "addons", prefixItems: [true, { type: "string" }] },
        base: {
          $id: "./base",
          unevaluatedItems: false,
          $dynamicRef: "#addons",
          $defs: { d: { $dynamicAnchor: "addons" } },
        },
      },
    };
    const res = await save("dyn", schema);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("json_schema cannot be used to validate records");
  });

  it("accepts what the spec allows and strict mode refused, with warnings", async () => {
    const res = await save("lenient", {
      type: "object",
      properties: {
        a: { $anchor: "a", minContains: 1 },
        b: { if: { type: "string" } },
        c: { items: { type: "string" }, additionalItems: false },
        d: { enum: [] },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.warnings.map((w: { message: string }) => w.message)).toEqual(
      expect.arrayContaining(['"if" without "then" and "else" is ignored']),
    );
    expect((await write("lenient", { d: "anything" })).status).toBe(400);
    expect((await write("lenient", { a: 1 })).status).toBe(201);
  });

  it("counts only own keys for required, and treats constructor and toString as plain properties", async () => {
    // `__proto__` is covered by the conformance suite (properties.json); a raw `__proto__` body key is the parser's.
    const schema = {
      type: "object",
      required: ["constructor", "toString"],
      properties: { constructor: { type: "string" } },
    };
    expect((await save("own", schema)).status).toBe(201);
    const missing = await write("own", {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      "data.constructor",
      "data.toString",
    ]);
    expect((await write("own", { constructor: 1, toString: 1 })).body.error.details).toEqual([
      { path: "data.constructor", message: "must be string" },
    ]);
    expect((await write("own", { constructor: "c", toString: 1 })).status).toBe(201);
  });

  it("treats format as an annotation in 2020-12 unless the schema asks, and asserts it in draft-07", async () => {
    const when = { type: "string", format: "date-time" };
    expect((await save("f2020", { type: "object", properties: { when } })).status).toBe(201);
    expect((await write("f2020", { when: "yesterday" })).status).toBe(201);
    await save("f2020on", { type: "object", "x-format-assertion": true, properties: { when } });
    expect((await write("f2020on", { when: "yesterday" })).status).toBe(400);
    await save("f7", { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { when } });
    expect((await write("f7", { when: "yesterday" })).status).toBe(400);
    await save("f7off", {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      "x-format-assertion": false,
      properties: { when },
    });
    expect((await write("f7off", { when: "yesterday" })).status).toBe(201);
  });
});
