import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function mint(t: TestServer, workspaces: string[]): Promise<string> {
  const res = await t.rest("POST", "/v1/tokens", {
    body: { name: "rl", grants: [{ scope: { workspaces }, permissions: ["*"] }] },
  });
  return res.body.token;
}

describe.each(backends())("per-workspace rate limits in one instance on %s", (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(backend, { config: { rateLimit: { points: 5, windowSeconds: 60, burst: 0 } } });
    for (const ws of ["busy", "quiet"]) {
      await t.rest("POST", "/v1/workspaces", { body: { id: ws, name: ws } });
      await t.rest("PUT", `/v1/${ws}/collections/c`, { body: { json_schema: { type: "object" } } });
    }
  });
  afterAll(() => t?.close());

  it("shares one limit between a workspace's tokens, answers 429 with Retry-After, and leaves others alone", async () => {
    const [a, b, other] = [await mint(t, ["busy"]), await mint(t, ["busy"]), await mint(t, ["quiet"])];
    const remaining: string[] = [];
    for (const token of [a, b, a, b, a]) {
      const res = await t.rest("GET", "/v1/busy/records/c", as(token));
      expect(res.status).toBe(200);
      expect(res.headers["ratelimit-limit"]).toBe("5");
      expect(res.headers["x-ratelimit-limit"]).toBe("5");
      remaining.push(String(res.headers["ratelimit-remaining"]));
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);

    const refused = await t.rest("PUT", "/v1/busy/records/c", { body: { data: {} }, ...as(b) });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    const [row] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM records WHERE workspace_id = 'busy'");
    expect(row?.n).toBe(0);

    const gql = await t.gql('{ records(workspace: "busy", collection: "c") { total } }', {}, as(a));
    expect(gql.body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(gql.headers["retry-after"]).toBeDefined();

    expect((await t.rest("GET", "/v1/quiet/records/c", as(other))).status).toBe(200);
    // The operator's admin token is not metered.
    expect((await t.rest("GET", "/v1/busy/records/c")).status).toBe(200);
  });

  it("does not let a token spend the quota of a workspace it has no grant for", async () => {
    const outsider = await mint(t, ["busy"]);
    const insider = await mint(t, ["quiet"]);
    for (let i = 0; i < 10; i++) expect((await t.rest("GET", "/v1/quiet/records/c", as(outsider))).status).toBe(403);
    const res = await t.rest("GET", "/v1/quiet/records/c", as(insider));
    expect(res.status).toBe(200);
  });
});

const redisUrl = inject("redisUrl");
const shared = redisUrl ? backends().filter((b) => b === "postgres") : [];

describe.each(shared)("one rate limit across two instances on Redis and %s", (backend) => {
  let db: TestDatabase;
  let servers: TestServer[];
  // Fresh counters: the workspace id is new each run, so earlier runs' Redis keys never count.
  const ws = `rl${randomBytes(4).toString("hex")}`;
  const LIMIT = 200;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    const config = { redisUrl: redisUrl ?? undefined, rateLimit: { points: LIMIT, windowSeconds: 600, burst: 0 } };
    servers = [await startTestServer(backend, { db, config }), await startTestServer(backend, { db, config })];
    await servers[0]?.rest("POST", "/v1/workspaces", { body: { id: ws, name: ws } });
    await servers[0]?.rest("PUT", `/v1/${ws}/collections/c`, { body: { json_schema: { type: "object" } } });
  });
  afterAll(async () => {
    for (const s of servers ?? []) await s.close();
    await db?.drop();
  });

  it("lets exactly the limit through, however the requests are spread", async () => {
    const [first, second] = servers as [TestServer, TestServer];
    const token = await mint(first, [ws]);
    const statuses: number[] = [];
    // 300 requests, 20 at a time, alternating instances.
    for (let batch = 0; batch < 15; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ((batch * 20 + i) % 2 === 0 ? first : second).rest("GET", `/v1/${ws}/records/c`, as(token)),
        ),
      );
      statuses.push(...results.map((r) => r.status));
    }
    const passed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Exact, and well within the 1 % the issue allows.
    expect(Math.abs(passed - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.01);
  });
});
