/**
 * How long saving a collection schema holds the event loop: the worst schemas the schema limits let through
 * (bench/support/worst-schemas.ts), each compiled the way a save compiles it (compileSchema: limit checks, pattern
 * checks, meta-schema, a fresh ajv instance, probes). Compilation is synchronous, so its time is the stall.
 *
 * Two measures per schema: `first` is the first compilation in a fresh process (after the warm-up the server does
 * at boot), the cold case a restarted instance meets; `p50`/`max` are over repeated compilations in one process,
 * each on a fresh ajv instance. The target is 100 ms for `first` and `max`.
 *
 * Run: npm run bench:schema-compile  (or tsx bench/schema-compile.ts [rounds])
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { DEFAULT_SCHEMA_LIMITS } from "../src/resolvers/json-schema/limits.ts";
import { warmUpSchemaEngine } from "../src/resolvers/json-schema/warm-up.ts";
import { compileSchema } from "../src/resolvers/schema-registry.ts";
import { latencyStats, progress } from "./support/stats.ts";
import { formatTable, ms } from "./support/table.ts";
import { largestAllowed, realisticSchema, WORST_SCHEMAS } from "./support/worst-schemas.ts";

const limits = DEFAULT_SCHEMA_LIMITS;
const cases: Record<string, () => Record<string, unknown>> = {
  ...Object.fromEntries(
    Object.entries(WORST_SCHEMAS).map(([name, make]) => {
      const n = largestAllowed(make, limits);
      return [`${name} (n=${n})`, () => make(n)];
    }),
  ),
  "realistic, 200 properties": () => realisticSchema(200),
};

/** Milliseconds one compilation takes, or the refusal's message when the schema does not save. */
function compileOnce(schema: unknown): number | string {
  const start = performance.now();
  try {
    compileSchema(schema, limits);
  } catch (error) {
    return (error as Error).message;
  }
  return performance.now() - start;
}

const child = process.argv[2] === "--first";
if (child) {
  // A fresh process: warm up as the server does at boot, then the one compilation that is measured.
  const name = process.argv[3] ?? "";
  warmUpSchemaEngine();
  const make = cases[name];
  if (!make) throw new Error(`unknown case ${name}`);
  process.stdout.write(JSON.stringify(compileOnce(make())));
} else {
  const rounds = Number(process.argv[2] ?? 7);
  const self = fileURLToPath(import.meta.url);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const startLoad = load();
  const rows: string[][] = [];
  let worst = 0;
  for (const [name, make] of Object.entries(cases)) {
    progress(`${name}…`);
    const schema = make();
    const bytes = Buffer.byteLength(JSON.stringify(schema));
    const first = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", self, "--first", name], { encoding: "utf8" }),
    ) as number | string;
    if (typeof first === "string") {
      rows.push([name, `refused: ${first}`, String(bytes), "", "", ""]);
      continue;
    }
    warmUpSchemaEngine();
    const runs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const took = compileOnce(make());
      if (typeof took === "string") throw new Error(`${name} saved in a fresh process but not here: ${took}`);
      runs.push(took);
    }
    const stats = latencyStats(runs);
    worst = Math.max(worst, first, stats.max);
    rows.push([name, "saved", String(bytes), ms(first), ms(stats.p50), ms(stats.max)]);
  }
  console.log(`limits: ${JSON.stringify(limits)}; ${rounds} rounds per schema; load average ${startLoad} → ${load()}`);
  for (const line of formatTable(["schema", "outcome", "bytes", "first ms", "p50 ms", "max ms"], rows, 2)) {
    console.log(line);
  }
  console.log(`worst compilation: ${ms(worst)} ms (target ≤ 100 ms)`);
}
