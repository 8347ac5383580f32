import { isDeepStrictEqual } from "node:util";
import type { Collection, Prisma } from "../generated/prisma/client.ts";
import type { CollectionRef, RecordSource } from "../sources/record-source.ts";
import { parseIndexes } from "./query/parse.ts";

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
