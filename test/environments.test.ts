import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

// Production and its previews: agents change configuration in a preview, a person promotes it into production.

const invoiceSchema = { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] };
const invoiceSchemaV2 = {
  type: "object",
  properties: { amount: { type: "number" }, currency: { type: "string" } },
  required: ["amount", "currency"],
};

describe.each(backends())("previews and promotion on %s", (backend) => {
  let t: TestServer;
  const as = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } });
  let user: string;
  let service: string;

  async function mint(grants: unknown[], type: "user" | "service"): Promise<string> {
    const res = await t.rest("POST", "/v1/tokens", { body: { name: type, type, grants } });
    expect(res.status, res.text).toBe(201);
    return res.body.token;
  }

  async function collectionsOf(workspace: string) {
    const res = await t.rest("GET", `/v1/${workspace}/collections`);
    expect(res.status, res.text).toBe(200);
    return Object.fromEntries(
      res.body.data.map((c: { id: string; json_schema: unknown; indexes: unknown; version: number }) => [
        c.id,
        { json_schema: c.json_schema, indexes: c.indexes, version: c.version },
      ]),
    );
  }

  async function recordCount(workspace: string): Promise<number> {
    const [row] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM records WHERE workspace_id = $1 AND deleted_at IS NULL",
      [workspace],
    );
    return row?.n ?? -1;
  }

  /** A production workspace with invoices (holding a record) and legacy (empty), and a preview of it. */
  async function setUp(prod: string, preview = "next") {
    expect((await t.rest("POST", "/v1/workspaces", { body: { id: prod, name: prod } })).status).toBe(201);
    await t.rest("PUT", `/v1/${prod}/collections/invoices`, { body: { json_schema: invoiceSchema } });
    await t.rest("PUT", `/v1/${prod}/collections/legacy`, { body: { json_schema: { type: "object" } } });
    expect((await t.rest("PUT", `/v1/${prod}/records/invoices`, { body: { data: { amount: 5 } } })).status).toBe(201);
    const created = await t.rest("POST", `/v1/workspaces/${prod}/previews`, { body: { name: preview } });
    expect(created.status, created.text).toBe(201);
    return `${prod}--${preview}`;
  }

  beforeAll(async () => {
    t = await startTestServer(backend);
    user = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }], "user");
    service = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }], "service");
  });
  afterAll(() => t?.close());

  it("creates a preview as a copy of production's collections, without records", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "shop", name: "Shop", tags: ["retail"] } });
    await t.rest("PUT", "/v1/shop/collections/invoices", {
      body: { json_schema: invoiceSchema, indexes: [{ fields: [{ field: "data.amount", direction: "desc" }] }] },
    });
    await t.rest("PUT", "/v1/shop/records/invoices", { body: { data: { amount: 1 } } });

    const created = await t.rest("POST", "/v1/workspaces/shop/previews", {
      body: { name: "feature-x", description: "Try currencies" },
      ...as(user),
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      id: "shop--feature-x",
      name: "feature-x",
      description: "Try currencies",
      environment: "preview",
      parent_id: "shop",
      tags: ["retail"],
    });
    const copied = await collectionsOf("shop--feature-x");
    const original = await collectionsOf("shop");
    expect(copied.invoices).toEqual({ ...original.invoices, version: 1 });
    expect(await recordCount("shop--feature-x")).toBe(0);
    // The copied index exists for the preview's own rows, so its queries are planned like production's.
    const indexes = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_indexes WHERE indexname LIKE 'rgi\\_%' AND indexdef LIKE '%shop--feature-x%'",
    );
    expect(indexes[0]?.n).toBe(1);

    const listed = await t.rest("GET", "/v1/workspaces/shop/previews");
    expect(listed.body).toMatchObject({ data: [{ id: "shop--feature-x" }], meta: { total: 1 } });
    expect((await t.rest("GET", "/v1/workspaces/shop--feature-x")).body.parent_id).toBe("shop");
    expect((await t.rest("POST", "/v1/workspaces/shop/previews", { body: { name: "feature-x" } })).status).toBe(409);
  });

  it("rejects bad preview names, previews of previews and '--' in production ids", async () => {
    await setUp("names");
    for (const name of ["Feature", "a--b", "trailing-", "", "x".repeat(64)]) {
      const res = await t.rest("POST", "/v1/workspaces/names/previews", { body: { name } });
      expect(res.status, name).toBe(400);
      expect(res.body.error.details[0].path).toBe("name");
    }
    const nested = await t.rest("POST", "/v1/workspaces/names--next/previews", { body: { name: "deeper" } });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toContain("is a preview");
    expect((await t.rest("POST", "/v1/workspaces/nowhere/previews", { body: { name: "x" } })).status).toBe(404);
    for (const id of ["a--b", "ends-"]) {
      const res = await t.rest("POST", "/v1/workspaces", { body: { id, name: id } });
      expect(res.status, id).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ path: "id", message: expect.stringContaining("'--'") });
      // The database holds the same rule, whatever writes the row.
      await expect(t.db.query("INSERT INTO workspaces (id, name) VALUES ($1, 'x')", [id])).rejects.toThrow(
        /does not fit environment production/,
      );
    }
    await expect(
      t.db.query(
        "INSERT INTO workspaces (id, name, environment, parent_id) VALUES ('names--a--b', 'x', 'preview', 'names')",
      ),
    ).rejects.toThrow(/does not fit environment preview/);
  });

  it("lets service tokens change configuration in previews but not in production", async () => {
    const preview = await setUp("agents");
    const prod = await t.rest("PUT", "/v1/agents/collections/notes", {
      body: { json_schema: { type: "object" } },
      ...as(service),
    });
    expect(prod.status).toBe(403);
    expect(prod.body.error.details[0].reason).toBe("environment_restricted");
    const inPreview = await t.rest("PUT", `/v1/${preview}/collections/notes`, {
      body: { json_schema: { type: "object" } },
      ...as(service),
    });
    expect(inPreview.status).toBe(201);
    // Records may be written in production by service tokens.
    expect(
      (await t.rest("PUT", "/v1/agents/records/invoices", { body: { data: { amount: 1 } }, ...as(service) })).status,
    ).toBe(201);
  });

  it("a grant on a production workspace covers its previews, and environments narrow it", async () => {
    const preview = await setUp("family");
    const previewsOnly = await mint(
      [{ scope: { workspaces: ["family"], environments: ["preview"] }, permissions: ["*"] }],
      "service",
    );
    expect((await t.rest("GET", `/v1/${preview}/collections`, as(previewsOnly))).status).toBe(200);
    expect((await t.rest("GET", "/v1/family/collections", as(previewsOnly))).status).toBe(403);
    const listed = await t.rest("GET", "/v1/workspaces", as(previewsOnly));
    expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([preview]);
    // A grant on one preview covers neither production nor another preview.
    await t.rest("POST", "/v1/workspaces/family/previews", { body: { name: "other" } });
    const onePreview = await mint([{ scope: { workspaces: [preview] }, permissions: ["*"] }], "user");
    expect((await t.rest("GET", `/v1/${preview}/collections`, as(onePreview))).status).toBe(200);
    expect((await t.rest("GET", "/v1/family/collections", as(onePreview))).status).toBe(403);
    expect((await t.rest("GET", "/v1/family--other/collections", as(onePreview))).status).toBe(403);
    // The privilege ceiling follows the same rule.
    const ceiling = await t.rest("POST", "/v1/tokens", {
      body: { name: "child", grants: [{ scope: { workspaces: ["family"] }, permissions: ["read:records"] }] },
      ...as(onePreview),
    });
    expect(ceiling.status).toBe(403);
  });

  it("a dry run reports the diff and changes nothing", async () => {
    const preview = await setUp("dry");
    await t.rest("PUT", `/v1/${preview}/collections/invoices`, { body: { json_schema: invoiceSchemaV2 } });
    await t.rest("PUT", `/v1/${preview}/collections/payments`, { body: { json_schema: { type: "object" } } });
    await t.rest("DELETE", `/v1/${preview}/collections/legacy`);
    const before = await collectionsOf("dry");

    const res = await t.rest("POST", "/v1/workspaces/dry/promote", {
      body: { from: preview, dry_run: true },
      ...as(user),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      dry_run: true,
      diff: {
        collections: {
          added: ["payments"],
          changed: [{ id: "invoices", fields: ["json_schema"] }],
          removed: ["legacy"],
        },
        triggers: { added: [], changed: [], removed: [] },
        hooks: { added: [], changed: [], removed: [] },
      },
    });
    expect(await collectionsOf("dry")).toEqual(before);
    expect((await t.rest("GET", "/v1/workspaces/dry/promotions")).body.meta.total).toBe(0);

    const gql = await t.gql(
      `mutation($from: ID!) { promote(workspaceId: "dry", from: $from, dryRun: true) { dryRun diff promotion { id } } }`,
      { from: preview },
    );
    expect(gql.body.data?.promote).toEqual({ dryRun: true, diff: res.body.diff, promotion: null });
  });

  it("applies a promotion in one step: configuration only, records untouched, schema enforced at once", async () => {
    const preview = await setUp("live");
    await t.rest("PUT", `/v1/${preview}/collections/invoices`, { body: { json_schema: invoiceSchemaV2 } });
    await t.rest("PUT", `/v1/${preview}/collections/payments`, { body: { json_schema: { type: "object" } } });
    await t.rest("DELETE", `/v1/${preview}/collections/legacy`);
    await t.rest("PUT", `/v1/${preview}/records/payments`, { body: { data: { preview: true } } });
    // Production's cached definition must not outlive the promotion.
    expect((await t.rest("PUT", "/v1/live/records/invoices", { body: { data: { amount: 2 } } })).status).toBe(201);

    const res = await t.rest("POST", "/v1/workspaces/live/promote", { body: { from: preview }, ...as(user) });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      workspace_id: "live",
      from: preview,
      status: "applied",
      created_by: expect.any(String),
      rolled_back_at: null,
      diff: { collections: { added: ["payments"], removed: ["legacy"] } },
    });
    const after = await collectionsOf("live");
    expect(Object.keys(after).sort()).toEqual(["invoices", "payments"]);
    expect(after.invoices).toMatchObject({ json_schema: invoiceSchemaV2, version: 2 });
    expect(await recordCount("live")).toBe(2);
    expect((await t.rest("GET", "/v1/live/records/payments")).body.data).toEqual([]);
    const invalid = await t.rest("PUT", "/v1/live/records/invoices", { body: { data: { amount: 3 } } });
    expect(invalid.status).toBe(400);

    const listed = await t.rest("GET", "/v1/workspaces/live/promotions");
    expect(listed.body).toMatchObject({ data: [{ id: res.body.id, status: "applied" }], meta: { total: 1 } });
    const again = await t.rest("POST", "/v1/workspaces/live/promote", { body: { from: preview }, ...as(user) });
    expect(again.status).toBe(409);
  });

  it("refuses a removal that would delete production records, and writes nothing", async () => {
    const preview = await setUp("keep");
    await t.rest("DELETE", `/v1/${preview}/collections/invoices`);
    await t.rest("PUT", `/v1/${preview}/collections/extra`, { body: { json_schema: { type: "object" } } });
    const before = await collectionsOf("keep");
    const res = await t.rest("POST", "/v1/workspaces/keep/promote", { body: { from: preview } });
    expect(res.status).toBe(409);
    expect(res.body.error.details[0].message).toContain("'invoices' holds records");
    expect(await collectionsOf("keep")).toEqual(before);
    // Leaving it out of the selection promotes the rest.
    const selected = await t.rest("POST", "/v1/workspaces/keep/promote", {
      body: { from: preview, collections: ["extra"] },
    });
    expect(selected.status, selected.text).toBe(201);
    expect(selected.body.diff.collections).toEqual({ added: ["extra"], changed: [], removed: [] });
    expect(Object.keys(await collectionsOf("keep")).sort()).toEqual(["extra", "invoices", "legacy"]);
  });

  it("only people promote: service tokens and read-only users get 403", async () => {
    const preview = await setUp("people");
    await t.rest("PUT", `/v1/${preview}/collections/extra`, { body: { json_schema: { type: "object" } } });
    const res = await t.rest("POST", "/v1/workspaces/people/promote", { body: { from: preview }, ...as(service) });
    expect(res.status).toBe(403);
    expect(res.body.error.details[0].reason).toBe("user_token_required");
    const reader = await mint([{ scope: { workspaces: ["people"] }, permissions: ["read:workspaces"] }], "user");
    expect(
      (await t.rest("POST", "/v1/workspaces/people/promote", { body: { from: preview }, ...as(reader) })).status,
    ).toBe(403);
    expect((await t.rest("GET", "/v1/workspaces/people/promotions", as(reader))).status).toBe(200);
    expect(Object.keys(await collectionsOf("people")).sort()).toEqual(["invoices", "legacy"]);
  });

  it("answers 400 when 'from' is not a preview of that workspace, or a selection names nothing", async () => {
    const preview = await setUp("source");
    await setUp("elsewhere");
    for (const from of ["source", "elsewhere--next", "nowhere", "SOURCE--next"]) {
      const res = await t.rest("POST", "/v1/workspaces/source/promote", { body: { from } });
      expect(res.status, from).toBe(400);
      expect(res.body.error.details[0].path).toBe("from");
    }
    const fromPreview = await t.rest("POST", `/v1/workspaces/${preview}/promote`, { body: { from: preview } });
    expect(fromPreview.status).toBe(400);
    const unknown = await t.rest("POST", "/v1/workspaces/source/promote", {
      body: { from: preview, collections: ["ghost"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({ path: "collections[0]" });
    const trigger = await t.rest("POST", "/v1/workspaces/source/promote", {
      body: { from: preview, triggers: ["t1"] },
    });
    expect(trigger.status).toBe(400);
    expect((await t.rest("POST", "/v1/workspaces/source/promote", { body: {} })).status).toBe(400);
    expect(
      (await t.rest("POST", "/v1/workspaces/source/promote", { body: { from: preview, dry_run: "yes" } })).status,
    ).toBe(400);
  });

  it("rolls back the latest promotion, unless production changed since", async () => {
    const preview = await setUp("undo");
    await t.rest("PUT", `/v1/${preview}/collections/invoices`, { body: { json_schema: invoiceSchemaV2 } });
    await t.rest("DELETE", `/v1/${preview}/collections/legacy`);
    const first = await t.rest("POST", "/v1/workspaces/undo/promote", { body: { from: preview }, ...as(user) });
    expect(first.status).toBe(201);

    await t.rest("PUT", `/v1/${preview}/collections/payments`, { body: { json_schema: { type: "object" } } });
    const second = await t.rest("POST", "/v1/workspaces/undo/promote", { body: { from: preview }, ...as(user) });
    expect(second.status).toBe(201);
    const notLatest = await t.rest("POST", `/v1/workspaces/undo/promotions/${first.body.id}/rollback`, as(user));
    expect(notLatest.status).toBe(409);
    expect(notLatest.body.error.message).toContain("not the latest");
    expect(
      (await t.rest("POST", `/v1/workspaces/undo/promotions/${second.body.id}/rollback`, as(service))).status,
    ).toBe(403);

    const undone = await t.rest("POST", `/v1/workspaces/undo/promotions/${second.body.id}/rollback`, as(user));
    expect(undone.status, undone.text).toBe(200);
    expect(undone.body).toMatchObject({ status: "rolled_back", rolled_back_at: expect.any(String) });
    expect(Object.keys(await collectionsOf("undo")).sort()).toEqual(["invoices"]);
    expect((await t.rest("POST", `/v1/workspaces/undo/promotions/${second.body.id}/rollback`)).status).toBe(409);

    // Production changes invoices directly: rolling back the first promotion would undo that, so it is refused.
    await t.rest("PUT", "/v1/undo/collections/invoices", { body: { json_schema: invoiceSchemaV2, description: "x" } });
    const moved = await t.rest("POST", `/v1/workspaces/undo/promotions/${first.body.id}/rollback`, as(user));
    expect(moved.status).toBe(409);
    expect(moved.body.error.details[0].message).toContain("'invoices' changed since");
    await t.rest("PUT", "/v1/undo/collections/invoices", { body: { json_schema: invoiceSchemaV2 } });

    const restoredFirst = await t.gql(
      `mutation($id: ID!) { rollbackPromotion(workspaceId: "undo", id: $id) { status } }`,
      { id: first.body.id },
      {},
    );
    // Production moved (versions differ from right after the promotion) even though the schema is back.
    expect(restoredFirst.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(await recordCount("undo")).toBe(1);
    expect((await collectionsOf("undo")).invoices.json_schema).toEqual(invoiceSchemaV2);

    const missing = await t.rest(
      "POST",
      "/v1/workspaces/undo/promotions/0195d0a4-3c1b-7c2e-9d4a-1b2c3d4e5f60/rollback",
    );
    expect(missing.status).toBe(404);
    expect((await t.rest("POST", "/v1/workspaces/undo/promotions/not-a-uuid/rollback")).status).toBe(404);
  });

  it("rolls back additions and removals to production's exact earlier definitions", async () => {
    const preview = await setUp("exact");
    await t.rest("PUT", `/v1/${preview}/collections/invoices`, { body: { json_schema: invoiceSchemaV2 } });
    await t.rest("PUT", `/v1/${preview}/collections/payments`, { body: { json_schema: { type: "object" } } });
    await t.rest("DELETE", `/v1/${preview}/collections/legacy`);
    const original = await collectionsOf("exact");
    const promoted = await t.rest("POST", "/v1/workspaces/exact/promote", { body: { from: preview } });
    expect(promoted.status).toBe(201);
    const undone = await t.rest("POST", `/v1/workspaces/exact/promotions/${promoted.body.id}/rollback`);
    expect(undone.status, undone.text).toBe(200);
    const restored = await collectionsOf("exact");
    expect(Object.keys(restored).sort()).toEqual(["invoices", "legacy"]);
    expect(restored.invoices).toMatchObject({ json_schema: invoiceSchema, indexes: original.invoices.indexes });
    expect(restored.legacy.json_schema).toEqual(original.legacy.json_schema);
    expect((await t.rest("PUT", "/v1/exact/records/invoices", { body: { data: { amount: 3 } } })).status).toBe(201);
  });

  it("serialises concurrent promotions: one applies, the other finds nothing left to do", async () => {
    const preview = await setUp("race");
    await t.rest("PUT", `/v1/${preview}/collections/payments`, { body: { json_schema: { type: "object" } } });
    const results = await Promise.all(
      [1, 2].map(() => t.rest("POST", "/v1/workspaces/race/promote", { body: { from: preview }, ...as(user) })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await t.rest("GET", "/v1/workspaces/race/promotions")).body.meta.total).toBe(1);
  });

  it("deleting a production workspace deletes its previews", async () => {
    const preview = await setUp("gone");
    expect((await t.rest("DELETE", "/v1/workspaces/gone")).status).toBe(204);
    expect((await t.rest("GET", `/v1/workspaces/${preview}`)).status).toBe(404);
    const [row] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM collections WHERE workspace_id LIKE 'gone%'",
    );
    expect(row?.n).toBe(0);
  });
});
