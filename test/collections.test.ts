import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { contactSchema, countRows } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

describe.each(backends())("collections on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
    await t.rest("POST", "/v1/workspaces", { body: { id: "crm", name: "CRM" } });
  });
  afterAll(() => t?.close());

  it("upserts by slug: 201 then 200 with the version bumped", async () => {
    const created = await t.rest("PUT", "/v1/crm/collections/contacts", {
      body: { name: "Contacts", description: "People", json_schema: contactSchema, icon: "user", color: "#09f" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: "contacts",
      name: "Contacts",
      description: "People",
      json_schema: contactSchema,
      icon: "user",
      color: "#09f",
      indexes: [],
      sources: [],
      version: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const updated = await t.rest("PUT", "/v1/crm/collections/contacts", {
      body: { name: "People", schema: { type: "object" } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: "People", version: 2, json_schema: { type: "object" }, icon: null });
    expect((await t.rest("GET", "/v1/crm/collections/contacts")).body).toEqual(updated.body);
  });

  it("lists and deletes collections; deleting removes the collection's records", async () => {
    await t.rest("PUT", "/v1/crm/collections/tmp", { body: { json_schema: { type: "object" } } });
    await t.rest("PUT", "/v1/crm/records/tmp", { body: { data: { a: 1 } } });
    const list = await t.rest("GET", "/v1/crm/collections");
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual(["contacts", "tmp"]);
    expect(list.body.meta).toEqual({ total: 2, limit: 50, offset: 0 });
    const records = await countRows(t, "records");
    expect((await t.rest("DELETE", "/v1/crm/collections/tmp")).status).toBe(204);
    expect(await countRows(t, "records")).toBe(records - 1);
    expect((await t.rest("GET", "/v1/crm/collections/tmp")).status).toBe(404);
    expect((await t.rest("GET", "/v1/crm/records/tmp")).status).toBe(404);
    expect((await t.rest("DELETE", "/v1/crm/collections/tmp")).status).toBe(404);
  });

  it("accepts draft-07 and 2020-12 schemas, with formats and x- hints", async () => {
    const draft7 = await t.rest("PUT", "/v1/crm/collections/d7", {
      body: {
        json_schema: {
          $schema: "http://json-schema.org/draft-07/schema#",
          type: "object",
          properties: { tags: { type: "array", items: [{ type: "string" }], additionalItems: false } },
        },
      },
    });
    expect(draft7.status).toBe(201);
    const modern = await t.rest("PUT", "/v1/crm/collections/d2020", {
      body: {
        json_schema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          "x-format-assertion": true,
          "x-search": ["name"],
          properties: {
            when: { type: "string", format: "date-time", "x-timezone": "UTC" },
            pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false },
          },
        },
      },
    });
    expect(modern.body.error).toBeUndefined();
    expect(modern.status).toBe(201);
    const bad = await t.rest("PUT", "/v1/crm/records/d2020", { body: { data: { when: "yesterday" } } });
    expect(bad.body.error.details).toEqual([{ path: "data.when", message: 'must match format "date-time"' }]);
  });

  it.each([
    [
      "a wrong type keyword",
      { type: "object", properties: { a: { type: "strnig" } } },
      "json_schema.properties.a.type",
    ],
    ["a non-object root", { type: "array" }, "json_schema.type"],
    [
      "an unresolvable $ref",
      { type: "object", properties: { a: { $ref: "https://example.com/x.json" } } },
      "json_schema",
    ],
    [
      "an unsupported dialect",
      { $schema: "http://json-schema.org/draft-04/schema#", type: "object" },
      "json_schema.$schema",
    ],
  ])("rejects a schema with %s, naming the problem, and writes nothing", async (_name, schema, path) => {
    const before = await countRows(t, "collections");
    const res = await t.rest("PUT", "/v1/crm/collections/broken", { body: { json_schema: schema } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.details[0].path).toBe(path);
    expect(res.body.error.details[0].message).not.toBe("");
    expect(await countRows(t, "collections")).toBe(before);
  });

  it("saves a schema strict mode would question and names the unknown keyword in a warning", async () => {
    const res = await t.rest("PUT", "/v1/crm/collections/lenient", {
      body: { json_schema: { type: "object", requried: ["a"], properties: { a: { format: "colour" } } } },
    });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([{ path: "json_schema", message: 'unknown keyword: "requried"' }]);
    const gql = await t.gql(
      `mutation { upsertCollection(workspace: "crm", id: "lenient", input: {jsonSchema: {type: "object", if: {}}}) {
        created warnings { path message } } }`,
    );
    expect(gql.body.data.upsertCollection).toEqual({
      created: false,
      warnings: [{ path: "json_schema", message: '"if" without "then" and "else" is ignored' }],
    });
  });

  it.each([
    ["no schema at all", { name: "x" }, "json_schema"],
    ["a schema that is not an object", { json_schema: "object" }, "body.json_schema"],
    ["a bad slug", { json_schema: { type: "object" } }, "id", "Bad_Slug!"],
    ["a mismatched body id", { id: "other", json_schema: { type: "object" } }, "id"],
    ["an unknown field", { json_schema: { type: "object" }, owner: "me" }, "body.owner"],
  ])("rejects a collection with %s", async (_name, body, path, id = "okay") => {
    const res = await t.rest("PUT", `/v1/crm/collections/${id}`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await t.rest("GET", "/v1/crm/collections/okay")).status).toBe(404);
  });

  it("404s for an unknown workspace", async () => {
    const res = await t.rest("PUT", "/v1/ghost/collections/x", { body: { json_schema: { type: "object" } } });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe("Workspace 'ghost' not found");
    expect((await t.rest("GET", "/v1/ghost/collections")).status).toBe(404);
  });

  it("compiles a collection's schema once per version, not per request", async () => {
    await t.rest("PUT", "/v1/crm/collections/cached", { body: { json_schema: contactSchema } });
    const registry = t.server.services.schemas;
    // The save compiled it and left the validator behind: the writes that follow compile nothing.
    const before = registry.compilations;
    for (let i = 0; i < 5; i++) {
      expect((await t.rest("PUT", "/v1/crm/records/cached", { body: { data: { name: `n${i}` } } })).status).toBe(201);
    }
    expect(registry.compilations).toBe(before);
    await t.rest("PUT", "/v1/crm/collections/cached", {
      body: { json_schema: { ...contactSchema, required: ["name", "email"] } },
    });
    expect(registry.compilations).toBe(before + 1);
    const stale = await t.rest("PUT", "/v1/crm/records/cached", { body: { data: { name: "no email" } } });
    expect(stale.status).toBe(400);
    expect(registry.compilations).toBe(before + 1);
  });
});
