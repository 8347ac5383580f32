// Read-path benchmark: Recordgate against a minimal node:http + pg server answering the same two routes with the
// same JSON from the same database, so the ratio is the cost of everything Recordgate adds (Fastify, auth, Prisma).
//
//   npx tsx bench/records.ts
//
// Env: BENCH_DATABASE_URL (admin URL; a fresh database is created next to it and dropped afterwards),
// BENCH_RECORDS (10000), BENCH_DURATION (10 s per measured run), BENCH_WARMUP (3 s), BENCH_CONNECTIONS (32),
// BENCH_ROUNDS (2: each route runs Recordgate, baseline, baseline, Recordgate and reports the median).
// Prints a table on stdout, writes the full results to bench/results/records-<timestamp>.json, and exits 1 when any
// request failed or the two servers disagreed on a response.
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import autocannon from "autocannon";
import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { baselinePool, createBenchDatabase, SEEDED, withClient } from "./support/database.ts";
import { type Closer, runMain } from "./support/lifecycle.ts";
import { startRecordgate } from "./support/recordgate.ts";
import { writeResults } from "./support/results.ts";
import { adminUrl, integer } from "./support/settings.ts";
import { progress } from "./support/stats.ts";
import { formatTable, times } from "./support/table.ts";

const WORKSPACE = "bench";
const COLLECTION = "contacts";
const PAGE_SIZE = 50;
/** Rows per INSERT: one statement at the default size, bounded parameter size for big loads. */
const LOAD_BATCH = 10_000;
/** How many distinct ids the get-one route rotates through; enough that no single row or plan is favoured. */
const ID_SAMPLE = 1_000;
const SPREAD_MS = 30 * 24 * 3600 * 1000;

type Side = "recordgate" | "baseline";
type RouteName = "get-one" | "list-50";

interface Settings {
  adminUrl: string;
  records: number;
  durationS: number;
  warmupS: number;
  connections: number;
  rounds: number;
}

interface Route {
  name: RouteName;
  paths: string[];
}

interface Run {
  side: Side;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

interface Summary {
  route: RouteName;
  side: Side;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  runs: Run[];
}

interface LoadStats {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  method: string;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    adminUrl: adminUrl(env),
    records: integer(env, "BENCH_RECORDS", 10_000, 1),
    durationS: integer(env, "BENCH_DURATION", 10, 1),
    warmupS: integer(env, "BENCH_WARMUP", 3, 1),
    connections: integer(env, "BENCH_CONNECTIONS", 32, 1),
    rounds: integer(env, "BENCH_ROUNDS", 2, 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Database

function makeRows(count: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    // Half the rows carry an external identity so the load also maintains the partial unique index.
    external_id: i % 2 === 0 ? `crm-${i}` : null,
    external_source: i % 2 === 0 ? "bench" : null,
    data: {
      name: `Contact ${i}`,
      email: `contact${i}@example.com`,
      score: i % 100,
      active: i % 3 !== 0,
      tags: ["bench", `group-${i % 10}`],
    },
    // Random, not insertion order: the list route then reads an index whose order is unrelated to the heap's.
    created_at: new Date(now - Math.floor(Math.random() * SPREAD_MS)).toISOString(),
  }));
}

const LOAD_SQL = `
  INSERT INTO records (id, workspace_id, collection_id, external_id, external_source, data, created_at, updated_at)
  SELECT r.id, $1, $2, r.external_id, r.external_source, r.data, r.created_at, r.created_at
  FROM jsonb_to_recordset($3::jsonb)
    AS r(id uuid, external_id text, external_source text, data jsonb, created_at timestamptz)
  WHERE ${SEEDED}`;

