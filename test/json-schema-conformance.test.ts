import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileJsonSchema, validateSafely } from "../src/resolvers/json-schema/engine.ts";
import {
  coreCases,
  DIALECT,
  SUITE_DIR,
  SUITE_DRAFTS,
  type SuiteCase,
  suiteAvailable,
} from "./support/json-schema-suite.ts";

/** The cases docs/schemas.md lists as known disagreements, as `draft file › group › test`. */
function documentedDisagreements(): Set<string> {
  const doc = readFileSync(path.join(import.meta.dirname, "../docs/schemas.md"), "utf8");
  return new Set([...doc.matchAll(/^- `(draft[^`]+)` (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`));
}

/** The suite's schemas omit `$schema` where the folder implies it; the server reads the dialect from `$schema`. */
function inDialect(c: SuiteCase): unknown {
  const schema = c.schema;
  if (!schema || typeof schema !== "object" || "$schema" in schema) return schema;
  return { $schema: DIALECT[c.draft], ...schema };
}

type Validate = ReturnType<typeof compileJsonSchema>["validate"];

/** Whether the server judges the case's instance as the suite does (a refused schema judges nothing). */
function agrees(c: SuiteCase, compiled: Map<unknown, Validate | undefined>): boolean {
  // The cases of one group share their schema object: compile it once, as the server compiles once per version.
  if (!compiled.has(c.schema)) {
    try {
      compiled.set(c.schema, compileJsonSchema(inDialect(c)).validate);
    } catch {
      compiled.set(c.schema, undefined);
    }
  }
  const validate = compiled.get(c.schema);
  return validate !== undefined && (validateSafely(validate, c.data) === null) === c.valid;
}

describe.skipIf(!suiteAvailable())("the official JSON Schema Test Suite (core files)", () => {
  it("agrees on every case except those docs/schemas.md lists with their reason", () => {
    const disagreements: string[] = [];
    for (const draft of SUITE_DRAFTS) {
      const cases = coreCases(draft);
      const compiled = new Map<unknown, Validate | undefined>();
      const wrong = cases.filter((c) => !agrees(c, compiled));
      disagreements.push(...wrong.map((c) => `${draft} ${c.id}`));
      console.log(`JSON Schema suite ${draft}: ${cases.length - wrong.length} agree, ${wrong.length} disagree`);
    }
    expect(disagreements.sort()).toEqual([...documentedDisagreements()].sort());
  });
});

if (!suiteAvailable()) {
  console.log(`JSON Schema Test Suite not found at ${SUITE_DIR}: conformance skipped (set JSON_SCHEMA_TEST_SUITE)`);
}
