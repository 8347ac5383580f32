import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

// Several instances share one database only on PostgreSQL (a PGlite data folder belongs to one process).
const shared = backends().filter((b) => b === "postgres");

describe.each(shared)("two instances on one %s database", (backend) => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    // A fallback TTL far longer than the test: only the invalidation channel can explain a fresh read.
    const config = { collectionCacheMs: 3_600_000 };
    a = await startTestServer(backend, { db, config });
    b = await startTestServer(backend, { db, config });
    await a.rest("POST", "/v1/workspaces", { body: { id: "w", name: "W" } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it("sees another instance's schema change at once, though it caches definitions", async () => {
    await a.rest("PUT", "/v1/w/collections/c", { body: { json_schema: { type: "object" } } });
    // b caches the permissive schema.
    expect((await b.rest("PUT", "/v1/w/records/c", { body: { data: { n: "one" } } })).status).toBe(201);

    await a.rest("PUT", "/v1/w/collections/c", {
      body: { json_schema: { type: "object", properties: { n: { type: "number" } } } },
    });
    await expect
      .poll(async () => (await b.rest("PUT", "/v1/w/records/c", { body: { data: { n: "two" } } })).status, {
        timeout: 2_000,
        interval: 20,
      })
      .toBe(400);

    await a.rest("DELETE", "/v1/w/collections/c");
    await expect.poll(async () => (await b.rest("GET", "/v1/w/records/c")).status, { timeout: 2_000 }).toBe(404);
  });

  it("keeps serving from the database while the channel is down, and caches again once it is back", async () => {
    await a.rest("PUT", "/v1/w/collections/d", { body: { json_schema: { type: "object" } } });
    expect((await b.rest("PUT", "/v1/w/records/d", { body: { data: { n: "cached" } } })).status).toBe(201);
    // Cut every LISTEN connection; the instances reconnect on their own.
    await db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    await a.rest("PUT", "/v1/w/collections/d", {
      body: { json_schema: { type: "object", properties: { n: { type: "number" } } } },
    });
    await expect
      .poll(async () => (await b.rest("PUT", "/v1/w/records/d", { body: { data: { n: "x" } } })).status, {
        timeout: 5_000,
        interval: 50,
      })
      .toBe(400);
    await expect
      .poll(
        async () =>
          (
            await db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
          )[0]?.n,
        { timeout: 10_000, interval: 100 },
      )
      .toBe(2);
  });
});
