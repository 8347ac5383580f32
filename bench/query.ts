// Query-engine benchmark: Recordgate's query and aggregate routes against the hand-written SQL an expert would send
// through a pg.Pool for the same rows, on a large collection, without and then with a declared index.
//
//   npx tsx bench/query.ts
//
// Env: BENCH_DATABASE_URL (admin URL; a fresh database is created next to it and dropped afterwards),
// BENCH_RECORDS (1000000), BENCH_ITERATIONS (200 sequential requests per side and case, after a warm-up),
// BENCH_CASE_SECONDS (90: a case stops early once its measured iterations took this long), BENCH_DURATION (5 s of
// autocannon per side and case; 0 skips throughput), BENCH_CONNECTIONS (4), BENCH_STAT_REQUESTS (20 requests per
// query for the server-side statement count; 0 skips it).
// The baseline is the least SQL that returns the same rows, sent through a pg.Pool of the same size: the page with
// the declared index's own expressions (so PostgreSQL can use the index once it exists), its exact count(*) over the
// same WHERE run concurrently as Recordgate runs it, and the grouped aggregate with -> / ->>. The full statements
// are printed with the results. Targets: indexed page p50 within 2× of SQL, grouped aggregate within 1.5×.
// Prints a table on stdout, writes the full results to bench/results/query-<timestamp>.json, and exits 1 when any
// request failed or Recordgate's answer differed from the baseline's.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import autocannon from "autocannon";
import type pg from "pg";
import { type BenchDatabase, baselineClients, SEEDED, waitUntilIdle, withClient } from "./support/database.ts";
import { measureHttpFloor, measureLatency, succeeds } from "./support/latency.ts";
import { type Closer, runMain } from "./support/lifecycle.ts";
import { explain, type PlanSummary } from "./support/plans.ts";
import { type RestClient, startBenchStack } from "./support/recordgate.ts";
import { environment, writeResults } from "./support/results.ts";
import { adminUrl, integer } from "./support/settings.ts";
import { StatementRecorder } from "./support/statements.ts";
import { type LatencyStats, latencyStats, progress, round } from "./support/stats.ts";
import { formatTable, ms, times } from "./support/table.ts";

const WORKSPACE = "bench";
const COLLECTION = "invoices";
const PAGE_SIZE = 50;
/** Rows per INSERT … SELECT: big enough that per-statement overhead vanishes, small enough to report progress. */
const LOAD_BATCH = 100_000;
/**
 * PostgreSQL 15 flushes a backend's statistics at most once a second and, when it has to defer, up to 10 s later
 * (PGSTAT_IDLE_INTERVAL); pg.Pool also closes clients idle for 10 s. Waiting this long before each reading of
 * pg_stat_database means every transaction of the window has been reported, and no stale one leaks in.
 */
const STATS_SETTLE_MS = 12_000;
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Skewed like real invoice books: most are paid, a quarter open, few void. Shares add up to 1. */
const STATUS_SHARES: ReadonlyArray<readonly [string, number]> = [
  ["paid", 0.45],
  ["open", 0.25],
  ["overdue", 0.12],
  ["draft", 0.12],
  ["void", 0.06],
];

const INVOICE_SCHEMA = {
  type: "object",
  required: ["number", "status", "amount", "due", "customer"],
  properties: {
    number: { type: "string" },
    status: { type: "string", enum: STATUS_SHARES.map(([status]) => status) },
    amount: { type: "number", minimum: 0, maximum: 10000 },
    due: { type: "string", format: "date-time" },
    customer: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    tags: { type: "array", items: { type: "string" } },
  },
};

const DECLARED_INDEX = { fields: [{ field: "data.status" }, { field: "data.amount", direction: "desc" }] };

type Side = "recordgate" | "baseline";
type Phase = "no index" | "index";
type CaseName = "page-exact" | "page-none" | "aggregate" | "aggregate-filtered";
const SIDES: readonly Side[] = ["recordgate", "baseline"];

