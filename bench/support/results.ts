// The results file each run leaves in bench/results/ (gitignored), and the machine it ran on.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withClient } from "./database.ts";

/** Writes bench/results/<name>-<timestamp>.json and returns its path relative to the working directory. */
export async function writeResults(name: string, report: object): Promise<string> {
  const dir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return path.relative(process.cwd(), file);
}

/** Node, CPUs, PostgreSQL's version and the settings that shape its plans. */
export async function environment(databaseUrl: string) {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit',
         'max_parallel_workers_per_gather', 'effective_cache_size', 'random_page_cost')`,
    );
    const version = await client.query<{ version: string }>("SELECT version()");
    return {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      postgres: version.rows[0]?.version,
      postgresSettings: Object.fromEntries(rows.map((r) => [r.name, r.setting])),
      // Taken at the end: a high 1-minute load beyond this run's own means something else shared the machine.
      loadAverage: os.loadavg(),
    };
  });
}
