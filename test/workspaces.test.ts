import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { countRows, seedContacts } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

describe.each(backends())("workspaces on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t?.close());

  it("creates, gets, lists by tag, updates (merging settings) and deletes a workspace", async () => {
    const created = await t.rest("POST", "/v1/workspaces", {
      body: { id: "acme", name: "Acme", description: "Main", tags: ["prod"], settings: { timezone: "UTC" } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: "acme",
      name: "Acme",
      description: "Main",
      tags: ["prod"],
      environment: "production",
      parent_id: null,
      settings: { timezone: "UTC" },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    await t.rest("POST", "/v1/workspaces", { body: { id: "other", name: "Other" } });
    expect((await t.rest("GET", "/v1/workspaces/acme")).body).toEqual(created.body);

    const tagged = await t.rest("GET", "/v1/workspaces?tag=prod");
    expect(tagged.body.data.map((w: { id: string }) => w.id)).toEqual(["acme"]);
    expect(tagged.body.meta).toEqual({ total: 1, limit: 50, offset: 0 });
    const all = await t.rest("GET", "/v1/workspaces?limit=1&offset=1");
    expect(all.body).toMatchObject({ data: [{ id: "other" }], meta: { total: 2, limit: 1, offset: 1 } });

    const patched = await t.rest("PATCH", "/v1/workspaces/acme", {
      body: { name: "Acme Inc", settings: { timezone: "Europe/Berlin" } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: "Acme Inc",
      description: "Main",
      tags: ["prod"],
      settings: { timezone: "Europe/Berlin" },
    });
    expect(patched.body.updated_at > created.body.updated_at).toBe(true);

    expect((await t.rest("DELETE", "/v1/workspaces/acme")).status).toBe(204);
    expect((await t.rest("GET", "/v1/workspaces/acme")).status).toBe(404);
    expect((await t.rest("DELETE", "/v1/workspaces/acme")).status).toBe(404);
  });

  it("deleting a workspace removes its collections and records", async () => {
    await seedContacts(t, "doomed");
    await t.rest("PUT", "/v1/doomed/records/contacts", { body: { data: { name: "x" } } });
    const before = await countRows(t, "records");
    expect((await t.rest("DELETE", "/v1/doomed")).status).toBe(404);
    expect((await t.rest("DELETE", "/v1/workspaces/doomed")).status).toBe(204);
    expect(await countRows(t, "records")).toBe(before - 1);
    const [row] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM collections WHERE workspace_id = 'doomed'",
    );
    expect(row?.n).toBe(0);
  });

  it("refuses a duplicate id with 409", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "dup", name: "One" } });
    const again = await t.rest("POST", "/v1/workspaces", { body: { id: "dup", name: "Two" } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: { code: "CONFLICT", message: "Workspace 'dup' already exists", details: [] },
    });
    expect((await t.rest("GET", "/v1/workspaces/dup")).body.name).toBe("One");
  });

  it.each([
    ["an invalid slug", { id: "Has Spaces", name: "x" }, "id"],
    ["a reserved id", { id: "tokens", name: "x" }, "id"],
    ["a missing name", { id: "ok-id" }, "body.name"],
    ["an empty name", { id: "ok-id", name: "  " }, "name"],
    ["an unknown field", { id: "ok-id", name: "x", owner: "me" }, "body.owner"],
    ["a bad time zone", { id: "ok-id", name: "x", settings: { timezone: "Mars/Base" } }, "settings.timezone"],
    ["an unknown setting", { id: "ok-id", name: "x", settings: { locale: "fr" } }, "body.settings.locale"],
    ["tags that are not strings", { id: "ok-id", name: "x", tags: [1] }, "body.tags.0"],
  ])("rejects a workspace with %s and writes nothing", async (_name, body, path) => {
    const before = await countRows(t, "workspaces");
    const res = await t.rest("POST", "/v1/workspaces", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countRows(t, "workspaces")).toBe(before);
  });

  it("rejects a bad update and leaves the workspace unchanged", async () => {
    await t.rest("POST", "/v1/workspaces", { body: { id: "stable", name: "Stable" } });
    const res = await t.rest("PATCH", "/v1/workspaces/stable", { body: { name: "", id: "renamed" } });
    expect(res.status).toBe(400);
    expect((await t.rest("GET", "/v1/workspaces/stable")).body.name).toBe("Stable");
    expect((await t.rest("PATCH", "/v1/workspaces/ghost", { body: { name: "x" } })).status).toBe(404);
  });
});
