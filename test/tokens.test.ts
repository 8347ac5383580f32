import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

describe.each(backends())("API tokens and grants on %s", (backend) => {
  let t: TestServer;
  const as = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } });

  async function mint(grants: unknown[], extra: object = {}, by?: string): Promise<{ id: string; token: string }> {
    const res = await t.rest("POST", "/v1/tokens", {
      body: { name: "test", grants, ...extra },
      ...(by ? as(by) : {}),
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    t = await startTestServer(backend);
    for (const ws of ["crm", "ops"]) {
      await t.rest("POST", "/v1/workspaces", { body: { id: ws, name: ws } });
      for (const c of ["contacts", "deals"]) {
        await t.rest("PUT", `/v1/${ws}/collections/${c}`, { body: { json_schema: { type: "object" } } });
        await t.rest("PUT", `/v1/${ws}/records/${c}`, { body: { data: { in: `${ws}/${c}` } } });
      }
    }
  });
  afterAll(() => t?.close());

  it("shows the secret once and stores only its hash", async () => {
    const created = await t.rest("POST", "/v1/tokens", {
      body: { name: "reader", grants: [{ scope: { workspaces: ["crm"] }, permissions: ["read:records"] }] },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rec_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: "reader", type: "service", status: "active", last_used_at: null });

    const listed = await t.rest("GET", "/v1/tokens");
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(listed.body.data.find((x: { id: string }) => x.id === created.body.id).prefix).toBe(
      created.body.token.slice(0, 10),
    );
    const [row] = await t.db.query<{ token_hash: string }>("SELECT token_hash FROM api_tokens WHERE id = $1", [
      created.body.id,
    ]);
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.body.token.slice(4));

    expect((await t.rest("GET", "/v1/crm/records/contacts", as(created.body.token))).status).toBe(200);
    const after = await t.rest("GET", `/v1/tokens/${created.body.id}`);
    expect(after.body.last_used_at).not.toBeNull();
    expect(t.logs.join("\n")).not.toContain(created.body.token.slice(4));
  });

  it("allows what a grant covers and answers 403 for the rest", async () => {
    const { token } = await mint([{ scope: { workspaces: ["crm"] }, permissions: ["records:read"] }]);
    expect((await t.rest("GET", "/v1/crm/records/deals", as(token))).status).toBe(200);
    const write = await t.rest("PUT", "/v1/crm/records/deals", { body: { data: {} }, ...as(token) });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("FORBIDDEN");
    expect((await t.rest("GET", "/v1/ops/records/deals", as(token))).status).toBe(403);
    expect((await t.rest("GET", "/v1/crm/collections/deals", as(token))).status).toBe(403);
    expect((await t.rest("GET", "/v1/workspaces", as(token))).status).toBe(403);
    expect((await t.rest("GET", "/v1/tokens", as(token))).status).toBe(403);
    const [row] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM records WHERE workspace_id = 'crm'");
    expect(row?.n).toBe(2);
  });

  it("a collection-scoped token never learns that other collections or workspaces exist", async () => {
    const { token } = await mint([
      { scope: { workspaces: ["crm"], collections: ["contacts"] }, permissions: ["read:collections", "read:records"] },
      { scope: { workspaces: ["crm"] }, permissions: ["read:workspaces"] },
    ]);
    const collections = await t.rest("GET", "/v1/crm/collections", as(token));
    expect(collections.body.data.map((c: { id: string }) => c.id)).toEqual(["contacts"]);
    expect(collections.body.meta.total).toBe(1);
    expect((await t.rest("GET", "/v1/crm/collections/deals", as(token))).status).toBe(403);
    expect((await t.rest("GET", "/v1/crm/records/deals", as(token))).status).toBe(403);
    const workspaces = await t.rest("GET", "/v1/workspaces", as(token));
    expect(workspaces.body.data.map((w: { id: string }) => w.id)).toEqual(["crm"]);

    const gql = await t.gql(
      '{ workspace(id: "crm") { collections { id recordCount records { data } workspace { id } } } }',
      {},
      as(token),
    );
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.data.workspace.collections).toEqual([
      { id: "contacts", recordCount: 1, records: [{ data: { in: "crm/contacts" } }], workspace: { id: "crm" } },
    ]);
  });

  it("rejects expired and revoked tokens with 401", async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const expiring = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }], { expires_at: soon });
    expect((await t.rest("GET", "/v1/crm/records/contacts", as(expiring.token))).status).toBe(200);
    await t.db.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.id]);
    const expired = await t.rest("GET", "/v1/crm/records/contacts", as(expiring.token));
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe("This token has expired");
    expect((await t.rest("GET", `/v1/tokens/${expiring.id}`)).body.status).toBe("expired");

    const revoking = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }]);
    expect((await t.rest("DELETE", `/v1/tokens/${revoking.id}`)).status).toBe(204);
    const revoked = await t.rest("GET", "/v1/crm/records/contacts", as(revoking.token));
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toBe("This token was revoked");
    expect((await t.rest("GET", "/v1/crm/records/contacts", as("rec_unknown"))).status).toBe(401);
  });

  it("keeps minted grants within the minting token's own (the privilege ceiling)", async () => {
    const user = await mint([{ scope: { workspaces: ["crm"] }, permissions: ["read:records", "write:records"] }], {
      type: "user",
    });
    const within = await mint(
      [{ scope: { workspaces: ["crm"], collections: ["deals"] }, permissions: ["read:records"] }],
      {},
      user.token,
    );
    expect((await t.rest("GET", "/v1/crm/records/deals", as(within.token))).status).toBe(200);

    for (const grant of [
      { scope: { workspaces: ["crm"] }, permissions: ["write:collections"] },
      { scope: { workspaces: ["ops"] }, permissions: ["read:records"] },
      { scope: { workspaces: ["*"] }, permissions: ["read:records"] },
      { scope: { workspaces: ["crm"] }, permissions: ["*"] },
    ]) {
      const res = await t.rest("POST", "/v1/tokens", { body: { name: "x", grants: [grant] }, ...as(user.token) });
      expect(res.status, JSON.stringify(grant)).toBe(403);
      expect(res.body.error.details).toEqual([
        { path: "grants[0]", message: "is not covered by this token's own grants" },
      ]);
    }
    // A user token sees itself and what it made, not the admin's other tokens.
    const listed = await t.rest("GET", "/v1/tokens", as(user.token));
    expect(listed.body.data.map((x: { id: string }) => x.id).sort()).toEqual([user.id, within.id].sort());

    const service = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }]);
    const bySservice = await t.rest("POST", "/v1/tokens", {
      body: { name: "x", grants: [{ scope: { workspaces: ["crm"] }, permissions: ["read:records"] }] },
      ...as(service.token),
    });
    expect(bySservice.status).toBe(403);
  });

  it.each([
    [{ grants: [] }, "grants"],
    [{ grants: [{ scope: {}, permissions: ["read:records"] }] }, "grants[0].scope.workspaces"],
    [{ grants: [{ scope: { workspaces: ["crm"] }, permissions: ["read:everything"] }] }, "grants[0].permissions[0]"],
    [{ grants: [{ scope: { workspaces: ["crm"] }, permissions: ["contexts:read"] }] }, "grants[0].permissions[0]"],
    [
      { grants: [{ scope: { workspaces: ["crm"], environments: ["staging"] }, permissions: ["*"] }] },
      "grants[0].scope.environments",
    ],
    [{ name: "", grants: [{ scope: { workspaces: ["crm"] }, permissions: ["*"] }] }, "name"],
    [{ type: "robot", grants: [{ scope: { workspaces: ["crm"] }, permissions: ["*"] }] }, "type"],
    [
      { expires_at: "2001-01-01T00:00:00Z", grants: [{ scope: { workspaces: ["crm"] }, permissions: ["*"] }] },
      "expires_at",
    ],
  ])("rejects the token %j with 400 at %s, creating nothing", async (body, path) => {
    const before = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens");
    const res = await t.rest("POST", "/v1/tokens", { body: { name: "bad", ...body } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await t.db.query("SELECT count(*)::int AS n FROM api_tokens")).toEqual(before);
  });

  it("keeps service tokens off production configuration; user tokens and the admin may change it", async () => {
    const grant = [{ scope: { workspaces: ["crm"] }, permissions: ["write:collections", "write:records"] }];
    const agent = await mint(grant);
    const denied = await t.rest("PUT", "/v1/crm/collections/notes", {
      body: { json_schema: { type: "object" } },
      ...as(agent.token),
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.details[0].reason).toBe("environment_restricted");
    expect((await t.rest("GET", "/v1/crm/collections/notes")).status).toBe(404);
    // Records in production are what agents are for.
    expect((await t.rest("PUT", "/v1/crm/records/deals", { body: { data: {} }, ...as(agent.token) })).status).toBe(201);

    const person = await mint(grant, { type: "user" });
    const allowed = await t.rest("PUT", "/v1/crm/collections/notes", {
      body: { json_schema: { type: "object" } },
      ...as(person.token),
    });
    expect(allowed.status).toBe(201);
  });

  it("refuses internal endpoints to API tokens", async () => {
    const { token } = await mint([{ scope: { workspaces: ["*"] }, permissions: ["*"] }]);
    expect((await t.rest("GET", "/v1/internal/anything", as(token))).status).toBe(403);
    expect((await t.rest("GET", "/v1/internal/anything")).status).toBe(404);
  });

  it("checks grants the same way over GraphQL, nested fields included", async () => {
    const { token } = await mint([
      { scope: { workspaces: ["crm"], collections: ["contacts"] }, permissions: ["read:records"] },
    ]);
    const denied = await t.gql('{ records(workspace: "crm", collection: "deals") { total } }', {}, as(token));
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const allowed = await t.gql(
      '{ records(workspace: "crm", collection: "contacts") { nodes { data collection { id } } } }',
      {},
      as(token),
    );
    // Reading records does not include reading the collection's definition.
    expect(allowed.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const created = await t.gql(
      'mutation { createToken(input: {name: "g", grants: [{scope: {workspaces: ["crm"]}, permissions: ["read:records"]}]}) { secret token { status } } }',
    );
    expect(created.body.data.createToken.secret).toMatch(/^rec_/);
    expect(created.body.data.createToken.token.status).toBe("active");
  });
});
