import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { countRows, seedContacts } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(backends())("records on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
    await seedContacts(t);
  });
  afterAll(() => t?.close());

  it("creates a record with a server UUIDv7 and version 1, in the contract's shape", async () => {
    const res = await t.rest("PUT", "/v1/crm/records/contacts", { body: { data: { name: "Ada" } } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      collection: "contacts",
      data: { name: "Ada" },
      external_id: null,
      external_source: null,
      version: 1,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    const got = await t.rest("GET", `/v1/crm/records/contacts/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it("upserts by external_id: the second PUT updates the same record to version 2", async () => {
    const first = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "hub-1", data: { name: "Jane", email: "jane@acme.com" } },
    });
    const second = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "hub-1", data: { name: "Jane Doe", email: "jane@acme.com" } },
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.version).toBe(2);
    expect(second.body.data).toEqual({ name: "Jane Doe", email: "jane@acme.com" });
    expect(second.body.created_at).toBe(first.body.created_at);
  });

  it("scopes external_id by external_source", async () => {
    const a = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "42", external_source: "hubspot", data: { name: "A" } },
    });
    const b = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "42", external_source: "salesforce", data: { name: "B" } },
    });
    const c = await t.rest("PUT", "/v1/crm/records/contacts", { body: { external_id: "42", data: { name: "C" } } });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
    expect(b.body.external_source).toBe("salesforce");
  });

  it("keeps exactly one record when 50 PUTs with one external_id race", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.rest("PUT", "/v1/crm/records/contacts", { body: { external_id: "race-1", data: { name: `n${i}` } } }),
      ),
    );
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const versions = results.map((r) => r.body.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const rows = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM records WHERE external_id = 'race-1' AND deleted_at IS NULL",
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("PUT with an id creates the record with that id, then updates it", async () => {
    const id = "0192a000-0000-7000-8000-000000000001";
    const created = await t.rest("PUT", `/v1/crm/records/contacts/${id}`, { body: { data: { name: "Fixed" } } });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe(id);
    const updated = await t.rest("PUT", `/v1/crm/records/contacts/${id}`, { body: { data: { name: "Fixed 2" } } });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
  });

  it("refuses a stale version with 409 and applies a current one", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", { body: { external_id: "v-1", data: { name: "v1" } } });
    const ok = await t.rest("PUT", `/v1/crm/records/contacts/${rec.body.id}`, {
      body: { data: { name: "v2" }, version: 1 },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    const stale = await t.rest("PUT", `/v1/crm/records/contacts/${rec.body.id}`, {
      body: { data: { name: "lost update" }, version: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      error: {
        code: "CONFLICT",
        message: `Version conflict: record '${rec.body.id}' is no longer at version 1`,
        details: [{ path: "version", message: "is stale" }],
      },
    });
    const stalePatch = await t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, {
      body: { data: { name: "lost" }, version: 1 },
    });
    expect(stalePatch.status).toBe(409);
    const after = await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`);
    expect(after.body.data).toEqual({ name: "v2" });
  });

  it("rejects data that fails the schema with every failing path, and writes nothing", async () => {
    const before = await countRows(t, "records");
    const res = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { data: { email: "not-an-email", age: -1, extra: true } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.message).toBe("Record does not match the schema of collection 'contacts'");
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        { path: "data.name", message: "must have required property 'name'" },
        { path: "data.extra", message: "must NOT have additional properties" },
        { path: "data.email", message: 'must match format "email"' },
        { path: "data.age", message: "must be >= 0" },
      ]),
    );
    expect(await countRows(t, "records")).toBe(before);
  });

  it("patches with a top-level merge, validating the merged result", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { data: { name: "P", address: { city: "Paris" }, age: 30 } },
    });
    const patched = await t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, {
      body: { data: { address: { city: "Lyon" }, email: "p@x.io" } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toEqual({ name: "P", address: { city: "Lyon" }, age: 30, email: "p@x.io" });
    expect(patched.body.version).toBe(2);
    const invalid = await t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { age: "x" } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details).toEqual([{ path: "data.age", message: "must be integer" }]);
    const missing = await t.rest("PATCH", "/v1/crm/records/contacts/0192a000-0000-7000-8000-00000000dead", {
      body: { data: { name: "x" } },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
  });

  it("keeps concurrent patches of different fields (no lost update)", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", { body: { data: { name: "C" } } });
    const results = await Promise.all([
      t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { email: "c@x.io" } } }),
      t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { age: 5 } } }),
      t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { address: { city: "Oslo" } } } }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const after = await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`);
    expect(after.body.data).toEqual({ name: "C", email: "c@x.io", age: 5, address: { city: "Oslo" } });
    expect(after.body.version).toBe(4);
  });

  it("soft-deletes: the record 404s, leaves lists, and its external_id can be reused", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "del-1", data: { name: "D" } },
    });
    expect((await t.rest("DELETE", `/v1/crm/records/contacts/${rec.body.id}`)).status).toBe(204);
    expect((await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`)).status).toBe(404);
    expect((await t.rest("DELETE", `/v1/crm/records/contacts/${rec.body.id}`)).status).toBe(404);
    const list = await t.rest("GET", "/v1/crm/records/contacts?limit=1000");
    expect(list.body.data.map((r: { id: string }) => r.id)).not.toContain(rec.body.id);
    const again = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "del-1", data: { name: "D2" } },
    });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(rec.body.id);
    const reuseId = await t.rest("PUT", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { name: "Z" } } });
    expect(reuseId.status).toBe(409);
    const [row] = await t.db.query<{ deleted: boolean }>(
      "SELECT deleted_at IS NOT NULL AS deleted FROM records WHERE id = $1",
      [rec.body.id],
    );
    expect(row?.deleted).toBe(true);
  });

  it("archived records stay readable, cannot be deleted, and free their external_id", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "arc-1", data: { name: "A" } },
    });
    const archived = await t.rest("POST", `/v1/crm/records/contacts/${rec.body.id}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body._archived).toBe(true);
    expect((await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`)).body._archived).toBe(true);
    const del = await t.rest("DELETE", `/v1/crm/records/contacts/${rec.body.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.message).toBe(`Record '${rec.body.id}' is archived and cannot be deleted`);
    const fresh = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "arc-1", data: { name: "B" } },
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(rec.body.id);
  });

  it("cancelled records cannot be updated", async () => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "can-1", data: { name: "C" } },
    });
    const cancelled = await t.rest("POST", `/v1/crm/records/contacts/${rec.body.id}/cancel`);
    expect(cancelled.body.cancelled).toBe(true);
    const put = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { external_id: "can-1", data: { name: "D" } },
    });
    expect(put.status).toBe(409);
    const patch = await t.rest("PATCH", `/v1/crm/records/contacts/${rec.body.id}`, { body: { data: { name: "E" } } });
    expect(patch.status).toBe(409);
    expect((await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`)).body.data).toEqual({ name: "C" });
  });

  it("lists newest first with limit, offset and meta.total", async () => {
    await t.rest("PUT", "/v1/crm/collections/notes", { body: { json_schema: { type: "object" } } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.rest("PUT", "/v1/crm/records/notes", { body: { data: { i } } })).body.id);
    }
    const page = await t.rest("GET", "/v1/crm/records/notes?limit=2&offset=1");
    expect(page.status).toBe(200);
    expect(page.body.meta).toEqual({ total: 5, limit: 2, offset: 1, next_cursor: expect.any(String) });
    expect(page.body.data.map((r: { id: string }) => r.id)).toEqual([ids[3], ids[2]]);
    const all = await t.rest("GET", "/v1/crm/records/notes");
    expect(all.body.meta).toEqual({ total: 5, limit: 50, offset: 0, next_cursor: null });
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["offset=-1", "offset"],
  ])("rejects out-of-range pagination %s", async (query, path) => {
    const res = await t.rest("GET", `/v1/crm/records/contacts?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.details[0].path).toBe(path);
  });

  it.each([
    ["limit=abc", "query.limit"],
    ["bogus=1", "query.bogus"],
  ])("rejects malformed query parameters %s", async (query, path) => {
    const res = await t.rest("GET", `/v1/crm/records/contacts?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe(path);
  });

  it.each([
    ["missing data", { external_id: "x" }, "body.data"],
    ["data not an object", { data: [1, 2] }, "body.data"],
    ["unknown field", { data: { name: "x" }, colour: "red" }, "body.colour"],
    ["external_id of the wrong type", { data: { name: "x" }, external_id: 5 }, "body.external_id"],
    ["empty external_id", { data: { name: "x" }, external_id: "" }, "external_id"],
    ["external_source without external_id", { data: { name: "x" }, external_source: "s" }, "external_source"],
    ["id that is not a UUID", { data: { name: "x" }, id: "abc" }, "id"],
    ["version of zero", { data: { name: "x" }, external_id: "v0", version: 0 }, "version"],
  ])("rejects a PUT with %s and writes nothing", async (_name, body, path) => {
    const before = await countRows(t, "records");
    const res = await t.rest("PUT", "/v1/crm/records/contacts", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countRows(t, "records")).toBe(before);
  });

  it.each([
    [
      "PUT with a body id that differs from the path",
      "PUT",
      "/v1/crm/records/contacts/{id}",
      { id: "0192a000-0000-7000-8000-0000000000ff", data: { name: "x" } },
      400,
      "id",
    ],
    [
      "PUT by id with an unknown field",
      "PUT",
      "/v1/crm/records/contacts/{id}",
      { data: { name: "x" }, extra: 1 },
      400,
      "body.extra",
    ],
    ["PATCH without data", "PATCH", "/v1/crm/records/contacts/{id}", { version: 1 }, 400, "body.data"],
    [
      "PATCH with data that is not an object",
      "PATCH",
      "/v1/crm/records/contacts/{id}",
      { data: "x" },
      400,
      "body.data",
    ],
    [
      "PATCH with an unknown field",
      "PATCH",
      "/v1/crm/records/contacts/{id}",
      { data: {}, external_id: "e" },
      400,
      "body.external_id",
    ],
    [
      "PATCH with a version of the wrong type",
      "PATCH",
      "/v1/crm/records/contacts/{id}",
      { data: {}, version: "1" },
      400,
      "body.version",
    ],
    ["archive of an unknown record", "POST", "/v1/crm/records/contacts/{missing}/archive", undefined, 404, undefined],
    ["cancel of an unknown record", "POST", "/v1/crm/records/contacts/{missing}/cancel", undefined, 404, undefined],
    ["cancel of a malformed id", "POST", "/v1/crm/records/contacts/nope/cancel", undefined, 404, undefined],
  ] as const)("rejects %s, leaving the record unchanged", async (_name, method, template, body, status, path) => {
    const rec = await t.rest("PUT", "/v1/crm/records/contacts", { body: { data: { name: "Unchanged" } } });
    const url = template.replace("{id}", rec.body.id).replace("{missing}", "0192a000-0000-7000-8000-00000000beef");
    const before = await countRows(t, "records");
    const res = await t.rest(method, url, body === undefined ? {} : { body });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 400 ? "VALIDATION_ERROR" : "NOT_FOUND");
    if (path) expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countRows(t, "records")).toBe(before);
    const after = await t.rest("GET", `/v1/crm/records/contacts/${rec.body.id}`);
    expect(after.body).toEqual(rec.body);
  });

  it("answers 404 naming what is missing: workspace, collection or record", async () => {
    const noWs = await t.rest("GET", "/v1/nope/records/contacts");
    expect(noWs.status).toBe(404);
    expect(noWs.body.error.message).toBe("Workspace 'nope' not found");
    const noCol = await t.rest("PUT", "/v1/crm/records/nope", { body: { data: {} } });
    expect(noCol.status).toBe(404);
    expect(noCol.body.error.message).toBe("Collection 'nope' not found in workspace 'crm'");
    const noRec = await t.rest("GET", "/v1/crm/records/contacts/not-a-uuid");
    expect(noRec.status).toBe(404);
    expect(noRec.body.error.message).toBe("Record 'not-a-uuid' not found in collection 'contacts'");
  });

  it("rejects record data over the size cap with 413 and writes nothing", async () => {
    const big = await startTestServer(backend, { config: { maxBodyBytes: 4096 } });
    try {
      await seedContacts(big);
      const res = await big.rest("PUT", "/v1/crm/records/contacts", { body: { data: { name: "x".repeat(5000) } } });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(await countRows(big, "records")).toBe(0);
      // Each patch is small, but the merged record would not be: the resolver's own cap refuses it.
      const small = await big.rest("PUT", "/v1/crm/records/contacts", { body: { data: { name: "y".repeat(3000) } } });
      expect(small.status).toBe(201);
      const grow = `mutation($id: ID!, $data: JSON!) {
        patchRecord(workspace: "crm", collection: "contacts", id: $id, data: $data) { version } }`;
      const gql = await big.gql(grow, { id: small.body.id, data: { address: { city: "z".repeat(3000) } } });
      expect(gql.body.errors?.[0]?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
      expect((await big.rest("GET", `/v1/crm/records/contacts/${small.body.id}`)).body.version).toBe(1);
      const tooBig = await big.gql(grow, { id: small.body.id, data: { address: { city: "z".repeat(5000) } } });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.errors?.[0]?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
    } finally {
      await big.close();
    }
  });
});
