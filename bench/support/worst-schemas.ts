// The most expensive collection schemas the schema limits let through, one per way of making ajv and RE2 work hard.
// Each generator takes a size; `largestAllowed` grows it until the limits refuse, so the schemas follow the limits.

import type { SchemaLimits } from "../../src/resolvers/json-schema/limits.ts";
import { compileSchema } from "../../src/resolvers/schema-registry.ts";

type Schema = Record<string, unknown>;

/** A pattern whose RE2 program is large for its length: a counted repeat of a Unicode class, distinct by `i`. */
const heavyPattern = (i: number) => `^(?:\\p{L}|\\p{N}){0,999}${i}$`;

const props = (n: number, each: (i: number) => unknown) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, each(i)]));

export const WORST_SCHEMAS: Record<string, (n: number) => Schema> = {
  /** Every property a string with its own expensive pattern. */
  "patterns (heavy)": (n) => ({ type: "object", properties: props(n, (i) => ({ pattern: heavyPattern(i) })) }),
  /** One pattern as long as allowed, made of counted repeats: the largest single RE2 program. */
  "one long pattern": (n) => ({ type: "object", properties: { s: { pattern: ".{1000}".repeat(n) } } }),
  /** Many short, distinct patterns: the fixed cost of each RE2 compilation. */
  "patterns (many short)": (n) => ({ type: "object", properties: props(n, (i) => ({ pattern: `^a${i}$` })) }),
  /** The heavy patterns as patternProperties keys, evaluated against every key of a record. */
  patternProperties: (n) => ({
    type: "object",
    patternProperties: Object.fromEntries(Array.from({ length: n }, (_, i) => [heavyPattern(i), {}])),
  }),
  /** As deep as the depth limit allows, with branches at every level. */
  "depth with branches": (n) => {
    let node: Schema = { type: "string" };
    for (let level = 0; level < n; level++) {
      node = { type: "object", properties: { a: node, b: { type: "integer", minimum: level }, c: { const: level } } };
    }
    return node;
  },
  /** Definitions that each reference two others: many functions and many `$ref` resolutions. */
  "$defs and $refs": (n) => ({
    type: "object",
    properties: { root: { $ref: "#/$defs/d0" } },
    $defs: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `d${i}`,
        {
          type: "object",
          properties: { x: { $ref: `#/$defs/d${(i + 1) % n}` }, y: { $ref: `#/$defs/d${(i * 7 + 3) % n}` } },
        },
      ]),
    ),
  }),
  /** One enum as long as the byte limit allows (array items are not keys). */
  "big enum": (n) => ({ type: "object", properties: { e: { enum: Array.from({ length: n }, (_, i) => `v${i}`) } } }),
  /** anyOf of many object alternatives, each with its own properties, under unevaluatedProperties. */
  "anyOf fan + unevaluated": (n) => ({
    type: "object",
    unevaluatedProperties: false,
    anyOf: Array.from({ length: n }, (_, i) => ({ properties: { [`k${i}`]: { const: i } }, required: [`k${i}`] })),
  }),
  /** allOf of if/then/else branches: three subschemas per element. */
  "allOf of if/then/else": (n) => ({
    type: "object",
    allOf: Array.from({ length: n }, (_, i) => ({
      if: { properties: { t: { const: i } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword; the object is never awaited.
      then: { required: [`r${i}`] },
      else: { not: { required: [`n${i}`] } },
    })),
  }),
  /** Asserted formats on every property (ajv-formats' regular expressions and functions). */
  formats: (n) => ({
    type: "object",
    "x-format-assertion": true,
    properties: props(n, (i) => ({ format: ["date-time", "email", "uri", "uuid", "ipv6", "hostname"][i % 6] })),
  }),
};

/** A realistic large collection: 200 typed properties, a few with patterns, formats and enums. */
export function realisticSchema(n = 200): Schema {
  return {
    type: "object",
    required: ["p0", "p1"],
    properties: props(n, (i) => {
      if (i % 10 === 0) return { type: "string", pattern: "^[A-Z]{3}-[0-9]{4,8}$" };
      if (i % 10 === 1) return { type: "string", format: "date-time" };
      if (i % 10 === 2) return { enum: ["open", "paid", "void"] };
      if (i % 10 === 3) return { type: "number", minimum: 0 };
      return { type: "string", maxLength: 200 };
    }),
  };
}

/**
 * The largest size a save accepts for a generator (binary search; sizes are monotonic in every generator). Saves
 * are compiled in full, as the pattern limits are only known while compiling.
 */
export function largestAllowed(make: (n: number) => Schema, limits: SchemaLimits, ceiling = 20_000): number {
  const fits = (n: number) => {
    try {
      compileSchema(make(n), limits);
      return true;
    } catch {
      return false;
    }
  };
  let low = 1;
  let high = ceiling;
  if (!fits(low)) return 0;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
