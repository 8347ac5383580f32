import { PGlite } from "@electric-sql/pglite";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { withScriptRunner } from "./adapter.ts";
import type { MigrationBackend } from "./backend.ts";
import { toDriverError } from "./driver-error.ts";

/**
 * In-memory PGlite for the engine, no server needed. Every instance is created and closed here: the stock
 * factory's `connectToShadowDb()` makes a fresh `memory://shadow` per call and never closes it (~2.5 s of
 * initdb, ~200 MB and an itimer that holds the process ~10 s at exit).
 */
export function pgliteBackend(): MigrationBackend {
  const instances: PGlite[] = [];
  const adapters: SqlDriverAdapter[] = [];

  async function adapt(db: PGlite, role: string): Promise<SqlDriverAdapter> {
    const inner = await new PrismaPGlite(db).connect();
    // The stock executeScript fires `exec()` without awaiting it: a failing migration is reported as applied
    // and the SQL error surfaces later as an unhandled rejection. exec() runs the script in one implicit
    // transaction, so a failure also rolls back the statements before it.
    const adapter = withScriptRunner(inner, role, async (script) => {
      try {
        await db.exec(script);
      } catch (error) {
        throw toDriverError(error);
      }
    });
    adapters.push(adapter);
    return adapter;
  }

  async function newInstance(): Promise<PGlite> {
    const db = await PGlite.create("memory://");
    instances.push(db);
    return db;
  }

  // For a diff the engine only reads the server version through the main connection (traced with
  // MIGRATE_DEBUG=1), so the first shadow can be that same, still empty, instance: one initdb (3-5 s and
  // ~200 MB on this machine) instead of two. Any later shadow request gets a fresh instance.
  let mainDb: Promise<PGlite> | undefined;
  let mainLent = false;

  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter (migrate)",
    async connect() {
      mainDb ??= newInstance();
      return adapt(await mainDb, "main");
    },
    async connectToShadowDb() {
      if (mainDb !== undefined && !mainLent) {
        mainLent = true;
        return adapt(await mainDb, "shadow");
      }
      return adapt(await newInstance(), "shadow");
    },
  };

  return {
    description: "in-memory PGlite shadow",
    factory,
    async close() {
      // The stock adapter's dispose() is a no-op, so closing the instances is what actually releases them.
      await Promise.allSettled(adapters.map((a) => a.dispose()));
      const results = await Promise.allSettled(instances.map((db) => db.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}
