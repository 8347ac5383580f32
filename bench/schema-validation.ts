/**
 * Validation cost per record write, before and after the hardening of collection schemas (docs/schemas.md), in one
 * run on the same schema and records: the old options (strict, own properties not required, native RegExp,
 * refs inlined) against the engine the server uses now (RE2 patterns, ownProperties, inlineRefs 8, formats as the
 * dialect says). Run: npm run bench:schemas  (or tsx bench/schema-validation.ts [records])
 */
import { loadavg } from "node:os";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { compileJsonSchema } from "../src/resolvers/json-schema/engine.ts";

const addFormats = addFormatsModule.default;
const count = Number(process.argv[2] ?? 50_000);

/** A typical collection: strings with patterns and formats, numbers, an enum, a nested array of objects. */
const schema = {
  type: "object",
  "x-format-assertion": true,
  required: ["name", "email", "status"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200 },
    email: { type: "string", format: "email" },
    sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]{4,8}$" },
    phone: { type: "string", pattern: "^\\+?[0-9 ()-]{7,20}$" },
    status: { enum: ["open", "paid", "void"] },
    amount: { type: "number", minimum: 0 },
    created: { type: "string", format: "date-time" },
    lines: {
      type: "array",
      maxItems: 50,
      items: { $ref: "#/$defs/line" },
    },
  },
  $defs: {
    line: {
      type: "object",
      required: ["code", "qty"],
      properties: { code: { type: "string", pattern: "^[a-z0-9-]+$" }, qty: { type: "integer", minimum: 1 } },
    },
  },
};

const records = Array.from({ length: 1000 }, (_, i) => ({
  name: `Customer ${i}`,
  email: `c${i}@example.com`,
  sku: `ABC-${1000 + i}`,
  phone: `+33 1 23 45 ${String(i).padStart(2, "0")}`,
  status: ["open", "paid", "void"][i % 3],
  amount: i * 1.5,
  created: "2026-12-03T10:00:00Z",
  lines: Array.from({ length: i % 5 }, (_, j) => ({ code: `item-${j}`, qty: j + 1 })),
}));

function oldValidator() {
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  });
  addFormats(ajv);
  ajv.addKeyword("x-format-assertion");
  return ajv.compile(schema);
}

function measure(validate: (data: unknown) => boolean): number {
  for (let i = 0; i < 5_000; i++) validate(records[i % records.length]);
  const start = process.hrtime.bigint();
  let valid = 0;
  for (let i = 0; i < count; i++) if (validate(records[i % records.length])) valid++;
  const ns = Number(process.hrtime.bigint() - start) / count;
  if (valid !== count) throw new Error(`only ${valid} of ${count} records were valid`);
  return ns;
}

const before = oldValidator();
const after = compileJsonSchema(schema).validate;
const rounds: { before: number; after: number }[] = [];
// Alternating rounds, so a burst of load on the shared machine hits both sides alike.
for (let r = 0; r < 5; r++) rounds.push({ before: measure(before), after: measure(after) });
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const b = median(rounds.map((r) => r.before));
const a = median(rounds.map((r) => r.after));
console.log(
  `records per round: ${count}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`before (old options):  ${b.toFixed(0)} ns/record`);
console.log(`after  (server engine): ${a.toFixed(0)} ns/record  (${(a / b).toFixed(2)}x)`);
