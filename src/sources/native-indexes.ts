import { createHash } from "node:crypto";
import type { SqlSession } from "../db/sql-session.ts";
import { isWorkspaceId, SLUG } from "../identifiers.ts";
import type { IndexSpec } from "../query/parse.ts";
import { indexColumns, statisticsExpressions } from "./native-query.ts";
import type { CollectionRef } from "./record-source.ts";

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** Every index of one collection shares this prefix, so the database itself says which exist (no bookkeeping). */
function prefixOf(ref: CollectionRef): string {
  return `rgi_${hash(`${ref.workspaceId}/${ref.collectionId}`)}_`;
}

interface Definition {
  name: string;
  ddl: (concurrently: boolean) => string;
  /** Statistics on the index's data expressions, named like the index (their own namespace); none for system fields. */
  statistics?: string;
}

function definition(ref: CollectionRef, spec: IndexSpec): Definition {
  // Slugs are [a-z0-9_-] (checked again here because they are inlined: DDL takes no bind parameters).
  if (!isWorkspaceId(ref.workspaceId) || !SLUG.test(ref.collectionId)) throw new Error("unsafe collection reference");
  const columns = indexColumns(spec);
  const name = `${prefixOf(ref)}${hash(columns)}`;
  // Partial per collection: small, and the planner proves the predicate from the query's own conditions.
  const where = `workspace_id = '${ref.workspaceId}' AND collection_id = '${ref.collectionId}' AND deleted_at IS NULL`;
  const expressions = statisticsExpressions(spec);
  // One expression takes no statistics kinds; with several, ndistinct also informs multi-field GROUP BY estimates.
  const kinds = expressions.length > 1 ? " (ndistinct)" : "";
  return {
    name,
    ddl: (concurrently) =>
      `CREATE INDEX ${concurrently ? "CONCURRENTLY " : ""}IF NOT EXISTS "${name}" ON records (${columns}) WHERE ${where}`,
    statistics: expressions.length
      ? `CREATE STATISTICS IF NOT EXISTS "${name}"${kinds} ON ${expressions.map((e) => `(${e})`).join(", ")} FROM records`
      : undefined,
  };
}

/**
 * Declared indexes as real expression indexes. PostgreSQL builds them CONCURRENTLY (writes continue meanwhile);
 * PGlite, single-connection, builds them directly.
 */
export class NativeIndexes {
  constructor(
    private readonly db: SqlSession,
    private readonly concurrently: boolean,
  ) {}

  /**
   * This collection's indexes (valid is false for an invalid one, a failed concurrent build, which counts as absent)
   * and statistics objects, by name.
   */
  private async existing(ref: CollectionRef): Promise<{ indexes: Map<string, boolean>; statistics: Set<string> }> {
    const prefix = prefixOf(ref);
    const rows = await this.db.query<{ name: string; valid: boolean | null }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'records'::regclass AND left(c.relname, $1) = $2
       UNION ALL
       SELECT s.stxname, NULL FROM pg_statistic_ext s WHERE s.stxrelid = 'records'::regclass AND left(s.stxname, $1) = $2`,
      [prefix.length, prefix],
    );
    return {
      indexes: new Map(rows.filter((r) => r.valid !== null).map((r) => [r.name, r.valid === true])),
      statistics: new Set(rows.filter((r) => r.valid === null).map((r) => r.name)),
    };
  }

  private async dropIndex(name: string): Promise<void> {
    await this.db.exec(`DROP INDEX ${this.concurrently ? "CONCURRENTLY " : ""}IF EXISTS "${name}"`);
  }

  /** Creates the indexes (and their statistics) `specs` needs that do not exist yet; returns all their names. */
  async create(ref: CollectionRef, specs: IndexSpec[]): Promise<string[]> {
    const existing = await this.existing(ref);
    const wanted = specs.map((spec) => definition(ref, spec));
    let analyze = false;
    for (const def of wanted) {
      if (existing.indexes.get(def.name) !== true) {
        if (existing.indexes.has(def.name)) await this.dropIndex(def.name);
        try {
          await this.db.exec(def.ddl(this.concurrently));
        } catch (error) {
          // A failed concurrent build leaves an INVALID index behind; never keep it.
          await this.dropIndex(def.name).catch(() => {});
          throw error;
        }
      }
      if (def.statistics && !existing.statistics.has(def.name)) {
        await this.db.exec(def.statistics);
        analyze = true;
      }
    }
    // New statistics are empty until the table is analysed; autovacuum would not, as no rows changed. ANALYZE
    // samples a fixed number of rows (about a second at a million records) and does not block writes.
    if (analyze) await this.db.exec("ANALYZE records");
    return wanted.map((d) => d.name);
  }

  /** Drops every index (and its statistics) of the collection except `keep`. */
  async dropExcept(ref: CollectionRef, keep: string[]): Promise<void> {
    const { indexes, statistics } = await this.existing(ref);
    for (const name of indexes.keys()) if (!keep.includes(name)) await this.dropIndex(name);
    for (const name of statistics) if (!keep.includes(name)) await this.db.exec(`DROP STATISTICS IF EXISTS "${name}"`);
  }
}
