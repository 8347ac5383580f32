// Hostile load: the hostile families' cases (test/support/hostile/) plus the pathological requests of issue 14,
// sent to Recordgate running as its own process while a probe asks /healthz every 50 ms — first on the embedded
// database, then on PostgreSQL. Does any request crash, stall or 500 the server, and what does the rest of the
// traffic feel meanwhile?
//
//   npm run bench:hostile        (or: npx tsx bench/hostile.ts)
//
// Env: BENCH_DATABASE_URL (admin URL; a fresh database is created next to it and dropped afterwards),
// BENCH_DATABASES (pglite,postgres), BENCH_HOSTILE_REQUESTS (10000 per database, the pathological ones included),
// BENCH_CONCURRENCY (8 requests in flight), BENCH_REQUEST_TIMEOUT_S (30: a request or probe unanswered by then is a
// stall), BENCH_STALL_KILL_S (45: a server whose /healthz has not answered for this long is killed with -9 and
// restarted, counted apart from crashes), BENCH_SERVER_HEAP_MB (1536: the server's V8 heap cap, so a runaway
// request ends in a crash within the run instead of exhausting the machine), BENCH_DEADLINE_S (1200 per database:
// requests not sent by then are reported as not sent), BENCH_SEED (14, for fast-check's samples),
// BENCH_MAX_BODY_BYTES (the server's RECORDGATE_MAX_BODY_BYTES; its default when unset), BENCH_PATHOLOGICAL (1;
// 0 sends only the families' cases, for a quick check of the bench itself), BENCH_HOSTILE_ROUNDS (1: how many times
// the load is sent to the same server process, each round with other samples (seed + round): RSS read after each
// round tells a leak, which grows every round, from a high-water mark, which the first round reaches). The server runs with
// RECORDGATE_RATE_LIMIT=0: this measures hostile input, not the per-workspace rate limit.
// Targets per database: 0 5xx, 0 crashes, 0 stalls, /healthz p99 ≤ 100 ms and max ≤ 250 ms during the run, RSS
// growth ≤ 100 MiB. Prints a table on stdout, writes bench/results/hostile-<timestamp>.json, exits 1 when any target
// is missed.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { Agent, request } from "undici";
import type { HostileTokens } from "../test/support/hostile/case.ts";
import { seedHostile } from "../test/support/hostile/fixture.ts";
import { HOSTILE_FAMILIES } from "../test/support/hostile/index.ts";
import type { HttpResult, RequestOptions } from "../test/support/server.ts";
import { createBenchDatabase } from "./support/database.ts";
import { type Closer, closeAll, runMain } from "./support/lifecycle.ts";
import { bodyBytes, cliqueSetup, type LoadRequest, pathologicalRequests } from "./support/pathological.ts";
import { environment, writeResults } from "./support/results.ts";
import { rssMiB, type ServerProcess, spawnServer, stopServer } from "./support/server-process.ts";
import { adminUrl, integer } from "./support/settings.ts";
import { type LatencyStats, latencyStats, progress, round } from "./support/stats.ts";
import { formatTable, ms } from "./support/table.ts";

const PROBE_INTERVAL_MS = 50;
const TARGETS = { p99Ms: 100, maxMs: 250, rssGrowthMiB: 100 };
type DatabaseKind = "pglite" | "postgres";

