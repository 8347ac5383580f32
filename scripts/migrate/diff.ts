import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import type { MigrationBackend } from "./backend.ts";
import { type SchemaFile, withEngine } from "./engine.ts";
import { readMigrations } from "./migrations.ts";

export type Paths = { root: string; schema: string; migrations: string };

/**
 * SQL that takes a database built from the migrations folder to schema.prisma, or "" when they match.
 * The engine replays the migrations into the backend's shadow database and compares what it describes there
 * with the datamodel, so objects Prisma does not model (partial or expression indexes, functions) are ignored.
 */
export async function diffMigrationsToSchema(paths: Paths, backend: MigrationBackend): Promise<string> {
  let sql: string;
  try {
    // Relative, so engine errors name "prisma/schema.prisma" rather than this machine's checkout path.
    const schema: SchemaFile[] = [
      { path: relative(paths.root, paths.schema), content: await readFile(paths.schema, "utf8") },
    ];
    const migrations = await readMigrations(paths.migrations);
    sql = await withEngine(backend.factory, schema, async (engine) => {
      const result = await engine.diff({
        from: { tag: "migrations", ...migrations },
        to: { tag: "schemaDatamodel", files: schema },
        script: true,
        // exitCode 2 marks a non-empty diff; safer than matching the "-- This is an empty migration." text.
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      });
      return result.exitCode === 2 ? (result.stdout ?? "") : "";
    });
  } catch (error) {
    // Still release the shadow (a leftover database, or a PGlite that keeps the process alive), but report
    // the engine's error, not a secondary cleanup failure.
    await backend.close().catch((closeError: unknown) => {
      process.stderr.write(`also failed to clean up the ${backend.description}: ${String(closeError)}\n`);
    });
    throw error;
  }
  await backend.close();
  return sql;
}
