import { compileJsonSchema, DRAFTS } from "./engine.ts";

/**
 * Compiles one small schema per dialect, at boot: the first compilation in a process also compiles the dialect's
 * meta-schema and runs ajv, ajv-formats and re2js before V8 has optimised them, which tripled the first save's
 * stall (docs/benchmarks.md, bench:schema-compile).
 */
export function warmUpSchemaEngine(): void {
  for (const $schema of Object.keys(DRAFTS)) {
    compileJsonSchema({
      $schema,
      type: "object",
      "x-format-assertion": true,
      required: ["a"],
      properties: {
        a: { type: "string", pattern: "^[a-z]{1,8}$", format: "date-time" },
        b: { anyOf: [{ type: "integer", minimum: 0 }, { enum: ["x", "y"] }] },
        c: { type: "array", items: { $ref: "#/definitions/c" } },
      },
      patternProperties: { "^x-": {} },
      definitions: { c: { type: "object", properties: { d: { const: 1 } }, additionalProperties: false } },
    });
  }
}