/** Loads straight into the table in one transaction (the API would measure per-record PUTs, not the read path). */
async function loadRecords(url: string, count: number): Promise<{ ids: string[]; stats: LoadStats }> {
  const rows = makeRows(count);
  return withClient(url, async (client) => {
    const started = performance.now();
    await client.query("BEGIN");
    for (let i = 0; i < rows.length; i += LOAD_BATCH) {
      await client.query(LOAD_SQL, [WORKSPACE, COLLECTION, JSON.stringify(rows.slice(i, i + LOAD_BATCH))]);
    }
    await client.query("COMMIT");
    const seconds = (performance.now() - started) / 1000;
    // Fresh statistics so both servers get the plans a settled table would get; not counted in the load rate.
    await client.query("ANALYZE records");
    const method = `INSERT … SELECT FROM jsonb_to_recordset($3::jsonb), ${LOAD_BATCH} rows per statement, one transaction`;
    return {
      ids: rows.map((row) => row.id),
      stats: { records: count, seconds, recordsPerSecond: count / seconds, method },
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Recordgate

async function call(base: string, token: string, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Through the API, so the workspace and collection are exactly what a client would have created. */
async function createCollection(base: string, token: string): Promise<void> {
  await call(base, token, "POST", "/v1/workspaces", { id: WORKSPACE, name: "Benchmark" });
  await call(base, token, "PUT", `/v1/${WORKSPACE}/collections/${COLLECTION}`, {
    name: "Contacts",
    json_schema: { type: "object" },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline: the least a server can do to answer the same requests from the same rows.

interface RecordRow {
  id: string;
  collection_id: string;
  external_id: string | null;
  external_source: string | null;
  data: unknown;
  version: number;
  archived: boolean;
  cancelled: boolean;
  created_at: Date;
  updated_at: Date;
}

// Every column, as Prisma selects the whole model; the uuid arrives as text either way.
const COLUMNS = `id, workspace_id, collection_id, external_id, external_source, data, version, archived, cancelled,
  created_at, updated_at, deleted_at`;
const ONE_SQL = `SELECT ${COLUMNS} FROM records
  WHERE id = $1 AND workspace_id = $2 AND collection_id = $3 AND deleted_at IS NULL LIMIT 1`;
// k0 and k1: the sort keys of the default order as text, which Recordgate's next_cursor carries.
const PAGE_SQL = `SELECT ${COLUMNS}, created_at::text AS k0, id::text AS k1 FROM records
  WHERE workspace_id = $1 AND collection_id = $2 AND deleted_at IS NULL
  ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`;
const COUNT_SQL = `SELECT count(*)::int AS total FROM records
  WHERE workspace_id = $1 AND collection_id = $2 AND deleted_at IS NULL`;

interface PageRow extends RecordRow {
  k0: string;
  k1: string;
}

/** Ties Recordgate's cursors to their sort; the default order is the empty sort (src/query/cursor.ts). */
const DEFAULT_SORT_SIGNATURE = createHash("sha256").update("").digest("base64url").slice(0, 12);

/** Recordgate's keyset cursor: the last row's sort keys, on every full page. */
function nextCursor(rows: PageRow[], limit: number): string | null {
  const last = rows.at(-1);
  if (!last || rows.length !== limit) return null;
  return Buffer.from(JSON.stringify({ s: DEFAULT_SORT_SIGNATURE, k: [last.k0, last.k1] })).toString("base64url");
}

const ROUTE = /^\/v1\/([^/]+)\/records\/([^/]+)(?:\/([^/]+))?\/?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The same fields, names and order as recordJson in src/rest/serialize.ts, so both sides send the same bytes. */
function recordJson(r: RecordRow) {
  return {
    id: r.id,
    collection: r.collection_id,
    data: r.data,
    external_id: r.external_id,
    external_source: r.external_source,
    version: r.version,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    ...(r.archived ? { _archived: true } : {}),
    ...(r.cancelled ? { cancelled: true } : {}),
  };
}

function pageParam(params: URLSearchParams, name: string, fallback: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
}

async function answer(pool: pg.Pool, req: http.IncomingMessage, expectedAuth: string): Promise<[number, unknown]> {
  if (req.method !== "GET") return [405, { error: "method not allowed" }];
  if (req.headers.authorization !== expectedAuth) return [401, { error: "unauthorized" }];
  const url = new URL(req.url ?? "/", "http://baseline");
  const [, ws, collection, id] = ROUTE.exec(url.pathname) ?? [];
  if (!ws || !collection) return [404, { error: "no route" }];
  if (id !== undefined) {
    if (!UUID.test(id)) return [404, { error: "not found" }];
    const { rows } = await pool.query<RecordRow>(ONE_SQL, [id.toLowerCase(), ws, collection]);
    return rows[0] ? [200, recordJson(rows[0])] : [404, { error: "not found" }];
  }
  const limit = pageParam(url.searchParams, "limit", PAGE_SIZE, 1000);
  const offset = pageParam(url.searchParams, "offset", 0, 2_147_483_647);
  if (!limit || offset === undefined) return [400, { error: "invalid pagination" }];
  // Concurrently on two pooled connections, as NativeRecordSource.list does.
  const [page, count] = await Promise.all([
    pool.query<PageRow>(PAGE_SQL, [ws, collection, limit, offset]),
    pool.query<{ total: number }>(COUNT_SQL, [ws, collection]),
  ]);
  const meta = { total: count.rows[0]?.total ?? 0, limit, offset, next_cursor: nextCursor(page.rows, limit) };
  return [200, { data: page.rows.map(recordJson), meta }];
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

async function startBaseline(databaseUrl: string, token: string): Promise<{ url: string; closers: Closer[] }> {
  const pool = baselinePool(databaseUrl);
  const expectedAuth = `Bearer ${token}`;
  const server = http.createServer((req, res) => {
    answer(pool, req, expectedAuth).then(
      ([status, body]) => send(res, status, body),
      (error: unknown) => send(res, 500, { error: String(error) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Idle keep-alive sockets would otherwise hold close() open until they time out.
      server.closeIdleConnections();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    closers: [
      { what: "baseline pool", close: () => pool.end() },
      { what: "baseline server", close },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function routes(ids: readonly string[]): Route[] {
  const base = `/v1/${WORKSPACE}/records/${COLLECTION}`;
  return [
    {
      name: "get-one",
      paths: shuffled(ids)
        .slice(0, ID_SAMPLE)
        .map((id) => `${base}/${id}`),
    },
    { name: "list-50", paths: [`${base}?limit=${PAGE_SIZE}`] },
  ];
}

/** A benchmark of a server that answers differently would be meaningless: compare bodies before timing anything. */
async function assertSameResponses(urls: Record<Side, string>, token: string, route: Route): Promise<void> {
  for (const pathname of route.paths.slice(0, 3)) {
    const [ours, theirs] = await Promise.all([
      call(urls.recordgate, token, "GET", pathname),
      call(urls.baseline, token, "GET", pathname),
    ]);
    if (!isDeepStrictEqual(ours, theirs)) {
      throw new Error(
        `${route.name}: Recordgate and baseline disagree on ${pathname}\n${JSON.stringify({ ours, theirs })}`,
      );
    }
  }
}

async function hit(url: string, token: string, route: Route, seconds: number, connections: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    // The load generator gets its own thread; on the servers' event loop it would inflate both sides equally and
    // squash the ratio towards 1.
    workers: 1,
    headers: { authorization: `Bearer ${token}` },
    requests: route.paths.map((pathname) => ({ method: "GET", path: pathname })),
  });
}

async function measure(side: Side, url: string, token: string, route: Route, settings: Settings): Promise<Run> {
  const result = await hit(url, token, route, settings.durationS, settings.connections);
  const run: Run = {
    side,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
  progress(`  ${route.name} ${side}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms`);
  return run;
}

/** Warm-up failures count too: an error is an error, even before timing starts. */
async function warmUp(urls: Record<Side, string>, token: string, route: Route, settings: Settings): Promise<number> {
  let failures = 0;
  for (const side of ["recordgate", "baseline"] as const) {
    progress(`  ${route.name} ${side}: warm-up ${settings.warmupS} s`);
    const result = await hit(urls[side], token, route, settings.warmupS, settings.connections);
    failures += result.errors + result.timeouts + result.non2xx;
  }
  return failures;
}

/** Alternating order per round (A B, B A, …) so drift in machine conditions falls on both sides alike. */
async function benchRoute(urls: Record<Side, string>, token: string, route: Route, settings: Settings) {
  const warmupFailures = await warmUp(urls, token, route, settings);
  const runs: Run[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const order: Side[] = round % 2 === 0 ? ["recordgate", "baseline"] : ["baseline", "recordgate"];
    for (const side of order) runs.push(await measure(side, urls[side], token, route, settings));
  }
  return { warmupFailures, runs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function summarize(route: RouteName, side: Side, all: Run[]): Summary {
  const runs = all.filter((run) => run.side === side);
  const sum = (pick: (run: Run) => number) => runs.reduce((total, run) => total + pick(run), 0);
  return {
    route,
    side,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: sum((run) => run.errors),
    non2xx: sum((run) => run.non2xx),
    runs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting

interface Comparison {
  route: RouteName;
  recordgate: Summary;
  baseline: Summary;
  /** Recordgate divided by baseline: below 1 for req/s and above 1 for latency means Recordgate is slower. */
  ratio: { rps: number; p50: number; p99: number };
}

function compare(summaries: Summary[]): Comparison[] {
  const pick = (route: RouteName, side: Side) => summaries.find((s) => s.route === route && s.side === side);
  const comparisons: Comparison[] = [];
  for (const route of new Set(summaries.map((s) => s.route))) {
    const recordgate = pick(route, "recordgate");
    const baseline = pick(route, "baseline");
    if (!recordgate || !baseline) continue;
    const ratio = (key: "rps" | "p50" | "p99") => recordgate[key] / baseline[key];
    comparisons.push({
      route,
      recordgate,
      baseline,
      ratio: { rps: ratio("rps"), p50: ratio("p50"), p99: ratio("p99") },
    });
  }
  return comparisons;
}

function tableRows(comparisons: Comparison[]): string[][] {
  const rows: string[][] = [];
  for (const { route, recordgate, baseline, ratio } of comparisons) {
    for (const s of [recordgate, baseline]) {
      rows.push([route, s.side, s.rps.toFixed(0), String(s.p50), String(s.p99), String(s.errors), String(s.non2xx)]);
    }
    rows.push([route, "recordgate/baseline", times(ratio.rps), times(ratio.p50), times(ratio.p99), "", ""]);
  }
  return rows;
}

function printTable(comparisons: Comparison[], load: LoadStats, settings: Settings): void {
  const header = ["route", "server", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx"];
  const rows = tableRows(comparisons);
  console.log(
    `\nRecordgate vs node:http + pg baseline: ${settings.records} records, ${settings.connections} connections, ` +
      `median of ${settings.rounds} × ${settings.durationS} s runs per side after ${settings.warmupS} s warm-up`,
  );
  for (const line of formatTable(header, rows)) console.log(line);
  console.log("ratio rows: Recordgate ÷ baseline (req/s below 1x, or latency above 1x, means Recordgate is slower)");
  console.log(
    `\nbulk load: ${load.records} records in ${load.seconds.toFixed(3)} s = ` +
      `${load.recordsPerSecond.toFixed(0)} records/s (${load.method})`,
  );
}

async function environment(databaseUrl: string) {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ version: string }>("SELECT version()");
    return {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      postgres: rows[0]?.version,
      // Taken at the end: a high 1-minute load beyond this run's own means something else shared the machine.
      loadAverage: os.loadavg(),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------

async function run(settings: Settings, closers: Closer[]): Promise<number> {
  const token = `bench_${randomBytes(16).toString("hex")}`;
  const db = await createBenchDatabase(settings.adminUrl);
  closers.push({ what: "bench database", close: db.close });

  const recordgate = await startRecordgate(db.url, token);
  closers.push(...recordgate.closers);
  await createCollection(recordgate.url, token);
  progress(`loading ${settings.records} records…`);
  const { ids, stats: load } = await loadRecords(db.url, settings.records);
  const baseline = await startBaseline(db.url, token);
  closers.push(...baseline.closers);
  const urls: Record<Side, string> = { recordgate: recordgate.url, baseline: baseline.url };

  const summaries: Summary[] = [];
  let failures = 0;
  for (const route of routes(ids)) {
    await assertSameResponses(urls, token, route);
    progress(`${route.name}:`);
    const { warmupFailures, runs } = await benchRoute(urls, token, route, settings);
    failures += warmupFailures;
    for (const side of ["recordgate", "baseline"] as const) summaries.push(summarize(route.name, side, runs));
  }
  failures += summaries.reduce((total, s) => total + s.errors + s.non2xx, 0);

  const comparisons = compare(summaries);
  printTable(comparisons, load, settings);
  // The admin URL may carry a password; results files get shared.
  const { adminUrl: _adminUrl, ...shown } = settings;
  const file = await writeResults("records", {
    date: new Date().toISOString(),
    settings: shown,
    environment: await environment(db.url),
    load,
    results: comparisons,
    failures,
  });
  console.log(`results: ${file}`);
  return failures;
}

await runMain((closers) => run(readSettings(process.env), closers), "requests failed");
