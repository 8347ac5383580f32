import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINT_LOCK } from "../src/resolvers/tokens.ts";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const GRANTS = [{ scope: { workspaces: ["w"] }, permissions: ["*"] }];
/** Rate limits off: these tests send bursts. */
const config = { rateLimit: { points: 0, windowSeconds: 60, burst: 0 } };

interface Minted {
  id: string;
  token: string;
}

async function mint(t: TestServer, by: string | undefined, name: string, type = "user"): Promise<Minted> {
  const res = await t.rest("POST", "/v1/tokens", { body: { name, type, grants: GRANTS }, token: by });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** What a token's next request gets: 200, or 401 with its message. */
async function answer(t: TestServer, token: string): Promise<string> {
  const res = await t.rest("GET", "/v1/w/records/c", { token });
  return res.status === 200 ? "200" : `${res.status} ${res.body?.error?.message}`;
}

const REVOKED = "401 This token was revoked";

describe.each(backends())("revoking a token on %s", (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(backend, { config });
    await t.rest("POST", "/v1/workspaces", { body: { id: "w", name: "W" } });
    await t.rest("PUT", "/v1/w/collections/c", { body: { json_schema: { type: "object" } } });
  });
  afterAll(() => t?.close());

  it("revokes every token minted under it, at once, and no sibling", async () => {
    const a = await mint(t, undefined, "a");
    const sibling = await mint(t, undefined, "a's sibling");
    const b = await mint(t, a.token, "b");
    const bSibling = await mint(t, a.token, "b's sibling");
    const c = await mint(t, b.token, "c", "service");
    for (const x of [a, sibling, b, bSibling, c]) expect(await answer(t, x.token)).toBe("200");

    expect((await t.rest("DELETE", `/v1/tokens/${b.id}`)).status).toBe(204);
    expect(await answer(t, b.token)).toBe(REVOKED);
    expect(await answer(t, c.token)).toBe(REVOKED);
    for (const x of [a, sibling, bSibling]) expect(await answer(t, x.token)).toBe("200");

    expect((await t.rest("DELETE", `/v1/tokens/${a.id}`)).status).toBe(204);
    for (const x of [a, b, bSibling, c]) expect(await answer(t, x.token)).toBe(REVOKED);
    expect(await answer(t, sibling.token)).toBe("200");
    const statuses = await t.rest("GET", "/v1/tokens?limit=100");
    const status = (id: string) => statuses.body.data.find((x: { id: string }) => x.id === id)?.status;
    expect([a, b, bSibling, c].map((x) => status(x.id))).toEqual(["revoked", "revoked", "revoked", "revoked"]);
    expect(status(sibling.id)).toBe("active");
  });

  it('shows who minted whom: created_by is the minting token\'s id, or "admin"', async () => {
    const a = await mint(t, undefined, "lister");
    const b = await mint(t, a.token, "lister's child");
    const c = await mint(t, b.token, "lister's grandchild");
    const one = await t.rest("GET", `/v1/tokens/${c.id}`);
    expect(one.body.created_by).toBe(b.id);
    expect((await t.rest("GET", `/v1/tokens/${a.id}`)).body.created_by).toBe("admin");

    // A user token sees itself and everything minted under it, and nothing else.
    const listed = await t.rest("GET", "/v1/tokens?limit=100", { token: a.token });
    expect(listed.status).toBe(200);
    const rows = (listed.body.data as Array<{ id: string; created_by: string }>).map((x) => [x.id, x.created_by]);
    expect(rows.sort()).toEqual(
      [
        [a.id, "admin"],
        [b.id, a.id],
        [c.id, b.id],
      ].sort(),
    );
    // So it may revoke a grandchild alone.
    expect((await t.rest("DELETE", `/v1/tokens/${c.id}`, { token: a.token })).status).toBe(204);
    expect(await answer(t, c.token)).toBe(REVOKED);
    expect(await answer(t, b.token)).toBe("200");

    const gql = await t.gql(`{ token(id: "${b.id}") { createdBy } tokens(limit: 100) { nodes { id createdBy } } }`);
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.data.token.createdBy).toBe(a.id);
    expect(gql.body.data.tokens.nodes.find((x: { id: string }) => x.id === a.id).createdBy).toBe("admin");
  });

  it("leaves no token minted during the revocation alive, at any depth", async () => {
    const a = await mint(t, undefined, "racer");
    const b = await mint(t, a.token, "racer's child");
    // Mints by a and by b race the revocation of a; each either lands before it (and is revoked with it) or is
    // refused; none may survive.
    const mints = Array.from({ length: 24 }, (_, i) =>
      t.rest("POST", "/v1/tokens", {
        body: { name: `race ${i}`, type: "user", grants: GRANTS },
        token: i % 2 ? a.token : b.token,
      }),
    );
    const revoke = t.rest("DELETE", `/v1/tokens/${a.id}`);
    const answers = await Promise.all(mints);
    expect((await revoke).status).toBe(204);
    for (const res of answers) {
      expect([201, 401], res.text).toContain(res.status);
      if (res.status === 401) expect(res.body.error.message).toBe("This token was revoked");
      else expect(await answer(t, res.body.token)).toBe(REVOKED);
    }
    const [alive] = await t.db.query<{ n: number }>(
      `WITH RECURSIVE tree(id) AS (SELECT $1::uuid UNION SELECT x.id FROM api_tokens x JOIN tree ON x.created_by = tree.id)
       SELECT count(*)::int AS n FROM api_tokens WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL`,
      [a.id],
    );
    expect(alive?.n).toBe(0);
  });
});

