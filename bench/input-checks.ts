// Per-write cost of the input checks (src/http/json-body.ts, src/resolvers/storable.ts) beside the JSON.parse a
// body needs anyway: a microbenchmark, no server, no database.
//
//   npx tsx bench/input-checks.ts
//
// Env: BENCH_ITERATIONS (20000 per document and variant, in five rounds). Prints µs per document (best round) and the 1-minute load average:
// the machine is shared, so compare the columns of one run, not runs with each other.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseJsonBody } from "../src/http/json-body.ts";
import { storableProblem } from "../src/resolvers/storable.ts";
import { integer } from "./support/settings.ts";

const ITERATIONS = integer(process.env, "BENCH_ITERATIONS", 20_000, 100);

/** A record body of about `bytes`: nested objects, arrays, text with non-ASCII, numbers, booleans. */
function document(bytes: number): Buffer {
  const items: unknown[] = [];
  const data = { name: "Zoë Ångström", email: "zoe@example.com", amount: 5000.1, tags: ["a", "b"], items };
  for (let i = 0; JSON.stringify({ data }).length < bytes; i++) {
    items.push({ sku: `SKU-${i}`, qty: i % 7, price: 19.99 + i, note: "größe – 🚀", ok: i % 2 === 0, at: { x: i } });
  }
  return Buffer.from(JSON.stringify({ data }));
}

/** µs per call: the fastest of five rounds, since other processes share the cores and only ever slow a round. */
function timePerCall(run: () => void): number {
  for (let i = 0; i < ITERATIONS / 10; i++) run();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS / 5; i++) run();
    best = Math.min(best, ((performance.now() - start) * 1000) / (ITERATIONS / 5));
  }
  return best;
}

const rows: string[][] = [];
for (const bytes of [1024, 10 * 1024]) {
  const body = document(bytes);
  const plain = timePerCall(() => JSON.parse(body.toString("utf8")));
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const decoder = timePerCall(() => JSON.parse(fatal.decode(body)));
  const parser = timePerCall(() => parseJsonBody(body));
  const parsed = JSON.parse(body.toString("utf8")) as { data: unknown };
  const rule = timePerCall(() => storableProblem(parsed.data, "data", 64));
  const both = parser + rule;
  rows.push([
    `${(body.length / 1024).toFixed(1)} KB`,
    plain.toFixed(2),
    decoder.toFixed(2),
    parser.toFixed(2),
    rule.toFixed(2),
    both.toFixed(2),
    `+${(both - plain).toFixed(2)} (${(((both - plain) / plain) * 100).toFixed(0)} %)`,
  ]);
}
const header = [
  "document",
  "JSON.parse µs",
  "fatal TextDecoder + parse µs",
  "parseJsonBody µs",
  "storable rule µs",
  "checked total µs",
  "added per write µs",
];
console.log(`| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
console.log(
  `\n${ITERATIONS} iterations each; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ")}`,
);
