import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { inject } from "vitest";
import type { DatabaseTarget } from "../../src/db/database.ts";
import { PGLITE_EXTENSIONS } from "../../src/db/pglite-extensions.ts";

/**
 * The change context of rows a test writes straight into the tables (the change trigger refuses writes without one):
 * put it in the statement's WHERE.
 */
export const SEEDED = `rg_change_context('{"actor":"seed","request_id":"seed","origin":"api"}')`;

export type BackendName = "pglite" | "postgres";

/** The backends this run covers: PGlite always, PostgreSQL when it is reachable (see global-setup.ts). */
export function backends(): BackendName[] {
  return inject("postgresUrl") ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDatabase {
  target: DatabaseTarget;
  /** A raw session for assertions that look under the API (row counts, EXPLAIN). */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/** A fresh, empty database of the given backend, owned by one test file. Dropping it twice is harmless. */
export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  const db = await openTestDatabase(backend);
  let dropped: Promise<void> | undefined;
  return { ...db, drop: () => (dropped ??= db.drop()) };
}

async function openTestDatabase(backend: BackendName): Promise<TestDatabase> {
  if (backend === "pglite") {
    const blob = new Blob([await readFile(inject("pgliteTemplate"))]);
    const db = await PGlite.create({ loadDataDir: blob, extensions: PGLITE_EXTENSIONS });
    return {
      target: { pglite: db },
      query: async (sql, params) => (await db.query<never>(sql, params)).rows,
      drop: () => db.close(),
    };
  }
  const adminUrl = inject("postgresUrl");
  if (!adminUrl) throw new Error("PostgreSQL is not available in this run");
  const name = `recordgate_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const session = new pg.Client({ connectionString: url.toString() });
  await session.connect();
  return {
    target: { url: url.toString() },
    query: async (sql, params) => (await session.query(sql, params)).rows,
    async drop() {
      await session.end();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
