// biome-ignore-all lint/suspicious/noExplicitAny: change rows are untyped JSON asserted with exact matchers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StripeLike, startStripeLike } from "../examples/stripe-like-upstream.ts";
import { backends } from "./support/database.ts";
import { type HttpResult, startTestServer, type TestServer } from "./support/server.ts";

// Every write of a record or relationship leaves one change row, written by the database in the same transaction
// (migration *_changes, src/sources/change-capture.ts): the stream triggers, hooks and history read.

interface ChangeRow {
  seq: number;
  entity: string;
  entity_id: string;
  collection_id: string | null;
  operation: string;
  after: any;
  before: any;
  actor: string | null;
  request_id: string | null;
  origin: string;
}

/** Tables that hold records or relationships: each must be captured. Every other table must be named below. */
const CAPTURED = ["records", "relationships"];
const NOT_RECORD_DATA = [
  "_prisma_migrations",
  "api_tokens",
  "changes",
  "collections",
  "external_records",
  "promotions",
  "vault_secrets",
  "workspaces",
];

const UPSTREAM_SECRET = "sk_test_changeCaptureSecret0001";

describe.each(backends())("change capture on %s", (backend) => {
  let t: TestServer;
  let stripe: StripeLike;

  const changesSince = async (seq: number) =>
    t.db.query<ChangeRow>(
      `SELECT seq::int AS seq, entity, entity_id::text AS entity_id, collection_id, operation, after, before, actor,
              request_id, origin
       FROM changes WHERE seq > $1 ORDER BY seq`,
      [seq],
    );
  const lastSeq = async () =>
    (await t.db.query<{ seq: number }>("SELECT COALESCE(max(seq), 0)::int AS seq FROM changes"))[0]?.seq ?? 0;
  const requestId = (res: HttpResult) => String(res.headers["x-request-id"]);

  beforeAll(async () => {
    stripe = await startStripeLike(UPSTREAM_SECRET);
    t = await startTestServer(backend, { config: { outboundAllow: "127.0.0.1" } });
    await t.rest("POST", "/v1/workspaces", { body: { id: "cc", name: "Change capture" } });
    for (const c of ["people", "companies"]) {
      await t.rest("PUT", `/v1/cc/collections/${c}`, {
        body: { json_schema: { type: "object", properties: { name: { type: "string" } } } },
      });
    }
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
  });

  it("captures every table that holds records or relationships, and knows every other table", async () => {
    const tables = await t.db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((r) => r.name)).toEqual([...CAPTURED, ...NOT_RECORD_DATA].sort());
    const triggers = await t.db.query<{ table: string; events: string }>(
      `SELECT c.relname AS table,
              concat_ws(',', CASE WHEN t.tgtype & 4 <> 0 THEN 'insert' END, CASE WHEN t.tgtype & 8 <> 0 THEN 'delete' END,
                        CASE WHEN t.tgtype & 16 <> 0 THEN 'update' END) AS events
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE p.proname = 'rg_capture_change' AND t.tgenabled <> 'D' AND t.tgtype & 1 = 1
       ORDER BY 1`,
    );
    expect(triggers).toEqual(CAPTURED.map((table) => ({ table, events: "insert,delete,update" })));
  });

  it("refuses a write that does not say who is writing, so no new write path goes unattributed", async () => {
    const before = await lastSeq();
    await expect(
      t.db.query(
        `INSERT INTO records (id, workspace_id, collection_id, data) VALUES (gen_random_uuid(), 'cc', 'people', '{}')`,
      ),
    ).rejects.toThrow(/without a change context/);
    await expect(t.db.query("UPDATE records SET version = version + 1 WHERE workspace_id = 'cc'")).resolves.toEqual([]);
    expect(await changesSince(before)).toEqual([]);
  });

  it("records a record's create, update, patch, archive and delete with who asked and the request", async () => {
    const before = await lastSeq();
    const created = await t.rest("PUT", "/v1/cc/records/people", { body: { external_id: "p1", data: { name: "A" } } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const updated = await t.rest("PUT", "/v1/cc/records/people", { body: { external_id: "p1", data: { name: "B" } } });
    const patched = await t.rest("PATCH", `/v1/cc/records/people/${id}`, { body: { data: { name: "C" } } });
    const archived = await t.rest("POST", `/v1/cc/records/people/${id}/archive`);
    expect([updated.status, patched.status, archived.status]).toEqual([200, 200, 200]);
    const other = await t.rest("PUT", "/v1/cc/records/people", { body: { data: { name: "D" } } });
    const deleted = await t.rest("DELETE", `/v1/cc/records/people/${other.body.id}`);
    expect(deleted.status).toBe(204);

    const changes = await changesSince(before);
    expect(
      changes.map((c) => [
        c.entity,
        c.operation,
        c.entity_id,
        c.after?.data?.name ?? null,
        c.before?.data?.name ?? null,
      ]),
    ).toEqual([
      ["record", "create", id, "A", null],
      ["record", "update", id, "B", "A"],
      ["record", "update", id, "C", "B"],
      ["record", "update", id, "C", "C"],
      ["record", "create", other.body.id, "D", null],
      ["record", "delete", other.body.id, "D", "D"],
    ]);
    expect(changes.map((c) => c.request_id)).toEqual(
      [created, updated, patched, archived, other, deleted].map(requestId),
    );
    for (const c of changes) expect(c).toMatchObject({ actor: "admin", origin: "api", collection_id: "people" });
    expect(changes[3]?.after).toMatchObject({ archived: true, version: 4, external_id: "p1" });
    expect(changes[5]?.after.deleted_at).not.toBeNull();
  });

  it("writes nothing for a refused write", async () => {
    const before = await lastSeq();
    const invalid = await t.rest("PUT", "/v1/cc/records/people", { body: { data: { name: 42 } } });
    const created = await t.rest("PUT", "/v1/cc/records/people", { body: { data: { name: "E" } } });
    const stale = await t.rest("PUT", "/v1/cc/records/people", {
      body: { id: created.body.id, version: 7, data: { name: "F" } },
    });
    expect([invalid.status, created.status, stale.status]).toEqual([400, 201, 409]);
    expect((await changesSince(before)).map((c) => c.operation)).toEqual(["create"]);
  });

  it("records links as they are made, changed and removed, also when deleting a record removes them", async () => {
    const person = (await t.rest("PUT", "/v1/cc/records/people", { body: { data: { name: "P" } } })).body.id;
    const company = (await t.rest("PUT", "/v1/cc/records/companies", { body: { data: { name: "Co" } } })).body.id;
    const body = (data: object) => ({
      rel_type: "works_at",
      source_collection: "people",
      source_id: person,
      target_collection: "companies",
      target_id: company,
      data,
    });
    const before = await lastSeq();
    const linked = await t.rest("PUT", "/v1/cc/relationships", { body: body({ since: 2020 }) });
    const relinked = await t.rest("PUT", "/v1/cc/relationships", { body: body({ since: 2021 }) });
    expect([linked.status, relinked.status]).toEqual([201, 200]);
    const second = await t.rest("PUT", "/v1/cc/relationships", { body: { ...body({}), rel_type: "knows" } });
    const unlinked = await t.rest("DELETE", `/v1/cc/relationships/${second.body.id}`);
    expect(unlinked.status).toBe(204);
    const gone = await t.rest("DELETE", `/v1/cc/records/people/${person}`);
    expect(gone.status).toBe(204);

    const changes = await changesSince(before);
    expect(changes.map((c) => [c.entity, c.operation, c.entity_id, c.request_id])).toEqual([
      ["relationship", "create", linked.body.id, requestId(linked)],
      ["relationship", "update", linked.body.id, requestId(relinked)],
      ["relationship", "create", second.body.id, requestId(second)],
      ["relationship", "delete", second.body.id, requestId(unlinked)],
      // The record's delete and the removal of its last link are one transaction, one request.
      ["record", "delete", person, requestId(gone)],
      ["relationship", "delete", linked.body.id, requestId(gone)],
    ]);
    expect(changes[1]).toMatchObject({ after: { data: { since: 2021 } }, before: { data: { since: 2020 } } });
    expect(changes[5]).toMatchObject({ after: null, collection_id: "people", origin: "api" });
  });

  it("records the records and links a deleted collection takes with it, as a cascade", async () => {
    await t.rest("PUT", "/v1/cc/collections/temp", { body: { json_schema: { type: "object" } } });
    const a = (await t.rest("PUT", "/v1/cc/records/temp", { body: { data: {} } })).body.id;
    const b = (await t.rest("PUT", "/v1/cc/records/companies", { body: { data: { name: "B" } } })).body.id;
    const link = await t.rest("PUT", "/v1/cc/relationships", {
      body: { rel_type: "x", source_collection: "temp", source_id: a, target_collection: "companies", target_id: b },
    });
    const before = await lastSeq();
    expect((await t.rest("DELETE", "/v1/cc/collections/temp")).status).toBe(204);
    const changes = await changesSince(before);
    expect(changes.map((c) => [c.entity, c.entity_id, c.operation, c.origin, c.actor]).sort()).toEqual(
      [
        ["record", a, "delete", "cascade", null],
        ["relationship", link.body.id, "delete", "cascade", null],
      ].sort(),
    );
  });

  it("records a token's writes under the token, and an external source's writes after its upstream answered", async () => {
    const minted = await t.rest("POST", "/v1/tokens", {
      body: {
        name: "writer",
        grants: [{ scope: { workspaces: ["cc"] }, permissions: ["read:records", "write:records"] }],
      },
    });
    expect(minted.status, minted.text).toBe(201);
    const saved = await t.rest("PUT", "/v1/cc/collections/invoices", {
      body: {
        json_schema: { type: "object", properties: { amount: { type: "number" } } },
        sources: [
          {
            name: "stripe",
            auth: { header: "Authorization", value_template: "Bearer {{secret}}", secret: UPSTREAM_SECRET },
            field_mapping: { to_external: { amount: { path: "amount_due", transform: "to_number" } } },
            get: { url: `${stripe.url}/v1/invoices/{{external_id}}` },
            create: { url: `${stripe.url}/v1/invoices`, method: "POST", body: "form" },
            update: { url: `${stripe.url}/v1/invoices/{{external_id}}`, method: "POST", body: "form" },
            delete: { url: `${stripe.url}/v1/invoices/{{external_id}}` },
          },
        ],
      },
    });
    expect(saved.status, saved.text).toBe(201);
    const before = await lastSeq();
    const token = minted.body.token;
    const own = await t.rest("PUT", "/v1/cc/records/invoices", { body: { data: { amount: 1 } }, token });
    const upstream = await t.rest("PUT", "/v1/cc/records/invoices", {
      body: { external_source: "stripe", data: { amount: 5 } },
      token,
    });
    expect([own.status, upstream.status], upstream.text).toEqual([201, 201]);
    const removed = await t.rest("DELETE", `/v1/cc/records/invoices/${upstream.body.id}`, { token });
    expect(removed.status).toBe(204);

    const changes = await changesSince(before);
    expect(changes.map((c) => [c.entity_id, c.operation, c.actor, c.request_id])).toEqual([
      [own.body.id, "create", minted.body.id, requestId(own)],
      [upstream.body.id, "create", minted.body.id, requestId(upstream)],
      [upstream.body.id, "delete", minted.body.id, requestId(removed)],
    ]);
    expect(changes[1]?.after).toMatchObject({
      external_source: "stripe",
      external_id: upstream.body.external_id,
      data: { amount: 5 },
    });
  });

  it("rolls a change back with its write", async () => {
    const before = await lastSeq();
    await expect(
      t.db.query(`
        WITH written AS (
          INSERT INTO records (id, workspace_id, collection_id, data)
          SELECT gen_random_uuid(), 'cc', 'people', '{}'::jsonb
          WHERE rg_change_context('{"actor":"x","request_id":"y","origin":"api"}')
          RETURNING id
        )
        SELECT (SELECT id FROM written)::text::int`),
    ).rejects.toThrow();
    expect(await changesSince(before)).toEqual([]);
  });
});