interface Settings {
  adminUrl: string;
  databases: DatabaseKind[];
  requests: number;
  concurrency: number;
  requestTimeoutMs: number;
  stallKillMs: number;
  heapMb: number;
  deadlineMs: number;
  seed: number;
  maxBodyBytes: number | undefined;
  pathological: boolean;
  rounds: number;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const databases = (env.BENCH_DATABASES || "pglite,postgres").split(",").map((d) => d.trim());
  for (const d of databases) {
    if (d !== "pglite" && d !== "postgres") throw new Error(`BENCH_DATABASES: unknown database "${d}"`);
  }
  return {
    adminUrl: adminUrl(env),
    databases: databases as DatabaseKind[],
    requests: integer(env, "BENCH_HOSTILE_REQUESTS", 10_000, 1),
    concurrency: integer(env, "BENCH_CONCURRENCY", 8, 1),
    requestTimeoutMs: integer(env, "BENCH_REQUEST_TIMEOUT_S", 30, 1) * 1000,
    stallKillMs: integer(env, "BENCH_STALL_KILL_S", 45, 1) * 1000,
    heapMb: integer(env, "BENCH_SERVER_HEAP_MB", 1536, 256),
    deadlineMs: integer(env, "BENCH_DEADLINE_S", 1200, 1) * 1000,
    seed: integer(env, "BENCH_SEED", 14, 0),
    pathological: integer(env, "BENCH_PATHOLOGICAL", 1, 0) > 0,
    rounds: integer(env, "BENCH_HOSTILE_ROUNDS", 1, 1),
    maxBodyBytes: env.BENCH_MAX_BODY_BYTES ? integer(env, "BENCH_MAX_BODY_BYTES", 0, 1024) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The requests

/** The families' cases, `total` in all (shared evenly), with the pathological requests spread evenly among them. */
function buildLoad(total: number, seed: number, withPathological: boolean): LoadRequest[] {
  const pathological = withPathological ? pathologicalRequests() : [];
  const perFamily = Math.ceil(Math.max(0, total - pathological.length) / HOSTILE_FAMILIES.length);
  const cases: LoadRequest[] = [];
  for (const family of HOSTILE_FAMILIES) {
    for (const c of fc.sample(family.cases, { numRuns: perFamily, seed })) {
      cases.push({ ...c, family: family.name, expectStatus: c.expect.status });
    }
  }
  const shuffled = fc.sample(fc.shuffledSubarray(cases, { minLength: cases.length }), { numRuns: 1, seed })[0] ?? [];
  const load = shuffled.slice(0, Math.max(0, total - pathological.length));
  const gap = load.length / (pathological.length + 1);
  pathological.forEach((p, i) => {
    load.splice(Math.round(gap * (i + 1)) + i, 0, p);
  });
  return load;
}

// ---------------------------------------------------------------------------------------------------------------
// The server, supervised: a crash or a kill is counted and the server started again on the same data

interface Supervisor {
  current(): ServerProcess;
  /** Resolves once a server is up (at once, unless one is being restarted). */
  ready(): Promise<void>;
  /** Kills an unresponsive server with -9; the restart that follows is counted as a kill, not a crash. */
  killUnresponsive(): void;
  crashes: { exit: string; tail: string[] }[];
  unresponsiveKills: number;
  restarting: boolean;
  stop(): Promise<string>;
}

async function supervise(env: Record<string, string>, heapMb: number): Promise<Supervisor> {
  let server = await spawnServer(env, heapMb);
  let ready: Promise<void> = Promise.resolve();
  let stopping = false;
  let killing = false;
  const supervisor: Supervisor = {
    current: () => server,
    ready: () => ready,
    killUnresponsive() {
      if (killing || supervisor.restarting) return;
      killing = true;
      server.child.kill("SIGKILL");
    },
    crashes: [],
    unresponsiveKills: 0,
    restarting: false,
    async stop() {
      stopping = true;
      await ready;
      return stopServer(server);
    },
  };
  const watch = (proc: ServerProcess) => {
    void proc.exited.then((exit) => {
      if (stopping) return;
      if (killing) supervisor.unresponsiveKills++;
      else supervisor.crashes.push({ exit, tail: [...proc.tail] });
      progress(`  server ${killing ? "killed (unresponsive)" : `exited (${exit})`}; restarting it`);
      killing = false;
      supervisor.restarting = true;
      ready = spawnServer(env, heapMb).then((next) => {
        server = next;
        supervisor.restarting = false;
        watch(next);
      });
    });
  };
  watch(server);
  return supervisor;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

type Outcome = { kind: "answered"; status: number; text: string } | { kind: "stall" } | { kind: "failed" };

function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string };
  return e.name === "TimeoutError" || e.code === "UND_ERR_HEADERS_TIMEOUT" || e.code === "UND_ERR_BODY_TIMEOUT";
}

async function send(
  agent: Agent,
  base: string,
  r: Pick<LoadRequest, "method" | "path" | "body" | "rawBody" | "headers">,
  token: string | null,
  timeoutMs: number,
): Promise<Outcome> {
  const headers: Record<string, string> = { ...r.headers };
  if (token !== null) headers.authorization ??= `Bearer ${token}`;
  let body = r.rawBody;
  if (r.body !== undefined) {
    body = JSON.stringify(r.body);
    headers["content-type"] ??= "application/json";
  }
  try {
    const response = await request(`${base}${r.path}`, {
      method: r.method,
      headers,
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { kind: "answered", status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    return isTimeout(error) ? { kind: "stall" } : { kind: "failed" };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One database

interface FamilyCounts {
  sent: number;
  statuses: Record<string, number>;
  fiveXx: number;
  stalls: number;
  failed: number;
  /** Answered, but not with the status the case expects (informative: other helpers' fixes decide these). */
  unexpected: number;
  maxMs: number;
}

interface DatabaseResult {
  database: DatabaseKind;
  planned: number;
  sent: number;
  notSent: number;
  fiveXx: number;
  stalls: number;
  failed: number;
  crashes: { exit: string; tail: string[] }[];
  unresponsiveKills: number;
  healthz: LatencyStats;
  probeTimeouts: number;
  probeFailures: number;
  /** `afterRounds`: after each round, the last one being `after`. */
  rssMiB: { before: number; after: number; growth: number; peak: number; afterRounds: number[] };
  loadAverage: { start: number[]; end: number[] };
  seconds: number;
  shutdown: string;
  families: Record<string, FamilyCounts>;
  largestBodyBytes: number;
}

async function runDatabase(kind: DatabaseKind, settings: Settings, closers: Closer[]): Promise<DatabaseResult> {
  progress(`${kind}: starting the server`);
  const token = `bench_${randomBytes(16).toString("hex")}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "recordgate-bench-hostile-"));
  closers.push({ what: "data folder", close: () => rm(dataDir, { recursive: true, force: true }) });
  const env: Record<string, string> = {
    RECORDGATE_DATA_DIR: dataDir,
    RECORDGATE_ADMIN_TOKEN: token,
    RECORDGATE_RATE_LIMIT: "0",
    // Info: the "listening" line gives the URL; the request lines are read and dropped.
    LOG_LEVEL: "info",
  };
  if (settings.maxBodyBytes !== undefined) env.RECORDGATE_MAX_BODY_BYTES = String(settings.maxBodyBytes);
  if (kind === "postgres") {
    const db = await createBenchDatabase(settings.adminUrl);
    closers.push({ what: "bench database", close: db.close });
    env.DATABASE_URL = db.url;
  }
  const supervisor = await supervise(env, settings.heapMb);
  closers.push({ what: "server process", close: async () => void (await supervisor.stop()) });
  const timeouts = { headersTimeout: settings.requestTimeoutMs, bodyTimeout: settings.requestTimeoutMs };
  const agent = new Agent({ connections: settings.concurrency, ...timeouts });
  const probeAgent = new Agent({ connections: 1, ...timeouts });
  closers.push({
    what: "HTTP agents",
    close: async () => void (await Promise.all([agent.close(), probeAgent.close()])),
  });

  // Seeding: the hostile fixture, then the clique the pathological queries walk.
  const rest = async (method: string, pathname: string, options: RequestOptions = {}): Promise<HttpResult> => {
    const outcome = await send(
      agent,
      supervisor.current().url,
      { method: method as LoadRequest["method"], path: pathname, body: options.body, headers: options.headers },
      options.token === undefined ? token : options.token,
      settings.requestTimeoutMs,
    );
    if (outcome.kind !== "answered") throw new Error(`seeding ${method} ${pathname}: ${outcome.kind}`);
    return { status: outcome.status, headers: {}, body: undefined, text: outcome.text };
  };
  const tokens: HostileTokens = await seedHostile({ rest }, token);
  for (const r of cliqueSetup()) {
    const answer = await rest(r.method, r.path, { body: r.body });
    if (answer.status !== r.expectStatus) throw new Error(`seeding ${r.label}: ${answer.status} ${answer.text}`);
  }

  const loads = Array.from({ length: settings.rounds }, (_, round) =>
    buildLoad(settings.requests, settings.seed + round, settings.pathological),
  );
  const planned = loads.reduce((total, load) => total + load.length, 0);
  const families: Record<string, FamilyCounts> = {};
  const counts = (family: string) =>
    (families[family] ??= { sent: 0, statuses: {}, fiveXx: 0, stalls: 0, failed: 0, unexpected: 0, maxMs: 0 });

  const rssBefore = rssMiB(supervisor.current().pid);
  let rssPeak = rssBefore;
  const loadStart = os.loadavg();
  const rounds = settings.rounds > 1 ? ` in ${settings.rounds} rounds` : "";
  progress(`${kind}: ${planned} requests${rounds}, ${settings.concurrency} in flight; RSS ${rssBefore.toFixed(0)} MiB`);
  const started = performance.now();
  const deadline = started + settings.deadlineMs * settings.rounds;
  let done = false;

  // The probe: one /healthz every 50 ms (the next one waits for the previous answer).
  const probeLatencies: number[] = [];
  let probeTimeouts = 0;
  let probeFailures = 0;
  let lastHealthy = performance.now();
  const probe = (async () => {
    while (!done) {
      const tick = performance.now();
      if (supervisor.restarting) {
        await supervisor.ready();
        lastHealthy = performance.now();
        continue;
      }
      const outcome = await send(
        probeAgent,
        supervisor.current().url,
        { method: "GET", path: "/healthz" },
        null,
        settings.requestTimeoutMs,
      );
      const took = performance.now() - tick;
      if (outcome.kind === "answered" && outcome.status === 200) {
        probeLatencies.push(took);
        lastHealthy = performance.now();
      } else if (outcome.kind === "stall") {
        probeLatencies.push(took);
        probeTimeouts++;
      } else {
        probeFailures++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, PROBE_INTERVAL_MS - took)));
    }
  })();
  const watchdog = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMiB(supervisor.current().pid) || 0);
    if (!supervisor.restarting && performance.now() - lastHealthy > settings.stallKillMs) {
      progress(`  /healthz silent for ${settings.stallKillMs / 1000} s: killing the server`);
      lastHealthy = performance.now();
      supervisor.killUnresponsive();
    }
  }, 1000);

  let sent = 0;
  const worker = async (load: LoadRequest[], next: { i: number }) => {
    for (;;) {
      const i = next.i++;
      const r = load[i];
      if (r === undefined || performance.now() > deadline) return;
      await supervisor.ready();
      const c = counts(r.family);
      const t0 = performance.now();
      const outcome = await send(
        agent,
        supervisor.current().url,
        r,
        tokens[r.as ?? "admin"],
        settings.requestTimeoutMs,
      );
      c.maxMs = Math.max(c.maxMs, performance.now() - t0);
      c.sent++;
      sent++;
      if (outcome.kind === "answered") {
        c.statuses[outcome.status] = (c.statuses[outcome.status] ?? 0) + 1;
        if (outcome.status >= 500) c.fiveXx++;
        if (r.expectStatus !== undefined && outcome.status !== r.expectStatus) c.unexpected++;
      } else if (outcome.kind === "stall") {
        c.stalls++;
      } else {
        c.failed++;
      }
      if (sent % 1000 === 0) progress(`  ${sent} sent`);
    }
  };
  const rssAfterRounds: number[] = [];
  for (const [index, load] of loads.entries()) {
    const next = { i: 0 };
    await Promise.all(Array.from({ length: settings.concurrency }, () => worker(load, next)));
    if (settings.rounds === 1) break;
    await supervisor.ready();
    rssAfterRounds.push(rssMiB(supervisor.current().pid));
    progress(`  round ${index + 1}: RSS ${rssAfterRounds.at(-1)?.toFixed(0)} MiB`);
  }
  done = true;
  await probe;
  clearInterval(watchdog);
  const seconds = (performance.now() - started) / 1000;
  await supervisor.ready();
  const rssAfter = rssAfterRounds.at(-1) ?? rssMiB(supervisor.current().pid);
  const loadEnd = os.loadavg();

  const all = Object.values(families);
  const sum = (pick: (f: FamilyCounts) => number) => all.reduce((total, f) => total + pick(f), 0);
  const result: DatabaseResult = {
    database: kind,
    planned,
    sent,
    notSent: planned - sent,
    fiveXx: sum((f) => f.fiveXx),
    stalls: sum((f) => f.stalls),
    failed: sum((f) => f.failed),
    crashes: supervisor.crashes,
    unresponsiveKills: supervisor.unresponsiveKills,
    healthz: latencyStats(probeLatencies),
    probeTimeouts,
    probeFailures,
    rssMiB: {
      before: round(rssBefore, 1),
      after: round(rssAfter, 1),
      growth: round(rssAfter - rssBefore, 1),
      peak: round(rssPeak, 1),
      afterRounds: (rssAfterRounds.length ? rssAfterRounds : [rssAfter]).map((r) => round(r, 1)),
    },
    loadAverage: { start: loadStart.map((l) => round(l, 2)), end: loadEnd.map((l) => round(l, 2)) },
    seconds: round(seconds, 1),
    // Graceful, after all of it: exit code 0 once in-flight requests finished and the database closed.
    shutdown: await supervisor.stop(),
    families,
    largestBodyBytes: Math.max(...loads.flat().map(bodyBytes)),
  };
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function problemsOf(r: DatabaseResult): string[] {
  const problems: string[] = [];
  if (r.fiveXx) problems.push(`${r.fiveXx} answers were 5xx`);
  if (r.crashes.length) problems.push(`${r.crashes.length} crashes`);
  if (r.unresponsiveKills) problems.push(`${r.unresponsiveKills} kills of an unresponsive server`);
  if (r.stalls) problems.push(`${r.stalls} requests unanswered within the timeout`);
  if (r.failed) problems.push(`${r.failed} requests lost with their connection`);
  if (r.notSent) problems.push(`${r.notSent} requests not sent before the deadline`);
  if (!(r.healthz.p99 <= TARGETS.p99Ms)) problems.push(`/healthz p99 ${r.healthz.p99} ms > ${TARGETS.p99Ms}`);
  if (!(r.healthz.max <= TARGETS.maxMs)) problems.push(`/healthz max ${r.healthz.max} ms > ${TARGETS.maxMs}`);
  if (!(r.rssMiB.growth <= TARGETS.rssGrowthMiB)) {
    problems.push(`RSS grew ${r.rssMiB.growth} MiB > ${TARGETS.rssGrowthMiB}`);
  }
  if (r.shutdown !== "0") problems.push(`the server's shutdown ended with ${r.shutdown}`);
  return problems;
}

const restarted = (r: DatabaseResult) => r.crashes.length + r.unresponsiveKills > 0;

function printReport(results: DatabaseResult[]): void {
  const column = (pick: (r: DatabaseResult) => string) => results.map(pick);
  const rows: string[][] = [
    ["requests sent", ...column((r) => `${r.sent} of ${r.planned}`), "≥ 10000"],
    ["5xx answers", ...column((r) => String(r.fiveXx)), "0"],
    ["crashes", ...column((r) => String(r.crashes.length)), "0"],
    ["killed unresponsive", ...column((r) => String(r.unresponsiveKills)), "0"],
    ["stalls (no answer in time)", ...column((r) => String(r.stalls)), "0"],
    ["lost with a connection", ...column((r) => String(r.failed)), "0"],
    ["/healthz p50 ms", ...column((r) => ms(r.healthz.p50)), ""],
    ["/healthz p99 ms", ...column((r) => ms(r.healthz.p99)), `≤ ${TARGETS.p99Ms}`],
    ["/healthz max ms", ...column((r) => ms(r.healthz.max)), `≤ ${TARGETS.maxMs}`],
    [
      "/healthz probes (timeouts, refused)",
      ...column((r) => `${r.healthz.samples} (${r.probeTimeouts}, ${r.probeFailures})`),
      "",
    ],
    [
      "RSS before → after (each round) MiB",
      ...column(
        (r) =>
          `${[r.rssMiB.before, ...r.rssMiB.afterRounds].map((m) => m.toFixed(0)).join(" → ")}${restarted(r) ? " *" : ""}`,
      ),
      "",
    ],
    [
      "RSS growth (peak) MiB",
      ...column((r) => `${r.rssMiB.growth.toFixed(0)} (${r.rssMiB.peak.toFixed(0)})`),
      `≤ ${TARGETS.rssGrowthMiB}`,
    ],
    ["load average start → end", ...column((r) => `${r.loadAverage.start[0]} → ${r.loadAverage.end[0]}`), ""],
    ["seconds", ...column((r) => r.seconds.toFixed(0)), ""],
    ["shutdown exit", ...column((r) => r.shutdown), "0"],
  ];
  console.log(formatTable(["", ...results.map((r) => r.database), "target"], rows, 1).join("\n"));
  if (results.some(restarted)) console.log("* the server was restarted during the run: `after` is the last process's");
  for (const r of results) {
    console.log(`\n${r.database}: per family (statuses; unexpected = not the status the case expects)`);
    const familyRows = Object.entries(r.families).map(([name, f]) => [
      name,
      String(f.sent),
      Object.entries(f.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" "),
      String(f.fiveXx),
      String(f.stalls),
      String(f.failed),
      String(f.unexpected),
      ms(f.maxMs),
    ]);
    console.log(
      formatTable(["family", "sent", "statuses", "5xx", "stalls", "lost", "unexpected", "max ms"], familyRows, 1).join(
        "\n",
      ),
    );
    for (const crash of r.crashes)
      console.log(`  crash (${crash.exit}), last lines:\n    ${crash.tail.join("\n    ")}`);
  }
}

await runMain(async (closers) => {
  const settings = readSettings(process.env);
  const results: DatabaseResult[] = [];
  const unclean: string[] = [];
  for (const kind of settings.databases) {
    // Each database's server, agents and database are closed before the next starts, so it runs alone; until then
    // they are one entry of `closers`, so an interrupt still closes them.
    const own: Closer[] = [];
    const entry = { what: `${kind} run`, close: async () => void (await closeAll(own)) };
    closers.push(entry);
    try {
      results.push(await runDatabase(kind, settings, own));
    } finally {
      closers.splice(closers.indexOf(entry), 1);
      if (!(await closeAll(own))) unclean.push(`${kind}: closing the run failed (see above)`);
    }
  }
  printReport(results);
  const problems = [...unclean, ...results.flatMap((r) => problemsOf(r).map((p) => `${r.database}: ${p}`))];
  const file = await writeResults("hostile", {
    settings: { ...settings, adminUrl: undefined, families: HOSTILE_FAMILIES.map((f) => f.name) },
    targets: TARGETS,
    environment: settings.databases.includes("postgres")
      ? await environment(settings.adminUrl)
      : { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg() },
    results,
    problems,
  });
  console.log(`\nresults: ${file}`);
  for (const p of problems) console.error(p);
  return problems.length;
}, "missed targets");
