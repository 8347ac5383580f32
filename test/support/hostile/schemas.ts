import fc from "fast-check";
import { FIXTURE, type HostileCase, type HostileFamily, recordsPath } from "./case.ts";

/** Collection `patterned` of the fixture: each property's pattern backtracks exponentially on a regex engine. */
export const REDOS_PATTERNS = { s: "^(a+)+$", t: "^(a|a?)+$", u: "^(\\w+\\s?)*$" } as const;

const collectionPath = (id: string) => `/v1/${FIXTURE.workspace}/collections/${id}`;
/** Ids no fixture collection has: a refused save must leave them absent. */
const newId = fc.integer({ min: 0, max: 1e6 }).map((n) => `hostile-schema-${n}`);
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);

const save = (label: string, id: string, json_schema: unknown, detailPath?: string): HostileCase => ({
  label,
  method: "PUT",
  path: collectionPath(id),
  body: { json_schema },
  expect: { status: 400, code: "VALIDATION_ERROR", detailPath },
});

/** Attack strings against the fixture's backtracking patterns, as records: RE2 answers each at once. */
const redosRecords = fc
  .tuple(
    fc.constantFrom(...(Object.keys(REDOS_PATTERNS) as (keyof typeof REDOS_PATTERNS)[])),
    fc.integer({ min: 20, max: 20_000 }),
  )
  .map(([field, n]): HostileCase => {
    const attack = field === "u" ? `${"a ".repeat(n / 2)}!` : `${"a".repeat(n)}!`;
    return {
      label: `ReDoS ${field} ${REDOS_PATTERNS[field]} × ${n}`,
      method: "PUT",
      path: recordsPath(FIXTURE.patterned),
      body: { data: { [field]: attack } },
      expect: { status: 400, code: "VALIDATION_ERROR", detailPath: `data.${field}` },
    };
  });

/** Patterns RE2 cannot run (backreferences, lookaround), refused at save with the pattern's path. */
const unsafePatterns = fc
  .tuple(newId, name, fc.constantFrom("(a)\\1", "^(?=a)a+$", "(?!b)x", "(?<=a)b", "(?<!a)b", "(?<n>a)\\k<n>"))
  .map(([id, prop, pattern]) =>
    save(
      `pattern ${pattern}`,
      id,
      { type: "object", properties: { [prop]: { type: "string", pattern } } },
      `json_schema.properties.${prop}.pattern`,
    ),
  );

/** Deeper, wider or larger than the limits. */
const oversized = fc.oneof(
  fc.tuple(newId, fc.integer({ min: 17, max: 2_000 })).map(([id, levels]) => {
    let schema: object = { type: "string" };
    for (let i = 0; i < levels; i++) schema = { type: "object", properties: { a: schema } };
    return save(`${levels} levels deep`, id, schema);
  }),
  fc.tuple(newId, fc.integer({ min: 1_001, max: 20_000 })).map(([id, n]) =>
    save(`${n} properties`, id, {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, {}])),
    }),
  ),
  fc
    .tuple(newId, fc.integer({ min: 33_000, max: 600_000 }))
    .map(([id, n]) =>
      save(`${n}-byte description`, id, { type: "object", description: "x".repeat(n) }, "json_schema.description"),
    ),
);

/** `$ref` loops that never descend into the record: accepted today, then every write is a 500. */
const selfReferences = fc.oneof(
  newId.map((id) => save("root $ref #", id, { type: "object", $ref: "#" }, "json_schema")),
  fc
    .tuple(
      newId,
      name,
      name.map((n) => `${n}_b`),
    )
    .map(([id, a, b]) =>
      save(
        `$defs ${a} ⇄ ${b}`,
        id,
        {
          type: "object",
          $ref: `#/$defs/${a}`,
          $defs: { [a]: { anyOf: [{ $ref: `#/$defs/${b}` }] }, [b]: { not: { $ref: `#/$defs/${a}` } } },
        },
        `json_schema.$defs.${a}`,
      ),
    ),
  fc.tuple(newId, name).map(([id, prop]) =>
    save(`property ${prop} in a loop`, id, {
      type: "object",
      properties: { [prop]: { $ref: `#/properties/${prop}/allOf/0`, allOf: [{ $ref: `#/properties/${prop}` }] } },
    }),
  ),
);

/** Not JSON Schemas at all, or not describing an object. */
const invalid = fc
  .tuple(newId, name)
  .chain(([id, prop]) =>
    fc.constantFrom(
      save(
        "wrong type",
        id,
        { type: "object", properties: { [prop]: { type: "strnig" } } },
        `json_schema.properties.${prop}.type`,
      ),
      save("array root", id, { type: "array" }, "json_schema.type"),
      save(
        "minLength -1",
        id,
        { type: "object", properties: { [prop]: { minLength: -1 } } },
        `json_schema.properties.${prop}.minLength`,
      ),
      save(
        "draft-04",
        id,
        { $schema: "http://json-schema.org/draft-04/schema#", type: "object" },
        "json_schema.$schema",
      ),
      save(
        "remote $ref",
        id,
        { type: "object", properties: { [prop]: { $ref: "http://127.0.0.1:1/x.json" } } },
        "json_schema",
      ),
      save(
        "bad regex",
        id,
        { type: "object", properties: { [prop]: { pattern: "([a-" } } },
        `json_schema.properties.${prop}.pattern`,
      ),
    ),
  );

export const hostileSchemas: HostileFamily = {
  name: "collection schemas: ReDoS records, oversized, self-referencing and invalid schemas",
  cases: fc.oneof(redosRecords, unsafePatterns, oversized, selfReferences, invalid),
  runs: 300,
};