interface Settings {
  adminUrl: string;
  records: number;
  iterations: number;
  caseSeconds: number;
  durationS: number;
  connections: number;
  statRequests: number;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    adminUrl: adminUrl(env),
    records: integer(env, "BENCH_RECORDS", 1_000_000, 1),
    iterations: integer(env, "BENCH_ITERATIONS", 200, 1),
    caseSeconds: integer(env, "BENCH_CASE_SECONDS", 90, 1),
    durationS: integer(env, "BENCH_DURATION", 5, 0),
    connections: integer(env, "BENCH_CONNECTIONS", 4, 1),
    statRequests: integer(env, "BENCH_STAT_REQUESTS", 20, 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Database

interface LoadStats {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  method: string;
}

function statusCase(u: string): string {
  let cumulative = 0;
  const arms = STATUS_SHARES.map(([status, share]) => {
    cumulative += share;
    return `WHEN ${u} < ${cumulative.toFixed(2)} THEN '${status}'`;
  });
  return `CASE ${arms.join(" ")} END`;
}

/** UUIDv7 from the row's creation time (as Recordgate makes them), so the primary key grows at its right edge. */
const UUID_V7 = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
  placing substring(int8send((extract(epoch FROM t.at) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

// Rows are generated inside PostgreSQL: nothing crosses the wire but the batch bounds. created_at rises with the
// series over the last year; amounts lean towards small ones (10000·a², so about 29 % exceed 5000).
const LOAD_SQL = `
  INSERT INTO records (id, workspace_id, collection_id, data, created_at, updated_at)
  SELECT ${UUID_V7}, $1, $2, jsonb_build_object(
      'number', 'INV-' || lpad(t.g::text, 8, '0'),
      'status', ${statusCase("t.u")},
      'amount', round((10000 * t.a * t.a)::numeric, 2),
      'due', to_char((t.at + t.terms * interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'customer', jsonb_build_object('name', 'Customer ' || t.customer),
      'tags', CASE WHEN t.v < 0.1 THEN '["urgent","export"]'::jsonb
                   WHEN t.v < 0.35 THEN '["export"]'::jsonb ELSE '[]'::jsonb END
    ), t.at, t.at
  FROM (
    SELECT g, random() AS u, random() AS a, random() AS v, 14 + floor(random() * 47) AS terms,
           1 + floor(random() * 5000)::int AS customer,
           $5::timestamptz + (g - 1) * $6::double precision * interval '1 millisecond' AS at
    FROM generate_series($3::int, $4::int) AS g
    -- OFFSET 0 keeps the subquery from being flattened, which would draw random() again at every reference.
    OFFSET 0
  ) t
  WHERE ${SEEDED}`;

/** Loads straight into the table in one transaction (the API would measure per-record PUTs, not queries). */
async function loadInvoices(url: string, count: number): Promise<LoadStats> {
  return withClient(url, async (client) => {
    const start = new Date(Date.now() - YEAR_MS).toISOString();
    const started = performance.now();
    await client.query("BEGIN");
    for (let from = 1; from <= count; from += LOAD_BATCH) {
      const to = Math.min(count, from + LOAD_BATCH - 1);
      await client.query(LOAD_SQL, [WORKSPACE, COLLECTION, from, to, start, YEAR_MS / count]);
      progress(`  loaded ${to} / ${count}`);
    }
    await client.query("COMMIT");
    const seconds = (performance.now() - started) / 1000;
    return {
      records: count,
      seconds,
      recordsPerSecond: count / seconds,
      method: `INSERT … SELECT FROM generate_series, ${LOAD_BATCH} rows per statement, one transaction`,
    };
  });
}

/**
 * Statistics and the visibility map of a settled table, and no autovacuum waking up mid-measurement (its
 * transactions would count in pg_stat_database). Not part of the load rate.
 */
async function vacuumAnalyze(url: string): Promise<{ vacuumAnalyzeSeconds: number; tableBytes: number }> {
  return withClient(url, async (client) => {
    const started = performance.now();
    await client.query("VACUUM ANALYZE records");
    const vacuumAnalyzeSeconds = (performance.now() - started) / 1000;
    const { rows } = await client.query<{ bytes: string }>("SELECT pg_total_relation_size('records')::text AS bytes");
    return { vacuumAnalyzeSeconds, tableBytes: Number(rows[0]?.bytes ?? 0) };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Recordgate

/** Through the API, so the workspace and collection are exactly what a client would have created. */
async function createInvoices(rest: RestClient): Promise<void> {
  await rest.json("POST", "/v1/workspaces", { id: WORKSPACE, name: "Benchmark" });
  await rest.json("PUT", `/v1/${WORKSPACE}/collections/${COLLECTION}`, {
    name: "Invoices",
    json_schema: INVOICE_SCHEMA,
  });
}

/** The bulk load bypasses validation: one loaded record written back through the API proves the rows are valid. */
async function checkLoadedRecordIsValid(rest: RestClient, url: string): Promise<void> {
  const row = await withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string; data: object }>("SELECT id, data FROM records LIMIT 1");
    return rows[0];
  });
  if (!row) throw new Error("the load wrote no records");
  await rest.json("PUT", `/v1/${WORKSPACE}/records/${COLLECTION}/${row.id}`, { data: row.data });
}

interface IndexBuild {
  seconds: number;
  name: string;
  bytes: number;
  definition: string;
}

/** Declares the index through the API; the PUT returns once PostgreSQL has built it CONCURRENTLY. */
async function declareIndex(rest: RestClient, url: string): Promise<IndexBuild> {
  const started = performance.now();
  await rest.json("PUT", `/v1/${WORKSPACE}/collections/${COLLECTION}`, {
    name: "Invoices",
    json_schema: INVOICE_SCHEMA,
    indexes: [DECLARED_INDEX],
  });
  const seconds = (performance.now() - started) / 1000;
  const rows = await withClient(url, async (client) => {
    const result = await client.query<{ name: string; bytes: string; valid: boolean; definition: string }>(
      `SELECT c.relname AS name, pg_relation_size(c.oid)::text AS bytes, i.indisvalid AS valid,
              pg_get_indexdef(c.oid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'records'::regclass AND c.relname LIKE 'rgi\\_%'`,
    );
    return result.rows;
  });
  const [index] = rows;
  if (rows.length !== 1 || !index?.valid)
    throw new Error(`expected one valid declared index, found ${JSON.stringify(rows)}`);
  return { seconds, name: index.name, bytes: Number(index.bytes), definition: index.definition };
}

// ---------------------------------------------------------------------------------------------------------------
// The queries, each as a Recordgate request and as the baseline's hand-written SQL

interface Group {
  status: string | null;
  count: number;
  sum: number | null;
  avg: number | null;
}

type Answer =
  | { kind: "page"; ids: string[]; data: unknown[]; total: number | null }
  | { kind: "groups"; groups: Group[] };

interface QueryCase {
  name: CaseName;
  what: string;
  path: string;
  body: object;
  /** The baseline's statements, for the report. */
  baselineSql: string[];
  baseline: (pool: pg.Pool) => Promise<Answer>;
  fromRest: (json: unknown) => Answer;
  /** The p50 ratio (Recordgate ÷ baseline) this case should stay within in a phase, if any. */
  target: (phase: Phase) => number | undefined;
}

const SCOPE = "workspace_id = $1 AND collection_id = $2 AND deleted_at IS NULL";
// The declared index's own expressions (see indexColumns in src/sources/native-query.ts): an expert writing against
// this table would match them, or PostgreSQL could not use the index. COLLATE "C" is part of the index column.
const PAGE_WHERE = `${SCOPE} AND (rg_text(data #> '{status}') COLLATE "C") = $3 AND rg_num(data #> '{amount}') > $4`;
// Only the columns the response carries; id is the tie-breaker Recordgate adds, so both orders are total.
const PAGE_SQL = `SELECT id, collection_id, external_id, external_source, data, version, archived, cancelled,
  created_at, updated_at FROM records WHERE ${PAGE_WHERE} ORDER BY rg_num(data #> '{amount}') DESC, id LIMIT ${PAGE_SIZE}`;
const COUNT_SQL = `SELECT count(*)::int AS total FROM records WHERE ${PAGE_WHERE}`;
const PAGE_PARAMS = [WORKSPACE, COLLECTION, "open", 5000];

// No index can serve a grouping over every row, so the natural -> / ->> operators; rg_num keeps the typed semantics.
const aggregateSql = (filter: string) => `SELECT data->>'status' AS status, count(*)::int AS count,
  sum(rg_num(data->'amount')) AS sum, avg(rg_num(data->'amount')) AS avg
  FROM records WHERE ${SCOPE}${filter} GROUP BY 1`;
const AGGREGATE_SQL = aggregateSql("");
const AGGREGATE_FILTERED_SQL = aggregateSql(" AND rg_num(data->'amount') > $3");

interface PageRow {
  id: string;
  data: unknown;
}

interface PageJson {
  data: PageRow[];
  meta: { total: number | null };
}

interface GroupRow {
  status: string | null;
  count: number;
  sum: string | null;
  avg: string | null;
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const byStatus = (a: Group, b: Group) => String(a.status).localeCompare(String(b.status));

function pageAnswer(rows: PageRow[], total: number | null): Answer {
  return { kind: "page", ids: rows.map((r) => r.id), data: rows.map((r) => r.data), total };
}

function pageFromRest(json: unknown): Answer {
  const page = json as PageJson;
  return pageAnswer(page.data, page.meta.total);
}

function groupsFromRest(json: unknown): Answer {
  const rows = (json as { data: Array<Record<string, unknown>> }).data;
  const groups = rows.map((row) => ({
    status: (row["data.status"] as string | null) ?? null,
    count: Number(row.count),
    sum: numberOrNull(row.sum),
    avg: numberOrNull(row.avg),
  }));
  return { kind: "groups", groups: groups.sort(byStatus) };
}

async function baselineGroups(pool: pg.Pool, sql: string, params: unknown[]): Promise<Answer> {
  const { rows } = await pool.query<GroupRow>(sql, params);
  const groups = rows.map((r) => ({
    status: r.status,
    count: r.count,
    sum: numberOrNull(r.sum),
    avg: numberOrNull(r.avg),
  }));
  return { kind: "groups", groups: groups.sort(byStatus) };
}

function queryCases(): QueryCase[] {
  const records = `/v1/${WORKSPACE}/records/${COLLECTION}`;
  const pageBody = {
    filter: {
      and: [
        { field: "data.status", op: "eq", value: "open" },
        { field: "data.amount", op: "gt", value: 5000 },
      ],
    },
    sort: [{ field: "data.amount", direction: "desc" }],
    limit: PAGE_SIZE,
    offset: 0,
  };
  const aggregations = [
    { fn: "count", alias: "count" },
    { fn: "sum", field: "data.amount", alias: "sum" },
    { fn: "avg", field: "data.amount", alias: "avg" },
  ];
  const pageTarget = (phase: Phase) => (phase === "index" ? 2 : undefined);
  return [
    {
      name: "page-exact",
      what: 'status = "open" AND amount > 5000, amount desc, limit 50, total "exact"',
      path: `${records}/query`,
      body: { ...pageBody, total: "exact" },
      baselineSql: [PAGE_SQL, COUNT_SQL],
      // Page and count concurrently on two pooled connections, as NativeRecordSource.query does.
      baseline: async (pool) => {
        const [page, count] = await Promise.all([
          pool.query<PageRow>(PAGE_SQL, PAGE_PARAMS),
          pool.query<{ total: number }>(COUNT_SQL, PAGE_PARAMS),
        ]);
        return pageAnswer(page.rows, count.rows[0]?.total ?? 0);
      },
      fromRest: pageFromRest,
      target: pageTarget,
    },
    {
      name: "page-none",
      what: 'the same page with total "none"',
      path: `${records}/query`,
      body: { ...pageBody, total: "none" },
      baselineSql: [PAGE_SQL],
      baseline: async (pool) => pageAnswer((await pool.query<PageRow>(PAGE_SQL, PAGE_PARAMS)).rows, null),
      fromRest: pageFromRest,
      target: pageTarget,
    },
    {
      name: "aggregate",
      what: "count, sum(amount), avg(amount) group by status",
      path: `${records}/aggregate`,
      body: { aggregations, group_by: ["data.status"] },
      baselineSql: [AGGREGATE_SQL],
      baseline: (pool) => baselineGroups(pool, AGGREGATE_SQL, [WORKSPACE, COLLECTION]),
      fromRest: groupsFromRest,
      target: () => 1.5,
    },
    {
      name: "aggregate-filtered",
      what: "the same where amount > 5000",
      path: `${records}/aggregate`,
      body: { aggregations, group_by: ["data.status"], filter: { field: "data.amount", op: "gt", value: 5000 } },
      baselineSql: [AGGREGATE_FILTERED_SQL],
      baseline: (pool) => baselineGroups(pool, AGGREGATE_FILTERED_SQL, [WORKSPACE, COLLECTION, 5000]),
      fromRest: groupsFromRest,
      target: () => 1.5,
    },
  ];
}

/** One query, bound to both sides: each call reports whether it succeeded, and never throws. */
interface Runner {
  name: CaseName;
  call: Record<Side, () => Promise<boolean>>;
}

function runner(c: QueryCase, rest: RestClient, pool: pg.Pool): Runner {
  const body = JSON.stringify(c.body);
  return {
    name: c.name,
    call: {
      recordgate: succeeds(
        () => rest.send("POST", c.path, body),
        (response) => (response as { status: number }).status === 200,
      ),
      baseline: succeeds(() => c.baseline(pool)),
    },
  };
}

/** A benchmark of answers that differ would be meaningless: compare once, before timing anything. */
async function compareAnswers(c: QueryCase, rest: RestClient, pool: pg.Pool): Promise<string | undefined> {
  const ours = c.fromRest(await rest.json("POST", c.path, c.body));
  const theirs = await c.baseline(pool);
  if (isDeepStrictEqual(ours, theirs)) return undefined;
  return `${c.name}: Recordgate and baseline disagree\n${JSON.stringify({ recordgate: ours, baseline: theirs })}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Plans

/**
 * The statements each side actually sent for one request, explained with their own bind values. Recordgate's
 * collection lookup (when its cache has expired) is left out: only statements over records have plans worth seeing.
 */
async function explainBoth(runner: Runner, recorder: StatementRecorder<Side>, client: pg.Client) {
  const plans: Partial<Record<Side, PlanSummary[]>> = {};
  for (const side of SIDES) {
    const statements = await recorder.capture(side, runner.call[side]);
    const overRecords = statements.filter((s) => /\bFROM records\b/i.test(s.text));
    plans[side] = [];
    for (const statement of overRecords) plans[side].push(await explain(client, statement));
  }
  return plans as Record<Side, PlanSummary[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

interface Throughput {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

/** autocannon runs in its own thread: on the server's event loop it would slow Recordgate down. */
async function recordgateThroughput(c: QueryCase, rest: RestClient, token: string, settings: Settings) {
  const result = await autocannon({
    url: rest.base,
    connections: settings.connections,
    duration: settings.durationS,
    workers: 1,
    // Unindexed queries over a million rows queue behind each other; slow is not failed.
    timeout: 120,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    requests: [{ method: "POST", path: c.path, body: JSON.stringify(c.body) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/**
 * The same closed loop for the baseline: `connections` callers, each issuing its next query when one returns. As
 * with autocannon, only requests completed within the window count, so slow queries are not flattered.
 */
async function baselineThroughput(call: () => Promise<boolean>, settings: Settings): Promise<Throughput> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + settings.durationS * 1000;
  const caller = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      const ok = await call();
      if (!ok) errors++;
      else if (performance.now() <= deadline) latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, caller));
  const stats = latencyStats(latencies);
  return {
    rps: latencies.length / settings.durationS,
    p50: stats.p50,
    p99: stats.p99,
    requests: latencies.length,
    errors,
  };
}

async function measureThroughput(
  c: QueryCase,
  r: Runner,
  rest: RestClient,
  token: string,
  settings: Settings,
  recordgateFirst: boolean,
): Promise<Record<Side, Throughput>> {
  const run = (side: Side) =>
    side === "recordgate"
      ? recordgateThroughput(c, rest, token, settings)
      : baselineThroughput(r.call.baseline, settings);
  const order: Side[] = recordgateFirst ? ["recordgate", "baseline"] : ["baseline", "recordgate"];
  const results: Partial<Record<Side, Throughput>> = {};
  for (const side of order) results[side] = await run(side);
  return results as Record<Side, Throughput>;
}

interface CaseResult {
  phase: Phase;
  query: CaseName;
  what: string;
  mismatch?: string;
  latency: Record<Side, LatencyStats>;
  /** Recordgate p50 ÷ baseline p50: above 1 means Recordgate is slower. */
  ratioP50: number;
  target?: number;
  meetsTarget?: boolean;
  statementsPerRequest: Record<Side, number>;
  throughput?: Record<Side, Throughput>;
  plans: Record<Side, PlanSummary[]>;
  failures: number;
  samples: Record<Side, number[]>;
}

interface PhaseContext {
  rest: RestClient;
  pool: pg.Pool;
  recorder: StatementRecorder<Side>;
  explainClient: pg.Client;
  token: string;
  settings: Settings;
}

async function benchCase(c: QueryCase, index: number, phase: Phase, ctx: PhaseContext): Promise<CaseResult> {
  const r = runner(c, ctx.rest, ctx.pool);
  const mismatch = await compareAnswers(c, ctx.rest, ctx.pool);
  if (mismatch) progress(`  MISMATCH ${mismatch}`);
  const plans = await explainBoth(r, ctx.recorder, ctx.explainClient);
  await waitUntilIdle(ctx.explainClient);
  const run = await measureLatency(r.call, ctx.recorder, ctx.settings);
  const throughput =
    ctx.settings.durationS > 0
      ? await measureThroughput(c, r, ctx.rest, ctx.token, ctx.settings, index % 2 === 0)
      : undefined;
  const ratioP50 = run.latency.recordgate.p50 / run.latency.baseline.p50;
  const target = c.target(phase);
  const failures = run.failures + (throughput ? throughput.recordgate.errors + throughput.baseline.errors : 0);
  progress(
    `  ${c.name} [${phase}]: p50 ${run.latency.recordgate.p50} ms vs ${run.latency.baseline.p50} ms ` +
      `(${ratioP50.toFixed(2)}×, ${run.latency.recordgate.samples} samples)`,
  );
  return {
    phase,
    query: c.name,
    what: c.what,
    ...(mismatch ? { mismatch } : {}),
    latency: run.latency,
    ratioP50: round(ratioP50),
    ...(target === undefined ? {} : { target, meetsTarget: ratioP50 <= target }),
    statementsPerRequest: {
      recordgate: round(run.statementsPerRequest.recordgate),
      baseline: round(run.statementsPerRequest.baseline),
    },
    ...(throughput ? { throughput } : {}),
    plans,
    failures,
    samples: run.samples,
  };
}

async function benchPhase(phase: Phase, cases: QueryCase[], ctx: PhaseContext): Promise<CaseResult[]> {
  progress(`${phase}:`);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) results.push(await benchCase(c, i, phase, ctx));
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements as PostgreSQL counts them

interface ServerCount {
  query: CaseName;
  side: Side;
  requests: number;
  xactCommits: number;
  newSessions: number;
  /** (commits − sessions opened in the window, whose start-up commits one transaction) ÷ requests. */
  perRequest: number;
  /** What the driver wrapper saw in the same window, per request. */
  driverPerRequest: number;
}

async function databaseCounters(admin: pg.Client, name: string): Promise<{ xacts: number; sessions: number }> {
  await admin.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await admin.query<{ xacts: string; sessions: string }>(
    "SELECT xact_commit::text AS xacts, sessions::text AS sessions FROM pg_stat_database WHERE datname = $1",
    [name],
  );
  return { xacts: Number(rows[0]?.xacts ?? 0), sessions: Number(rows[0]?.sessions ?? 0) };
}

/**
 * PostgreSQL 15 counts a parallel worker's start-up and work as two more committed transactions, so the windows run
 * with parallel query off for the database. Connections opened afterwards take the setting, and the settling wait
 * outlasts pg.Pool's 10 s idle timeout, so every pooled connection in a window is a new one. Plans may change;
 * the statements sent do not.
 */
async function withoutParallelQuery<T>(db: BenchDatabase, fn: () => Promise<T>): Promise<T> {
  await db.admin.query(`ALTER DATABASE "${db.name}" SET max_parallel_workers_per_gather = 0`);
  try {
    return await fn();
  } finally {
    await db.admin.query(`ALTER DATABASE "${db.name}" RESET max_parallel_workers_per_gather`);
  }
}

/**
 * pg_stat_statements is not preloaded here, so statements are counted as committed transactions of the bench
 * database: in autocommit every statement is its own transaction. Windows of K sequential requests, one side and
 * query at a time, nothing else of ours connected to the database, each reading taken once the counters have
 * settled. An autovacuum worker visiting the database may still add a transaction or two to a window.
 */
async function countServerStatements(
  db: BenchDatabase,
  runners: Runner[],
  recorder: StatementRecorder<Side>,
  requests: number,
): Promise<ServerCount[]> {
  const counts: ServerCount[] = [];
  progress(`server-side statement counts (${requests} requests per window, ${STATS_SETTLE_MS / 1000} s settling)…`);
  await sleep(STATS_SETTLE_MS);
  let before = await databaseCounters(db.admin, db.name);
  for (const r of runners) {
    for (const side of SIDES) {
      recorder.reset();
      for (let i = 0; i < requests; i++) await recorder.during(side, r.call[side]);
      const driver = recorder.counts[side];
      await sleep(STATS_SETTLE_MS);
      const after = await databaseCounters(db.admin, db.name);
      const xactCommits = after.xacts - before.xacts;
      const newSessions = after.sessions - before.sessions;
      counts.push({
        query: r.name,
        side,
        requests,
        xactCommits,
        newSessions,
        perRequest: round((xactCommits - newSessions) / requests),
        driverPerRequest: round(driver / requests),
      });
      before = after;
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting

function targetCell(result: CaseResult): string {
  if (result.target === undefined) return "-";
  return `<=${result.target}x ${result.meetsTarget ? "met" : "MISSED"}`;
}

function tableRow(result: CaseResult, serverCounts: ServerCount[], connections: number): string[] {
  const { recordgate: rg, baseline: base } = result.latency;
  const server = (side: Side) =>
    serverCounts.find((s) => s.query === result.query && s.side === side && result.phase === "index")?.perRequest;
  const serverCell = server("recordgate") === undefined ? "-" : `${server("recordgate")} / ${server("baseline")}`;
  // A window in which each connection completed fewer than two requests says nothing about throughput.
  const rps = (side: Side) => {
    const t = result.throughput?.[side];
    return t && t.requests >= 2 * connections ? t.rps.toFixed(1) : "-";
  };
  return [
    result.mismatch ? `${result.query} MISMATCH` : result.query,
    result.phase,
    String(rg.samples),
    ms(rg.p50),
    ms(rg.p95),
    ms(rg.p99),
    ms(base.p50),
    ms(base.p95),
    ms(base.p99),
    times(result.ratioP50),
    targetCell(result),
    `${result.statementsPerRequest.recordgate.toFixed(2)} / ${result.statementsPerRequest.baseline.toFixed(2)}`,
    serverCell,
    rps("recordgate"),
    rps("baseline"),
  ];
}

function printTable(results: CaseResult[], serverCounts: ServerCount[], connections: number): void {
  const header = [
    "query",
    "variant",
    "n",
    "RG p50",
    "RG p95",
    "RG p99",
    "SQL p50",
    "SQL p95",
    "SQL p99",
    "p50 ratio",
    "target",
    "stmts/req RG / SQL",
    "pg xacts/req RG / SQL",
    "RG req/s",
    "SQL req/s",
  ];
  const rows = results.map((r) => tableRow(r, serverCounts, connections));
  for (const line of formatTable(header, rows)) console.log(line);
}

function printPlans(results: CaseResult[]): void {
  console.log("\nplans (EXPLAIN ANALYZE of the statements each side sent for one request):");
  for (const result of results) {
    for (const side of SIDES) {
      const plans = result.plans[side].map((p) => `${p.shape} ${ms(p.executionMs)} ms${p.jit ? " +JIT" : ""}`);
      console.log(`  ${result.query} [${result.phase}] ${side.padEnd(10)} ${plans.join(" | ")}`);
    }
  }
}

/** What the exact total costs: the page with it minus the page without it, at p50, per phase and side. */
function printCountCost(results: CaseResult[]): void {
  const p50 = (phase: Phase, query: CaseName, side: Side) =>
    results.find((r) => r.phase === phase && r.query === query)?.latency[side].p50 ?? Number.NaN;
  for (const phase of ["no index", "index"] as const) {
    const cost = (side: Side) => {
      const value = p50(phase, "page-exact", side) - p50(phase, "page-none", side);
      return `${value >= 0 ? "+" : ""}${ms(value)}`;
    };
    console.log(
      `exact total's cost (${phase}): Recordgate ${cost("recordgate")} ms, SQL ${cost("baseline")} ms at p50`,
    );
  }
}

interface Report {
  settings: Settings;
  load: LoadStats & { vacuumAnalyzeSeconds: number; tableBytes: number };
  index: IndexBuild;
  httpFloor: LatencyStats;
  cases: QueryCase[];
  results: CaseResult[];
  serverCounts: ServerCount[];
  failures: number;
  mismatches: number;
}

function printReport(report: Report): void {
  const { settings, load, index, results, serverCounts } = report;
  console.log(
    `\nRecordgate REST vs hand-written SQL over pg.Pool: ${settings.records} invoices, latency from up to ` +
      `${settings.iterations} interleaved sequential requests per side (case cap ${settings.caseSeconds} s), ` +
      (settings.durationS > 0
        ? `throughput ${settings.durationS} s at ${settings.connections} connections per side`
        : "throughput skipped"),
  );
  printTable(results, serverCounts, settings.connections);
  console.log(
    "latencies in ms; ratio = Recordgate p50 ÷ SQL p50; stmts/req = statements the driver sent per request while " +
      "timing; pg xacts/req = transactions PostgreSQL committed per request (index phase, parallel query off); " +
      "req/s counts requests completed within the window (- when under two per connection)",
  );
  printCountCost(results);
  console.log(
    `HTTP floor (GET /healthz, same client, no auth or database): p50 ${ms(report.httpFloor.p50)} ms, ` +
      `p95 ${ms(report.httpFloor.p95)} ms, p99 ${ms(report.httpFloor.p99)} ms`,
  );
  printPlans(results);
  console.log("\nbaseline SQL ($1 = workspace, $2 = collection, $3 = 'open' / 5000, $4 = 5000):");
  for (const c of report.cases)
    for (const sql of c.baselineSql) console.log(`  ${c.name}: ${sql.replace(/\s+/g, " ")}`);
  console.log(
    `\nbulk load: ${load.records} records in ${load.seconds.toFixed(2)} s = ${load.recordsPerSecond.toFixed(0)} ` +
      `records/s (${load.method}); VACUUM ANALYZE ${load.vacuumAnalyzeSeconds.toFixed(2)} s; ` +
      `table with indexes ${(load.tableBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `declared index build (PUT collection, CREATE INDEX CONCURRENTLY): ${index.seconds.toFixed(2)} s, ` +
      `${(index.bytes / 2 ** 20).toFixed(1)} MiB\n  ${index.definition}`,
  );
  console.log(
    "the baseline's count is exact (count(*) over the same WHERE), as is Recordgate's default total; " +
      `failures: ${report.failures}, mismatches: ${report.mismatches}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function run(settings: Settings, closers: Closer[]): Promise<number> {
  const started = performance.now();
  const { token, db, rest } = await startBenchStack(settings.adminUrl, closers);
  await createInvoices(rest);
  progress(`loading ${settings.records} invoices…`);
  const loaded = await loadInvoices(db.url, settings.records);
  await checkLoadedRecordIsValid(rest, db.url);
  const load = { ...loaded, ...(await vacuumAnalyze(db.url)) };

  const { pool, explainClient } = await baselineClients(db.url, closers);
  const recorder = new StatementRecorder(SIDES);
  closers.push(recorder.install());

  const cases = queryCases();
  const ctx: PhaseContext = { rest, pool, recorder, explainClient, token, settings };
  const results = await benchPhase("no index", cases, ctx);
  progress("declaring the index…");
  const index = await declareIndex(rest, db.url);
  progress(`  built in ${index.seconds.toFixed(2)} s`);
  results.push(...(await benchPhase("index", cases, ctx)));
  await waitUntilIdle(explainClient);
  const httpFloor = await measureHttpFloor(rest, settings.iterations);
  const runners = cases.map((c) => runner(c, rest, pool));
  const serverCounts =
    settings.statRequests > 0
      ? await withoutParallelQuery(db, () => countServerStatements(db, runners, recorder, settings.statRequests))
      : [];

  const failures = results.reduce((total, r) => total + r.failures, 0);
  const mismatches = results.filter((r) => r.mismatch).length;
  const report: Report = { settings, load, index, httpFloor, cases, results, serverCounts, failures, mismatches };
  printReport(report);
  // The admin URL may carry a password; results files get shared.
  const { adminUrl: _adminUrl, ...shown } = settings;
  const file = await writeResults("query", {
    date: new Date().toISOString(),
    settings: shown,
    environment: await environment(db.url),
    runSeconds: round((performance.now() - started) / 1000, 1),
    load,
    index,
    httpFloor,
    baselineSql: Object.fromEntries(cases.map((c) => [c.name, c.baselineSql])),
    results,
    serverCounts,
    failures,
    mismatches,
  });
  console.log(`results: ${file} (run took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return failures + mismatches;
}

await runMain((closers) => run(readSettings(process.env), closers));
