import { isDeepStrictEqual } from "node:util";
import { type Collection, Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { parseIndexes } from "../query/parse.ts";
import type { CollectionRef, RecordSource } from "../sources/record-source.ts";

/** What a collection is, apart from its records: what previews start from and promotion copies. */
export interface CollectionConfig {
  name: string;
  description: string | null;
  jsonSchema: Prisma.JsonValue;
  icon: string | null;
  color: string | null;
  indexes: Prisma.JsonValue;
  /** External sources, with secrets as vault: references (what promotion copies is the reference). */
  sources: Prisma.JsonValue;
}

/** Each configuration field and its name in the contract's JSON (what a promotion's diff reports). */
const FIELDS: ReadonlyArray<readonly [keyof CollectionConfig, string]> = [
  ["name", "name"],
  ["description", "description"],
  ["jsonSchema", "json_schema"],
  ["icon", "icon"],
  ["color", "color"],
  ["indexes", "indexes"],
  ["sources", "sources"],
];

export function configOf(c: Collection): CollectionConfig {
  return {
    name: c.name,
    description: c.description,
    jsonSchema: c.jsonSchema,
    icon: c.icon,
    color: c.color,
    indexes: c.indexes,
    sources: c.sources,
  };
}

/** The contract names of the fields that differ between two definitions of one collection. */
export function changedFields(from: CollectionConfig, to: CollectionConfig): string[] {
  return FIELDS.filter(([field]) => !isDeepStrictEqual(from[field], to[field])).map(([, name]) => name);
}

/**
 * Builds the indexes a definition declares for a collection (stored definitions were validated when saved); returns
 * their names, so the caller can drop the others once the definition is in place.
 */
export function buildDeclaredIndexes(
  records: RecordSource,
  ref: CollectionRef,
  config: CollectionConfig,
): Promise<string[]> {
  return records.createIndexes(ref, parseIndexes(config.indexes, config.jsonSchema).specs);
}

const COLUMNS =
  Prisma.raw(`workspace_id AS "workspaceId", id, name, description, json_schema AS "jsonSchema", icon, color,
  indexes, sources, version, created_at AS "createdAt", updated_at AS "updatedAt"`);

/**
 * Writes a definition: a new collection, or the next version of an existing one, in one conflict-aware statement.
 * `db` is the client or a transaction's client.
 */
export async function saveCollection(
  db: Pick<PrismaClient, "$queryRaw">,
  workspaceId: string,
  id: string,
  config: CollectionConfig,
): Promise<Collection> {
  const [collection] = await db.$queryRaw<Collection[]>`
    INSERT INTO collections AS c (workspace_id, id, name, description, json_schema, icon, color, indexes, sources)
    VALUES (${workspaceId}, ${id}, ${config.name}, ${config.description}, ${JSON.stringify(config.jsonSchema)}::jsonb,
            ${config.icon}, ${config.color}, ${JSON.stringify(config.indexes)}::jsonb,
            ${JSON.stringify(config.sources ?? [])}::jsonb)
    ON CONFLICT (workspace_id, id) DO UPDATE SET
      name = EXCLUDED.name, description = EXCLUDED.description, json_schema = EXCLUDED.json_schema,
      icon = EXCLUDED.icon, color = EXCLUDED.color, indexes = EXCLUDED.indexes, sources = EXCLUDED.sources,
      version = c.version + 1, updated_at = now()
    RETURNING ${COLUMNS}`;
  if (!collection) throw new Error("collection upsert returned no row");
  return collection;
}
