import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import { lockDataFolder } from "./data-folder-lock.ts";
import { type Invalidations, postgresInvalidations } from "./invalidations.ts";
import { applyMigrations, readMigrations } from "./migrate.ts";
import { PGLITE_EXTENSIONS } from "./pglite-extensions.ts";
import { pgliteSession, pgPoolSession, pgSession, type SqlSession } from "./sql-session.ts";

export type Backend = "pglite" | "postgres";

/** An open database: the Prisma client the resolvers use, plus what start-up and shutdown need. */
export interface Database {
  backend: Backend;
  prisma: PrismaClient;
  /** Parameterised SQL straight to the driver, for the records hot path (see src/sources/native.ts). */
  sql: SqlSession;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** How instances sharing this database tell each other about changes; absent on PGlite (one process). */
  invalidations?: Invalidations;
  /** Throws when the database cannot answer a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseTarget = { url: string } | { pglite: PGlite } | { dataDir: string };

/** PostgreSQL when a URL is given; otherwise PGlite, either an instance the caller owns or a data folder. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if ("url" in target) return openPostgres(target.url);
  if ("pglite" in target) return openPglite(target.pglite);
  const dir = path.join(target.dataDir, "pgdata");
  await mkdir(dir, { recursive: true });
  // PGlite would let a second process open the folder and both would write: the lock refuses the second start.
  const lock = await lockDataFolder(target.dataDir);
  try {
    return openPglite(await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS }), lock.release);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A dropped idle connection must not crash the process; the pool replaces it on the next checkout.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), errorFormat: "minimal" });
  const invalidations = postgresInvalidations(url, pool);
  return {
    backend: "postgres",
    prisma,
    sql: pgPoolSession(pool),
    invalidations,
    async migrate() {
      const client = await pool.connect();
      try {
        return await applyMigrations(pgSession(client), await readMigrations());
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      await invalidations.close();
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}

/** `release` is given when this module opened the instance (and locked its folder): close() then owns both. */
function openPglite(db: PGlite, release?: () => Promise<void>): Database {
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db), errorFormat: "minimal" });
  return {
    backend: "pglite",
    prisma,
    sql: pgliteSession(db),
    async migrate() {
      return applyMigrations(pgliteSession(db), await readMigrations());
    },
    async ping() {
      await db.query("SELECT 1");
    },
    async close() {
      await prisma.$disconnect();
      if (!release) return;
      // The adapter's dispose is a no-op: without this the process hangs at exit.
      try {
        if (!db.closed) await db.close();
      } finally {
        await release();
      }
    },
  };
}
