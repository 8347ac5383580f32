import { validationError } from "../../errors/app-error.ts";

/** How big a collection's schema may be; chosen so the worst schema within them compiles in well under 100 ms. */
export interface SchemaLimits {
  /** Bytes of the schema as JSON. */
  maxBytes: number;
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Keys of every object in the schema, counted together. */
  maxProperties: number;
  /** Distinct `pattern` values and `patternProperties` keys: each is a separate RE2 compilation. */
  maxPatterns: number;
  /** Characters of one pattern: with RE2's cap of 1000 on nested repeats, this bounds one pattern's program. */
  maxPatternLength: number;
  /** RE2 instructions of all patterns together (a counted repeat multiplies them): what compiling them costs. */
  maxPatternProgram: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = {
  maxBytes: 32 * 1024,
  maxDepth: 32,
  maxProperties: 1_000,
  maxPatterns: 200,
  maxPatternLength: 256,
  maxPatternProgram: 10_000,
};

/** What a schema already stored is compiled with (on another instance, after a restart): it was checked at save. */
export const STORED_SCHEMA_LIMITS: SchemaLimits = {
  ...DEFAULT_SCHEMA_LIMITS,
  maxBytes: Number.POSITIVE_INFINITY,
  maxProperties: Number.POSITIVE_INFINITY,
  maxPatterns: Number.POSITIVE_INFINITY,
  maxPatternLength: Number.POSITIVE_INFINITY,
  maxPatternProgram: Number.POSITIVE_INFINITY,
};

export function refuse(message: string, path: string): never {
  throw validationError(message, [{ path, message }]);
}

/**
 * Refuses a schema beyond the limits before anything recursive (ajv, JSON.stringify) sees it. The walk is
 * iterative, so a 10,000-deep schema is measured, not a stack overflow; it stops at the first limit crossed.
 */
export function checkSchemaLimits(schema: unknown, limits: SchemaLimits): void {
  const stack: { node: unknown; depth: number; path: string }[] = [{ node: schema, depth: 0, path: "json_schema" }];
  let keys = 0;
  // Bytes are counted on the way (keys, strings, scalars) so the walk never serialises a deep document.
  let bytes = 0;
  while (stack.length) {
    const { node, depth, path } = stack.pop() as (typeof stack)[number];
    if (node === null || typeof node !== "object") {
      bytes += typeof node === "string" ? node.length + 2 : String(node).length;
    } else {
      if (depth >= limits.maxDepth) {
        refuse(`json_schema is nested deeper than ${limits.maxDepth} levels`, path);
      }
      bytes += 2;
      if (Array.isArray(node)) {
        node.forEach((item, i) => {
          bytes += 1;
          stack.push({ node: item, depth: depth + 1, path: `${path}[${i}]` });
        });
      } else {
        for (const [key, value] of Object.entries(node)) {
          keys += 1;
          bytes += key.length + 4;
          if (keys > limits.maxProperties) {
            refuse(`json_schema has more than ${limits.maxProperties} properties in all`, `${path}.${key}`);
          }
          stack.push({ node: value, depth: depth + 1, path: `${path}.${key}` });
        }
      }
    }
    if (bytes > limits.maxBytes) refuse(`json_schema is larger than ${limits.maxBytes} bytes`, path);
  }
  // The running count approximates escapes; the exact size is cheap now that depth is known to be small.
  const exact = Buffer.byteLength(JSON.stringify(schema));
  if (exact > limits.maxBytes) refuse(`json_schema is ${exact} bytes; the limit is ${limits.maxBytes}`, "json_schema");
}