describe.each(backends())("upgrading on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { config });
  });
  afterAll(() => t?.close());

  it("revokes the tokens minted under tokens revoked before this release", async () => {
    const insert = (id: string, by: string | null, revoked: boolean) =>
      t.db.query(
        `INSERT INTO api_tokens (id, name, type, token_hash, prefix, grants, created_by, revoked_at)
         VALUES ($1::uuid, 'old', 'user', $1::text, 'rec_xx', '[]', $2::uuid, CASE WHEN $3::boolean THEN timestamptz '2026-01-01' END)`,
        [id, by, revoked],
      );
    const id = (n: number) => `0190f1c2-0000-7000-8000-0000000000${String(n).padStart(2, "0")}`;
    await insert(id(1), null, true);
    await insert(id(2), id(1), false);
    await insert(id(3), id(2), false);
    await insert(id(4), null, false);
    await insert(id(5), id(4), false);
    const sql = await readFile(
      new URL("../prisma/migrations/20261203133000_revoke_minted_tokens/migration.sql", import.meta.url),
      "utf8",
    );
    // The data step of the migration (the index is in place already).
    await t.db.query(sql.slice(sql.indexOf("WITH RECURSIVE")));
    const rows = await t.db.query<{ id: string; revoked_at: Date | null }>(
      "SELECT id::text, revoked_at FROM api_tokens WHERE name = 'old' ORDER BY id",
    );
    expect(rows.map((r) => r.revoked_at?.toISOString() ?? null)).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:00.000Z",
      null,
      null,
    ]);
  });
});

// Several instances share one database only on PostgreSQL.
describe.each(backends().filter((b) => b === "postgres"))("revoking a token across instances on %s", (backend) => {
  let db: TestDatabase;
  let one: TestServer;
  let two: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    one = await startTestServer(backend, { db, config });
    two = await startTestServer(backend, { db, config });
    await one.rest("POST", "/v1/workspaces", { body: { id: "w", name: "W" } });
    await one.rest("PUT", "/v1/w/collections/c", { body: { json_schema: { type: "object" } } });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it("is seen by the other instance on the very next request", async () => {
    const a = await mint(one, undefined, "a");
    const b = await mint(two, a.token, "b");
    const c = await mint(one, b.token, "c");
    const sibling = await mint(two, undefined, "sibling");
    for (const x of [a, b, c, sibling]) expect(await answer(two, x.token)).toBe("200");
    expect((await one.rest("DELETE", `/v1/tokens/${a.id}`)).status).toBe(204);
    for (const x of [a, b, c]) expect(await answer(two, x.token)).toBe(REVOKED);
    expect(await answer(two, sibling.token)).toBe("200");
  });

  it("waits for a mint in flight and revokes what it minted", async () => {
    const a = await mint(one, undefined, "parent");
    // A mint in flight, held open at the point where it has checked its minter and inserted its token.
    const held = new pg.Client({ connectionString: (db.target as { url: string }).url });
    await held.connect();
    try {
      await held.query("BEGIN");
      await held.query("SELECT pg_advisory_xact_lock_shared($1::bigint)", [MINT_LOCK]);
      const child = "0190f1c2-0000-7000-8000-00000000c41d";
      await held.query(
        `INSERT INTO api_tokens (id, name, type, token_hash, prefix, grants, created_by)
         VALUES ($1, 'in flight', 'user', 'hash-in-flight', 'rec_xx', '[]', $2)`,
        [child, a.id],
      );
      let settled = false;
      const revoke = two.rest("DELETE", `/v1/tokens/${a.id}`).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled, "the revocation must wait for the mint in flight").toBe(false);
      await held.query("COMMIT");
      expect((await revoke).status).toBe(204);
      const [row] = await db.query<{ revoked: boolean }>(
        "SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1",
        [child],
      );
      expect(row?.revoked).toBe(true);
    } finally {
      await held.end();
    }
  });

  it("makes a mint that starts during a revocation wait, then refuses it", async () => {
    const a = await mint(one, undefined, "minter");
    // A revocation in flight: it holds the lock and has marked the token, not yet committed.
    const held = new pg.Client({ connectionString: (db.target as { url: string }).url });
    await held.connect();
    try {
      await held.query("BEGIN");
      await held.query("SELECT pg_advisory_xact_lock($1::bigint)", [MINT_LOCK]);
      await held.query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1", [a.id]);
      let settled = false;
      const minting = two
        .rest("POST", "/v1/tokens", { body: { name: "late", type: "user", grants: GRANTS }, token: a.token })
        .finally(() => {
          settled = true;
        });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled, "the mint must wait for the revocation in flight").toBe(false);
      await held.query("COMMIT");
      const res = await minting;
      expect([res.status, res.body.error?.message]).toEqual([401, "This token was revoked"]);
      const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens WHERE created_by = $1", [
        a.id,
      ]);
      expect(row?.n).toBe(0);
    } finally {
      await held.end();
    }
  });
});
