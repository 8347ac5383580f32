// Developer migration tool. The native schema engine cannot be downloaded offline (prisma.config.ts points the
// CLI at a failing stub), so this drives the WASM engine through driver adapters instead.
//
//   tsx scripts/migrate.ts create <name>   write prisma/migrations/<UTC timestamp>_<name>/migration.sql
//   tsx scripts/migrate.ts check           exit 1 if schema.prisma has changes no migration covers (CI guard)
//
// Shadow database: in-memory PGlite by default; MIGRATE_SHADOW=pg uses a temporary database next to
// DATABASE_URL's (faster, needs a server and CREATEDB). MIGRATE_DEBUG=1 traces engine logs and SQL.
// Exit codes: 0 ok, 1 drift (check), 2 usage or runtime error.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { MigrationBackend } from "./migrate/backend.ts";
import { diffMigrationsToSchema, type Paths } from "./migrate/diff.ts";
import { writeMigration } from "./migrate/migrations.ts";
import { DEFAULT_DATABASE_URL, pgBackend } from "./migrate/shadow-pg.ts";
import { pgliteBackend } from "./migrate/shadow-pglite.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const paths: Paths = {
  root,
  schema: join(root, "prisma", "schema.prisma"),
  migrations: join(root, "prisma", "migrations"),
};

const USAGE = "usage: tsx scripts/migrate.ts create <name> | check   (name: ^[a-z0-9_]+$)";

class UsageError extends Error {}

function selectBackend(): MigrationBackend {
  const shadow = process.env.MIGRATE_SHADOW ?? "pglite";
  if (shadow === "pglite") return pgliteBackend();
  if (shadow === "pg") return pgBackend(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  throw new UsageError(`MIGRATE_SHADOW must be "pglite" (default) or "pg", not "${shadow}"`);
}

async function create(name: string | undefined): Promise<number> {
  if (name === undefined || !/^[a-z0-9_]+$/.test(name))
    throw new UsageError(`invalid or missing migration name\n${USAGE}`);
  const sql = await diffMigrationsToSchema(paths, selectBackend());
  if (sql === "") {
    console.log("no schema changes");
    return 0;
  }
  const folder = await writeMigration(paths.migrations, name, sql);
  console.log(`created prisma/migrations/${folder}/migration.sql`);
  return 0;
}

async function check(): Promise<number> {
  const sql = await diffMigrationsToSchema(paths, selectBackend());
  if (sql === "") {
    console.log("migrations match schema.prisma");
    return 0;
  }
  // The remedy depends on the SQL: new columns want `migrate:create`, while e.g. a DROP INDEX means a
  // hand-written migration created an index schema.prisma should model (a plain or GIN index; partial and
  // expression indexes are ignored by the diff).
  console.log("drift: a database built from prisma/migrations needs this SQL to match schema.prisma:\n");
  console.log(sql);
  console.log("\nRecord it with `npm run migrate:create -- <name>`, or change schema.prisma.");
  return 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "create" && rest.length <= 1) return create(rest[0]);
  if (command === "check" && rest.length === 0) return check();
  throw new UsageError(USAGE);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Engine errors carry their own Rust span trace in the message; the JS stack only lists wasm frames.
  const text = process.env.MIGRATE_DEBUG ? (error.stack ?? error.message) : error.message;
  return error.cause === undefined ? text : `${text}\ncaused by: ${describeError(error.cause)}`;
}

// An uncaught error would exit with 1, which CI would read as drift.
process.on("uncaughtException", (error) => {
  process.stderr.write(`unexpected failure: ${describeError(error)}\n`);
  process.exit(2);
});

const started = performance.now();
try {
  // exitCode rather than process.exit(): the process must end by itself, so a leaked pool, PGlite instance or
  // engine timer shows up as a slow exit instead of being hidden.
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${describeError(error)}\n`);
  process.exitCode = 2;
} finally {
  if (process.env.MIGRATE_DEBUG)
    process.stderr.write(`[migrate] ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
