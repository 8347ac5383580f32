import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateWorkspaceDocument,
  GetRecordDocument,
  ListRecordsDocument,
  UpsertCollectionDocument,
  UpsertRecordDocument,
  WorkspaceTreeDocument,
} from "./generated/graphql.ts";
import { backends } from "./support/database.ts";
import { contactSchema, countRows } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

describe.each(backends())("GraphQL on %s", (backend) => {
  let t: TestServer;
  /** Runs a typed operation; the result type comes from the generated document. */
  async function run<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V) {
    const res = await t.gql<R>(print(doc), variables);
    return res.body;
  }

  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t?.close());

  it("creates a workspace, a collection and a record, idempotently by externalId", async () => {
    const ws = await run(CreateWorkspaceDocument, {
      input: { id: "shop", name: "Shop", tags: ["demo"], settings: { timezone: "Europe/Paris" } },
    });
    expect(ws).toEqual({
      data: {
        createWorkspace: {
          id: "shop",
          name: "Shop",
          environment: "production",
          tags: ["demo"],
          settings: { timezone: "Europe/Paris" },
        },
      },
    });
    const col = await run(UpsertCollectionDocument, {
      workspace: "shop",
      id: "contacts",
      input: { jsonSchema: contactSchema },
    });
    expect(col.data?.upsertCollection).toEqual({
      created: true,
      collection: { id: "contacts", version: 1, jsonSchema: contactSchema },
    });
    const input = { externalId: "g-1", externalSource: "crm", data: { name: "Grace" } };
    const first = await run(UpsertRecordDocument, { workspace: "shop", collection: "contacts", input });
    const second = await run(UpsertRecordDocument, {
      workspace: "shop",
      collection: "contacts",
      input: { ...input, data: { name: "Grace Hopper" } },
    });
    expect(first.data?.upsertRecord.created).toBe(true);
    expect(second.data?.upsertRecord).toEqual({
      created: false,
      record: {
        id: first.data?.upsertRecord.record.id,
        externalId: "g-1",
        externalSource: "crm",
        version: 2,
        data: { name: "Grace Hopper" },
      },
    });
  });

  it("reads over GraphQL a record written over REST, and the reverse", async () => {
    const viaRest = await t.rest("PUT", "/v1/shop/records/contacts", {
      body: { external_id: "r-1", data: { name: "From REST", age: 41 } },
    });
    const read = await run(GetRecordDocument, { workspace: "shop", collection: "contacts", id: viaRest.body.id });
    expect(read.data?.record).toEqual({
      id: viaRest.body.id,
      collectionId: "contacts",
      externalId: "r-1",
      version: 1,
      data: { name: "From REST", age: 41 },
      createdAt: viaRest.body.created_at,
      updatedAt: viaRest.body.updated_at,
      collection: { id: "contacts", name: "contacts", recordCount: 2 },
    });

    const viaGql = await run(UpsertRecordDocument, {
      workspace: "shop",
      collection: "contacts",
      input: { data: { name: "From GraphQL", email: "g@x.io" } },
    });
    const record = viaGql.data?.upsertRecord.record;
    const rest = await t.rest("GET", `/v1/shop/records/contacts/${record?.id}`);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ id: record?.id, data: { name: "From GraphQL", email: "g@x.io" }, version: 1 });
  });

  it("pages records like REST does", async () => {
    const page = await run(ListRecordsDocument, { workspace: "shop", collection: "contacts", limit: 2, offset: 1 });
    const rest = await t.rest("GET", "/v1/shop/records/contacts?limit=2&offset=1");
    expect(page.data?.records.total).toBe(rest.body.meta.total);
    expect(page.data?.records.nodes.map((n) => n.id)).toEqual(rest.body.data.map((r: { id: string }) => r.id));
    expect(page.data?.records).toMatchObject({ limit: 2, offset: 1 });
  });

  it("walks workspaces → collections → records in one query", async () => {
    const tree = await run(WorkspaceTreeDocument, {});
    const shop = tree.data?.workspaces.nodes.find((w) => w.id === "shop");
    expect(shop?.collections).toHaveLength(1);
    expect(shop?.collections[0]?.recordCount).toBe(3);
    expect(shop?.collections[0]?.records).toHaveLength(2);
  });

  it("reports our error codes in extensions.code and writes nothing", async () => {
    const before = await countRows(t, "records");
    const bad = await run(UpsertRecordDocument, {
      workspace: "shop",
      collection: "contacts",
      input: { data: { email: 5 } },
    });
    expect(bad.data).toBeNull();
    expect(bad.errors).toEqual([
      {
        message: "Record does not match the schema of collection 'contacts'",
        path: ["upsertRecord"],
        locations: [{ line: 2, column: 3 }],
        extensions: {
          code: "VALIDATION_ERROR",
          details: [
            { path: "data.name", message: "must have required property 'name'" },
            { path: "data.email", message: "must be string" },
          ],
        },
      },
    ]);
    const missing = await run(GetRecordDocument, { workspace: "shop", collection: "nope", id: "x" });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const dup = await run(CreateWorkspaceDocument, { input: { id: "shop", name: "Again" } });
    expect(dup.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const badId = await run(CreateWorkspaceDocument, { input: { id: "Not A Slug", name: "x" } });
    expect(badId.errors?.[0]?.extensions).toMatchObject({
      code: "VALIDATION_ERROR",
      details: [{ path: "id", message: expect.stringContaining("workspace id must be 1-63 characters") }],
    });
    expect(await countRows(t, "records")).toBe(before);
    expect(await countRows(t, "workspaces")).toBe(1);
  });

  it("marks GraphQL syntax and validation errors as VALIDATION_ERROR", async () => {
    // GraphQL over HTTP, as docs/api.md says: a request error answers 400 to clients accepting
    // application/graphql-response+json, and 200 with errors[] to application/json (and no Accept) clients.
    const modern = await t.gql("{ workspaces { ", undefined, {
      headers: { accept: "application/graphql-response+json" },
    });
    expect(modern.status).toBe(400);
    expect(modern.headers["content-type"]).toContain("application/graphql-response+json");
    expect(modern.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    for (const headers of [{}, { accept: "application/json" }] as Record<string, string>[]) {
      const legacy = await t.gql("{ workspaces { ", undefined, { headers });
      expect(legacy.status).toBe(200);
      expect(legacy.body).toEqual({
        errors: [{ message: "Syntax Error: Expected Name, found <EOF>.", extensions: { code: "VALIDATION_ERROR" } }],
      });
    }
    const invalid = await t.gql("{ nope }", undefined, { headers: { accept: "application/graphql-response+json" } });
    expect(invalid.status).toBe(400);
    const unknownField = await t.gql("{ workspaces { nope } }");
    expect(unknownField.body.errors?.[0]).toMatchObject({
      message: 'Cannot query field "nope" on type "WorkspacePage". Did you mean "nodes"?',
      extensions: { code: "VALIDATION_ERROR" },
    });
    const badArg = await t.gql('{ records(workspace: "shop", collection: "contacts", limit: "x") { total } }');
    expect(badArg.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const range = await t.gql('{ records(workspace: "shop", collection: "contacts", limit: 5000) { total } }');
    expect(range.body.errors?.[0]?.extensions).toEqual({
      code: "VALIDATION_ERROR",
      details: [{ path: "limit", message: "must be an integer from 1 to 1000" }],
    });
  });

  it("requires a bearer token, with a GraphQL-shaped 401", async () => {
    const res = await t.gql("{ workspaces { total } }", undefined, { token: null });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      errors: [
        {
          message: "Missing bearer token: send 'Authorization: Bearer <token>'",
          extensions: { code: "UNAUTHORIZED", details: [] },
        },
      ],
    });
    const wrong = await t.gql("{ workspaces { total } }", undefined, { token: "rec_wrong" });
    expect(wrong.status).toBe(401);
  });

  it("serves GraphiQL to a browser without a token", async () => {
    const res = await t.rest("GET", "/graphql", { token: null, headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.text).toContain("Recordgate GraphiQL");
    // Self-contained: no script or stylesheet is fetched from a CDN.
    expect(res.text).not.toMatch(/<(script|link)[^>]+(src|href)=["']?https?:/);
  });
});
