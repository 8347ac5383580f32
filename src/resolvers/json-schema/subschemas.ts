/*
 * Where a schema holds other schemas, and whether each one applies to the same instance ("in place") or to a part
 * of it. A `$ref` cycle made only of in-place steps recurses forever on every record (ref-cycles.ts).
 */

/** Keywords whose value is one schema applied to the same instance. */
const IN_PLACE_ONE = ["not", "if", "then", "else"];
/** Keywords whose value is an array of schemas applied to the same instance. */
const IN_PLACE_MANY = ["allOf", "anyOf", "oneOf"];
/** Keywords whose value maps names to schemas applied to the same instance. */
const IN_PLACE_MAP = ["dependentSchemas", "dependencies"];
/** Keywords whose value is one schema applied to parts of the instance. */
const DESCENDING_ONE = [
  "additionalProperties",
  "additionalItems",
  "contains",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
  "items",
];
const DESCENDING_MANY = ["prefixItems", "items"];
const DESCENDING_MAP = ["properties", "patternProperties"];
/** Containers of schemas that apply only when referenced. */
const DEFINITIONS = ["$defs", "definitions"];

export interface Subschema {
  node: object | boolean;
  /** JSON Pointer tokens from the parent schema. */
  tokens: string[];
  inPlace: boolean;
}

const isSchema = (v: unknown): v is object | boolean =>
  typeof v === "boolean" || (v !== null && typeof v === "object" && !Array.isArray(v));

/** The schemas directly inside one schema object. */
export function subschemas(schema: Record<string, unknown>): Subschema[] {
  const found: Subschema[] = [];
  const one = (keyword: string, inPlace: boolean) => {
    const value = schema[keyword];
    if (isSchema(value)) found.push({ node: value, tokens: [keyword], inPlace });
  };
  const many = (keyword: string, inPlace: boolean) => {
    const value = schema[keyword];
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (isSchema(v)) found.push({ node: v, tokens: [keyword, String(i)], inPlace });
      });
    }
  };
  const map = (keyword: string, inPlace: boolean) => {
    const value = schema[keyword];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value))
        if (isSchema(v)) found.push({ node: v, tokens: [keyword, k], inPlace });
    }
  };
  for (const k of IN_PLACE_ONE) one(k, true);
  for (const k of IN_PLACE_MANY) many(k, true);
  for (const k of IN_PLACE_MAP) map(k, true);
  for (const k of DESCENDING_ONE) one(k, false);
  for (const k of DESCENDING_MANY) many(k, false);
  for (const k of DESCENDING_MAP) map(k, false);
  // Definitions are reached only through a $ref, which ref-cycles.ts follows itself.
  for (const k of DEFINITIONS) map(k, false);
  return found;
}

export const escapeToken = (t: string) => t.replace(/~/g, "~0").replace(/\//g, "~1");

export interface SchemaNode {
  node: Record<string, unknown>;
  /** JSON Pointer from the document root, as tokens. */
  tokens: string[];
  parent: number | undefined;
  /** Whether this node applies to the same instance as its parent. */
  inPlace: boolean;
}

/** Every schema object in a document, parents before children, found without recursion. */
export function schemaNodes(root: unknown): SchemaNode[] {
  const nodes: SchemaNode[] = [];
  if (!root || typeof root !== "object" || Array.isArray(root)) return nodes;
  const stack: SchemaNode[] = [{ node: root as Record<string, unknown>, tokens: [], parent: undefined, inPlace: true }];
  while (stack.length) {
    const current = stack.pop() as SchemaNode;
    const index = nodes.push(current) - 1;
    for (const child of subschemas(current.node)) {
      if (typeof child.node === "boolean") continue;
      stack.push({
        node: child.node as Record<string, unknown>,
        tokens: [...current.tokens, ...child.tokens],
        parent: index,
        inPlace: child.inPlace,
      });
    }
  }
  return nodes;
}

/** `json_schema.properties.a.pattern`-style path for an error detail. */
export function detailPath(tokens: string[]): string {
  return ["json_schema", ...tokens].join(".");
}
