import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The official JSON-Schema-Test-Suite checkout (see its SOURCE.md); JSON_SCHEMA_TEST_SUITE overrides where it is. */
export const SUITE_DIR = path.resolve(
  process.env.JSON_SCHEMA_TEST_SUITE ?? path.join(import.meta.dirname, "../../../shared/data/json-schema-test-suite"),
);

export const SUITE_DRAFTS = ["draft2020-12", "draft2019-09", "draft7"] as const;
export type SuiteDraft = (typeof SUITE_DRAFTS)[number];

/** The `$schema` each folder's schemas are written in (the suite omits it in some groups). */
export const DIALECT: Record<SuiteDraft, string> = {
  "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
  "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
  draft7: "http://json-schema.org/draft-07/schema#",
};

export interface SuiteCase {
  draft: SuiteDraft;
  /** `file.json › group › test`: the name a disagreement is listed under in docs/schemas.md. */
  id: string;
  file: string;
  group: string;
  schema: unknown;
  data: unknown;
  valid: boolean;
}

interface SuiteGroup {
  description: string;
  schema: unknown;
  tests: { description: string; data: unknown; valid: boolean }[];
}

export function suiteAvailable(): boolean {
  return existsSync(path.join(SUITE_DIR, "tests"));
}

/** Every case of the core (non-optional) files of one draft, in file order. */
export function coreCases(draft: SuiteDraft): SuiteCase[] {
  const dir = path.join(SUITE_DIR, "tests", draft);
  const cases: SuiteCase[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const groups = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as SuiteGroup[];
    for (const group of groups) {
      for (const test of group.tests) {
        cases.push({
          draft,
          id: `${file} › ${group.description} › ${test.description}`,
          file,
          group: group.description,
          schema: group.schema,
          data: test.data,
          valid: test.valid,
        });
      }
    }
  }
  return cases;
}
