import { createHash } from "node:crypto";
import type { SqlSession } from "../db/sql-session.ts";
import { SLUG } from "../resolvers/identifiers.ts";
import type { IndexSpec } from "../resolvers/query/parse.ts";
import { indexColumns } from "./native-query.ts";
import type { CollectionRef } from "./record-source.ts";

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** Every index of one collection shares this prefix, so the database itself says which exist (no bookkeeping). */
function prefixOf(ref: CollectionRef): string {
  return `rgi_${hash(`${ref.workspaceId}/${ref.collectionId}`)}_`;
}

interface Definition {
  name: string;
  ddl: (concurrently: boolean) => string;
}

function definition(ref: CollectionRef, spec: IndexSpec): Definition {
  // Slugs are [a-z0-9_-] (checked again here because they are inlined: DDL takes no bind parameters).
  if (!SLUG.test(ref.workspaceId) || !SLUG.test(ref.collectionId)) throw new Error("unsafe collection reference");
  const columns = indexColumns(spec);
  const name = `${prefixOf(ref)}${hash(columns)}`;
  // Partial per collection: small, and the planner proves the predicate from the query's own conditions.
  const where = `workspace_id = '${ref.workspaceId}' AND collection_id = '${ref.collectionId}' AND deleted_at IS NULL`;
  return {
    name,
    ddl: (concurrently) =>
      `CREATE INDEX ${concurrently ? "CONCURRENTLY " : ""}IF NOT EXISTS "${name}" ON records (${columns}) WHERE ${where}`,
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

  /** Names of this collection's valid indexes; an invalid one (a failed concurrent build) counts as absent. */
  private async existing(ref: CollectionRef): Promise<Map<string, boolean>> {
    const prefix = prefixOf(ref);
    const rows = await this.db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'records'::regclass AND left(c.relname, $1) = $2`,
      [prefix.length, prefix],
    );
    return new Map(rows.map((r) => [r.name, r.valid]));
  }

  private async drop(name: string): Promise<void> {
    await this.db.exec(`DROP INDEX ${this.concurrently ? "CONCURRENTLY " : ""}IF EXISTS "${name}"`);
  }

  /** Creates the indexes `specs` needs that do not exist yet; returns the names of all of them. */
  async create(ref: CollectionRef, specs: IndexSpec[]): Promise<string[]> {
    const existing = await this.existing(ref);
    const wanted = specs.map((spec) => definition(ref, spec));
    for (const def of wanted) {
      if (existing.get(def.name) === true) continue;
      if (existing.has(def.name)) await this.drop(def.name);
      try {
        await this.db.exec(def.ddl(this.concurrently));
      } catch (error) {
        // A failed concurrent build leaves an INVALID index behind; never keep it.
        await this.drop(def.name).catch(() => {});
        throw error;
      }
    }
    return wanted.map((d) => d.name);
  }

  /** Drops every index of the collection except `keep`. */
  async dropExcept(ref: CollectionRef, keep: string[]): Promise<void> {
    for (const name of (await this.existing(ref)).keys()) {
      if (!keep.includes(name)) await this.drop(name);
    }
  }
}
