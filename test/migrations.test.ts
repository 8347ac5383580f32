import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { applyMigrations, type Migration, readMigrations } from "../src/db/migrate.ts";
import { pgliteSession, pgSession, type SqlSession } from "../src/db/sql-session.ts";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";

const bad: Migration = {
  name: "29991231000000_broken",
  sql: "CREATE TABLE half_done (a int);\nSELECT no_such_function();",
  checksum: "0".repeat(64),
};

/** A brand-new, unmigrated database and a session on it. */
async function emptyDatabase(backend: "pglite" | "postgres") {
  if (backend === "pglite") {
    const db = await PGlite.create();
    return { session: pgliteSession(db), sessions: [] as SqlSession[], close: () => db.close() };
  }
  const test: TestDatabase = await createTestDatabase("postgres");
  await test.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  const url = "url" in test.target ? test.target.url : "";
  const clients = [new pg.Client(url), new pg.Client(url)];
  await Promise.all(clients.map((c) => c.connect()));
  return {
    session: pgSession(clients[0] as pg.Client),
    sessions: clients.map((c) => pgSession(c)),
    close: async () => {
      await Promise.all(clients.map((c) => c.end()));
      await test.drop();
    },
  };
}

describe.each(backends())("start-up migrations on %s", (backend) => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("applies every migration once, recording Prisma-compatible history", async () => {
    const db = await emptyDatabase(backend);
    close = db.close;
    const all = await readMigrations();
    expect(await applyMigrations(db.session, all)).toEqual(all.map((m) => m.name));
    expect(await applyMigrations(db.session, all)).toEqual([]);
    const rows = await db.session.query<{ migration_name: string; checksum: string; done: boolean }>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS done FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows).toEqual(all.map((m) => ({ migration_name: m.name, checksum: m.checksum, done: true })));
  });

  it("rolls a failing migration back whole and records nothing", async () => {
    const db = await emptyDatabase(backend);
    close = db.close;
    const all = await readMigrations();
    await expect(applyMigrations(db.session, [...all, bad])).rejects.toThrow(
      /migration 29991231000000_broken failed: .*no_such_function/,
    );
    const [table] = await db.session.query<{ exists: boolean }>(
      "SELECT to_regclass('half_done') IS NOT NULL AS exists",
    );
    expect(table?.exists).toBe(false);
    const names = await db.session.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`);
    expect(names.map((r) => r.migration_name)).toEqual(all.map((m) => m.name));
  });

  it("refuses to start when an applied migration was edited afterwards", async () => {
    const db = await emptyDatabase(backend);
    close = db.close;
    const all = await readMigrations();
    await applyMigrations(db.session, all);
    const edited = all.map((m, i) => (i === 0 ? { ...m, checksum: "f".repeat(64) } : m));
    await expect(applyMigrations(db.session, edited)).rejects.toThrow(/was modified after it was applied/);
  });

  it.runIf(backend === "postgres")(
    "applies each migration exactly once when two instances start together",
    async () => {
      const db = await emptyDatabase(backend);
      close = db.close;
      const all = await readMigrations();
      const [a, b] = await Promise.all(db.sessions.map((s) => applyMigrations(s, all)));
      expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(all.map((m) => m.name).sort());
      const [count] = await db.session.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(count?.n).toBe(all.length);
    },
  );
});
