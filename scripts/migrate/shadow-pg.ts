import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { withScriptRunner } from "./adapter.ts";
import type { MigrationBackend } from "./backend.ts";
import { toDriverError } from "./driver-error.ts";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test";

/**
 * Discrete parameters, never `connectionString`: node-postgres lets a connectionString override `database`,
 * which is how the stock adapter's "shadow" pool ended up replaying migrations into the main database.
 */
export function parseDatabaseUrl(url: string): pg.PoolConfig {
  const u = new URL(url);
  if (u.protocol !== "postgresql:" && u.protocol !== "postgres:")
    throw new Error(`DATABASE_URL is not a postgres URL: ${u.protocol}`);
  const config: pg.PoolConfig = {
    host: u.searchParams.get("host") ?? (decodeURIComponent(u.hostname) || "127.0.0.1"),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
  };
  for (const key of u.searchParams.keys()) {
    if (key !== "host")
      process.stderr.write(`warning: DATABASE_URL parameter "${key}" is ignored by scripts/migrate.ts\n`);
  }
  return config;
}

const OID_CHAR = 18;
const OID_TEXT = 25;

type PerformIO = (query: SqlQuery) => Promise<{ fields: { dataTypeID: number }[] }>;

/**
 * The engine's schema describer selects catalog columns of Postgres' internal `"char"` type (oid 18), which
 * adapter-pg 7.10.1 cannot map ("Column type 'char' could not be deserialized"). Its values arrive as text
 * anyway, so relabelling the column as text is enough. `performIO` is private in the typings but is the one
 * place every query of an adapter or transaction goes through.
 */
function readCharAsText(queryable: object): void {
  const target = queryable as { performIO?: PerformIO };
  const performIO = target.performIO;
  if (typeof performIO !== "function") {
    throw new Error(
      "@prisma/adapter-pg has no performIO any more; re-check the oid 18 workaround in scripts/migrate/shadow-pg.ts",
    );
  }
  target.performIO = async (query) => {
    const result = await performIO.call(queryable, query);
    for (const field of result.fields) if (field.dataTypeID === OID_CHAR) field.dataTypeID = OID_TEXT;
    return result;
  };
}

async function adapterOn(pool: pg.Pool, role: string): Promise<SqlDriverAdapter> {
  const inner = await new PrismaPg(pool).connect();
  readCharAsText(inner);
  const startTransaction = inner.startTransaction.bind(inner);
  inner.startTransaction = async (isolationLevel) => {
    const tx = await startTransaction(isolationLevel);
    readCharAsText(tx);
    return tx;
  };
  // The stock executeScript splits on every `;`, which breaks `$$` bodies, DO blocks and quoted semicolons,
  // and runs the pieces outside one transaction. A parameterless query uses the simple protocol, which runs the
  // whole script in one implicit transaction, as the native engine does.
  return withScriptRunner(inner, role, async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      throw toDriverError(error);
    }
  });
}

/**
 * Shadow databases are created next to DATABASE_URL's database and dropped at close. The stock factory drops
 * before ending the shadow pool, so the DROP fails ("being accessed by other users") and leaves the database
 * behind; here the pools end first and the DROP uses WITH (FORCE) for any straggler.
 */
export function pgBackend(url: string): MigrationBackend {
  const config = parseDatabaseUrl(url);
  let closing = false;
  const newPool = (database: string | undefined) => {
    const pool = new pg.Pool({ ...config, database, max: 2 });
    // An idle client's error is re-emitted on its pool, and an unlistened 'error' event kills the process.
    // pool.end() resolves before its clients' sockets have closed, so the FORCE drop below can still terminate
    // them (57P01); that is expected once closing. The stock adapter's listener is gone after dispose().
    pool.on("error", (error) => {
      if (!closing) process.stderr.write(`warning: idle connection to ${database} failed: ${error.message}\n`);
    });
    return pool;
  };
  // Serves the engine's "main" connection and the CREATE/DROP DATABASE statements; a diff does not write to it.
  const mainPool = newPool(config.database);
  const shadowPools: pg.Pool[] = [];
  const shadowNames: string[] = [];
  const adapters: SqlDriverAdapter[] = [];

  const track = (adapter: SqlDriverAdapter) => {
    adapters.push(adapter);
    return adapter;
  };

  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg (migrate)",
    connect: async () => track(await adapterOn(mainPool, "main")),
    async connectToShadowDb() {
      // pid + random suffix: two developers' (or CI jobs') runs on one server must not collide.
      const name = `migrate_shadow_${process.pid}_${randomBytes(4).toString("hex")}`;
      await mainPool.query(`CREATE DATABASE "${name}"`);
      shadowNames.push(name);
      const pool = newPool(name);
      shadowPools.push(pool);
      return track(await adapterOn(pool, "shadow"));
    },
  };

  return {
    description: `temporary database on ${config.host}:${config.port}`,
    factory,
    async close() {
      closing = true;
      const errors: unknown[] = [];
      const collect = async (work: () => Promise<unknown>) => {
        try {
          await work();
        } catch (error) {
          errors.push(error);
        }
      };
      for (const adapter of adapters) await collect(() => adapter.dispose());
      for (const pool of shadowPools) await collect(() => pool.end());
      for (const name of shadowNames)
        await collect(() => mainPool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      await collect(() => mainPool.end());
      if (errors.length > 0) throw errors[0];
    },
  };
}
