// The bench database: created fresh for each run next to the admin database, dropped (WITH (FORCE)) at the end.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Closer } from "./lifecycle.ts";

/** The change context of rows a bench loads straight into the tables (the change trigger refuses writes without one). */
export const SEEDED = `rg_change_context('{"actor":"seed","request_id":"seed","origin":"api"}')`;

export interface BenchDatabase {
  name: string;
  url: string;
  /** Connected to the admin database, so reading statistics adds nothing to the bench database's own counters. */
  admin: pg.Client;
  close: () => Promise<void>;
}

/** A database of our own, so the run neither sees nor leaves rows in the admin database. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `recordgate_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    // An open client would keep the process alive after the error is reported.
    await admin.end();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    async close() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** One connection for the length of `fn`, closed whatever happens. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Matches the pool src/db/database.ts opens for PostgreSQL, so neither side can win by holding more connections. */
export const POOL_SIZE = 10;

/** The baseline's pool: an idle client the server drops must not crash the run (as in src/db/database.ts). */
export function baselinePool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on("error", () => {});
  return pool;
}

/** The baseline's pool and a separate client for EXPLAIN, on the bench database; both registered in `closers`. */
export async function baselineClients(url: string, closers: Closer[]) {
  const pool = baselinePool(url);
  closers.push({ what: "baseline pool", close: () => pool.end() });
  const explainClient = new pg.Client({ connectionString: url });
  await explainClient.connect();
  closers.push({ what: "EXPLAIN client", close: () => explainClient.end() });
  return { pool, explainClient };
}

/**
 * Waits until no other statement runs in the client's database. A throughput window ends with requests still
 * running server-side (a closed loop over second-long queries leaves some behind, and PostgreSQL finishes them after
 * the client has gone); the next case's latencies must not be measured on a CPU they still occupy.
 */
export async function waitUntilIdle(client: pg.Client, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ busy: number }>(
      `SELECT count(*)::int AS busy FROM pg_stat_activity
       WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
    );
    if ((rows[0]?.busy ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`the bench database stayed busy for ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
