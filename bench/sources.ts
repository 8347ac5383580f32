// External-sources benchmark: what proxying a record through Recordgate adds to a read straight from the upstream,
// and how fast the field-mapping DSL maps records compared with a hand-written mapper.
//
//   npm run bench:sources        (or: npx tsx bench/sources.ts)
//
// Env: BENCH_DATABASE_URL (admin URL; a fresh database is created next to it and dropped afterwards),
// BENCH_CUSTOMERS (200 customers upstream; the reads rotate over all of them), BENCH_ITERATIONS (5000 sequential
// requests per side, after a warm-up), BENCH_CASE_SECONDS (60: the proxy case stops early once its measured
// iterations took this long), BENCH_DURATION (3 s of mapping per direction and variant), BENCH_WARMUP (1 s of
// mapping per direction before measuring).
// Proxy: a Stripe-like node:http upstream (customers of 20 top-level fields with nested objects, enums and unix
// timestamps, behind a bearer key) runs in this process next to Recordgate; a collection has it as its source
// `stripe`, with a 20-field mapping. The same customers are read through `GET /v1/{ws}/records/{collection}/{id}`
// and straight from `GET /v1/customers/{id}` with the same key, interleaved (A B, B A, …), one request in flight,
// over keep-alive. Before timing, every customer read through Recordgate must come back with its derived id, its
// external id and the data a hand-written mapper makes of the upstream's record. Target: ≤ 1 ms added at p50.
// Mapping: compileMapping's fromExternal (read) and toExternal (write) on the same 20 fields, in-process on one
// core, in alternating 100 ms slices against a hand-written mapper producing identical output (checked first).
// Target: ≥ 100,000 records/s per direction.
// Prints a table on stdout, writes the full results to bench/results/sources-<timestamp>.json, and exits 1 when any
// request failed or an answer differed from what the mapping should make of the upstream's record.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import { externalRecordId } from "../src/sources/external/record-id.ts";
import { compileMapping } from "../src/sources/mapping/index.ts";
import { measureHttpFloor, measureLatency, succeeds } from "./support/latency.ts";
import { type Closer, runMain } from "./support/lifecycle.ts";
import { RestClient, startBenchStack } from "./support/recordgate.ts";
import { environment, writeResults } from "./support/results.ts";
import { adminUrl, integer } from "./support/settings.ts";
import { StatementRecorder } from "./support/statements.ts";
import { type LatencyStats, percentile, progress, round } from "./support/stats.ts";
import { formatTable, ms, times } from "./support/table.ts";

const WORKSPACE = "bench";
const COLLECTION = "customers";
const SOURCE = "stripe";
const SECRET = "sk_test_benchSourcesKey0123456789";
const RECORDS = `/v1/${WORKSPACE}/records/${COLLECTION}`;
const TARGET_ADDED_MS = 1;
const TARGET_RECORDS_PER_S = 100_000;
const SLICE_MS = 100;
/** Recordgate's page size limit; the ids are learnt by paging through the source. */
const PAGE_LIMIT = 1000;

type Side = "recordgate" | "direct";
type Variant = "dsl" | "hand";
type Direction = "read" | "write";
const SIDES: readonly Side[] = ["recordgate", "direct"];

interface Settings {
  adminUrl: string;
  customers: number;
  iterations: number;
  caseSeconds: number;
  durationS: number;
  warmupS: number;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    adminUrl: adminUrl(env),
    customers: integer(env, "BENCH_CUSTOMERS", 200, 1),
    iterations: integer(env, "BENCH_ITERATIONS", 5000, 1),
    caseSeconds: integer(env, "BENCH_CASE_SECONDS", 60, 1),
    durationS: integer(env, "BENCH_DURATION", 3, 1),
    warmupS: integer(env, "BENCH_WARMUP", 1, 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The upstream's customers and the mapping

interface Customer {
  id: string;
  object: "customer";
  name: string;
  email: string;
  phone: string;
  description: string;
  created: number;
  status: "ACTIVE" | "PAST_DUE" | "CANCELED";
  /** A decimal string, as some upstreams send amounts. */
  balance: string;
  currency: string;
  delinquent: boolean;
  livemode: boolean;
  address: { line1: string; city: string; postal_code: string; country: string };
  shipping: { name: string; phone: string };
  invoice_settings: { default_payment_method: string };
  metadata: { tier: string; account_manager?: string };
  tax_exempt: "none" | "exempt" | "reverse";
  preferred_locales: string[];
  discount: null;
  next_invoice_sequence: number;
}

const CITIES = [
  ["Berlin", "10115", "DE"],
  ["Lyon", "69001", "FR"],
  ["Austin", "73301", "US"],
] as const;
const STATUSES = ["ACTIVE", "ACTIVE", "PAST_DUE", "CANCELED"] as const;
const TAX = ["none", "none", "exempt", "reverse"] as const;

function makeCustomers(count: number): Customer[] {
  const start = Date.UTC(2024, 0, 1) / 1000;
  return Array.from({ length: count }, (_, i) => {
    const [city, postal, country] = CITIES[i % CITIES.length] as (typeof CITIES)[number];
    return {
      id: `cus_${String(i + 1).padStart(8, "0")}`,
      object: "customer",
      name: `Customer ${i + 1}`,
      email: `Billing.${i + 1}@Example.COM`,
      phone: `+1 555 ${String(i % 10_000).padStart(4, "0")}`,
      description: i % 2 === 0 ? `  Account ${i + 1}  ` : `Account ${i + 1}`,
      created: start + i * 3607,
      status: STATUSES[i % STATUSES.length] as Customer["status"],
      balance: String(((i * 37) % 5000) - 1000),
      currency: i % 2 === 0 ? "usd" : "eur",
      delinquent: i % 7 === 0,
      livemode: false,
      address: { line1: `${i + 1} Main Street`, city, postal_code: postal, country },
      shipping: { name: `Customer ${i + 1} Warehouse`, phone: "+1 555 9999" },
      invoice_settings: { default_payment_method: `pm_${(i * 7919).toString(36)}` },
      // Every fourth customer has no account manager: the mapping's default fills it in.
      metadata:
        i % 4 === 0
          ? { tier: "tier_gold" }
          : { tier: i % 3 === 0 ? "tier_silver" : "tier_bronze", account_manager: `am${i % 5}` },
      tax_exempt: TAX[i % TAX.length] as Customer["tax_exempt"],
      preferred_locales: i % 2 === 0 ? ["en", "fr"] : ["de"],
      discount: null,
      next_invoice_sequence: (i % 40) + 1,
    };
  });
}

/** 20 fields: renames, nested paths, three enums, every transform, an array and a default. */
const MAPPING = {
  to_external: {
    name: "name",
    email: { path: "email", transform: "lowercase" },
    phone: "phone",
    description: { path: "description", transform: "trim" },
    created_at: { path: "created", transform: "iso_date", external_format: "unix" },
    status: { path: "status", values: { active: "ACTIVE", past_due: "PAST_DUE", canceled: "CANCELED" } },
    balance: { path: "balance", transform: "to_number" },
    currency: { path: "currency", transform: "uppercase" },
    delinquent: { path: "delinquent", transform: "to_boolean" },
    live: "livemode",
    address_line1: "address.line1",
    city: "address.city",
    postal_code: { path: "address.postal_code", transform: "to_string" },
    country: "address.country",
    shipping_name: "shipping.name",
    payment_method: "invoice_settings.default_payment_method",
    tier: { path: "metadata.tier", values: { gold: "tier_gold", silver: "tier_silver", bronze: "tier_bronze" } },
    account_manager: { path: "metadata.account_manager", default: "unassigned" },
    tax_status: { path: "tax_exempt", values: { taxable: "none", exempt: "exempt", reverse_charge: "reverse" } },
    locale: { path: "preferred_locales", array_mode: "first" },
  },
};

/** The Recordgate side of a customer: the 20 mapped fields and the upstream's unmapped keys, passed through. */
type CustomerData = {
  name: string;
  email: string;
  phone: string;
  description: string;
  created_at: string;
  status: string;
  balance: number;
  currency: string;
  delinquent: boolean;
  live: boolean;
  address_line1: string;
  city: string;
  postal_code: string;
  country: string;
  shipping_name: string;
  payment_method: string;
  tier: string;
  account_manager: string;
  tax_status: string;
  locale: string;
  id: string;
  object: string;
  discount: null;
  next_invoice_sequence: number;
};

const STATUS_FROM: Record<string, string> = { ACTIVE: "active", PAST_DUE: "past_due", CANCELED: "canceled" };
const STATUS_TO: Record<string, string> = { active: "ACTIVE", past_due: "PAST_DUE", canceled: "CANCELED" };
const TIER_FROM: Record<string, string> = { tier_gold: "gold", tier_silver: "silver", tier_bronze: "bronze" };
const TIER_TO: Record<string, string> = { gold: "tier_gold", silver: "tier_silver", bronze: "tier_bronze" };
const TAX_FROM: Record<string, string> = { none: "taxable", exempt: "exempt", reverse: "reverse_charge" };
const TAX_TO: Record<string, string> = { taxable: "none", exempt: "exempt", reverse_charge: "reverse" };

/**
 * The baseline: what one would write by hand for this one upstream — plain property access and the conversions its
 * data needs, without the DSL's checks (own keys, nulls, invalid values).
 */
function handFromExternal(c: Customer): CustomerData {
  return {
    name: c.name,
    email: c.email.toLowerCase(),
    phone: c.phone,
    description: c.description.trim(),
    created_at: new Date(c.created * 1000).toISOString(),
    status: STATUS_FROM[c.status] ?? c.status,
    balance: Number(c.balance),
    currency: c.currency.toUpperCase(),
    delinquent: c.delinquent,
    live: c.livemode,
    address_line1: c.address.line1,
    city: c.address.city,
    postal_code: String(c.address.postal_code),
    country: c.address.country,
    shipping_name: c.shipping.name,
    payment_method: c.invoice_settings.default_payment_method,
    tier: TIER_FROM[c.metadata.tier] ?? c.metadata.tier,
    account_manager: c.metadata.account_manager ?? "unassigned",
    tax_status: TAX_FROM[c.tax_exempt] ?? c.tax_exempt,
    locale: c.preferred_locales[0] as string,
    id: c.id,
    object: c.object,
    discount: c.discount,
    next_invoice_sequence: c.next_invoice_sequence,
  };
}

function handToExternal(r: CustomerData): Record<string, unknown> {
  return {
    name: r.name,
    email: r.email.toLowerCase(),
    phone: r.phone,
    description: r.description.trim(),
    created: Math.floor(Date.parse(r.created_at) / 1000),
    status: STATUS_TO[r.status],
    balance: r.balance,
    currency: r.currency.toUpperCase(),
    delinquent: r.delinquent,
    livemode: r.live,
    address: { line1: r.address_line1, city: r.city, postal_code: r.postal_code, country: r.country },
    shipping: { name: r.shipping_name },
    invoice_settings: { default_payment_method: r.payment_method },
    metadata: { tier: TIER_TO[r.tier], account_manager: r.account_manager },
    tax_exempt: TAX_TO[r.tax_status],
    preferred_locales: [r.locale],
    id: r.id,
    object: r.object,
    discount: r.discount,
    next_invoice_sequence: r.next_invoice_sequence,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping throughput

interface MappingRun {
  direction: Direction;
  variant: Variant;
  records: number;
  seconds: number;
  recordsPerSecond: number;
}

/** Written on every call, so no mapping's result is dead code the JIT could drop. */
let sink: unknown;

/** Maps `inputs` over and over for at least `sliceMs`; the clock is read once per pass over them. */
function slice<T>(map: (input: T) => unknown, inputs: readonly T[], sliceMs: number) {
  const started = performance.now();
  let now = started;
  let records = 0;
  do {
    for (const input of inputs) sink = map(input);
    records += inputs.length;
    now = performance.now();
  } while (now - started < sliceMs);
  return { records, ms: now - started };
}

/** The variants take turns in short slices, so a drift in machine conditions (or a GC) falls on both alike. */
function mappingThroughput<T>(
  direction: Direction,
  maps: Record<Variant, (input: T) => unknown>,
  inputs: readonly T[],
  settings: Settings,
): MappingRun[] {
  const variants: Variant[] = ["dsl", "hand"];
  for (let spent = 0; spent < settings.warmupS * 1000; ) {
    for (const v of variants) spent += slice(maps[v], inputs, SLICE_MS).ms;
  }
  const total = { dsl: { records: 0, ms: 0 }, hand: { records: 0, ms: 0 } };
  for (let i = 0; total.dsl.ms < settings.durationS * 1000 || total.hand.ms < settings.durationS * 1000; i++) {
    for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
      const done = slice(maps[v], inputs, SLICE_MS);
      total[v].records += done.records;
      total[v].ms += done.ms;
    }
  }
  if (typeof sink !== "object") throw new Error(`the ${direction} mapping returned ${typeof sink}`);
  return variants.map((variant) => ({
    direction,
    variant,
    records: total[variant].records,
    seconds: round(total[variant].ms / 1000),
    recordsPerSecond: Math.round(total[variant].records / (total[variant].ms / 1000)),
  }));
}

/** Both directions, after checking that the DSL and the hand-written mapper agree on every customer. */
function benchMapping(customers: Customer[], settings: Settings): { runs: MappingRun[]; mismatches: string[] } {
  const mapping = compileMapping(MAPPING);
  const records = customers.map(handFromExternal);
  const mismatches: string[] = [];
  customers.forEach((c, i) => {
    if (!isDeepStrictEqual(mapping.fromExternal(c), records[i])) mismatches.push(`mapping read of ${c.id}`);
    const written = mapping.toExternal(records[i] as CustomerData);
    if (!isDeepStrictEqual(written, handToExternal(records[i] as CustomerData))) {
      mismatches.push(`mapping write of ${c.id}`);
    }
  });
  progress(`mapping: ${settings.durationS} s per direction and variant…`);
  const runs = [
    ...mappingThroughput("read", { dsl: mapping.fromExternal, hand: handFromExternal }, customers, settings),
    ...mappingThroughput("write", { dsl: mapping.toExternal, hand: handToExternal }, records, settings),
  ];
  return { runs, mismatches };
}

// ---------------------------------------------------------------------------------------------------------------
// The upstream

/**
 * A Stripe-like customers API on 127.0.0.1: `GET /v1/customers/:id` and pages of `GET /v1/customers?limit&offset`,
 * behind `Authorization: Bearer <key>`. Bodies are serialised once, so the upstream's own cost is small and the
 * same for both sides.
 */
async function startUpstream(customers: Customer[]): Promise<{ url: string; close: () => Promise<void> }> {
  const bodies = new Map(customers.map((c) => [c.id, JSON.stringify(c)]));
  const server = http.createServer((req, res) => {
    req.resume();
    const send = (status: number, body: string) =>
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    const error = (status: number, message: string) => send(status, JSON.stringify({ error: { message } }));
    if (req.headers.authorization !== `Bearer ${SECRET}`) return error(401, "Invalid API Key provided");
    const url = new URL(req.url ?? "/", "http://upstream");
    const one = /^\/v1\/customers\/([^/]+)$/.exec(url.pathname);
    if (req.method !== "GET") return error(405, "method not allowed");
    if (one) {
      const body = bodies.get(decodeURIComponent(one[1] as string));
      return body ? send(200, body) : error(404, `No such customer: '${one[1]}'`);
    }
    if (url.pathname !== "/v1/customers") return error(404, "Unrecognized request URL");
    const limit = Number(url.searchParams.get("limit") ?? 10);
    const offset = Number(url.searchParams.get("offset") ?? 0);
    const data = customers.slice(offset, offset + limit);
    send(200, JSON.stringify({ object: "list", data, total_count: customers.length }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (Recordgate's pool, the direct client) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Proxy overhead

async function createCustomers(rest: RestClient, upstreamUrl: string): Promise<void> {
  await rest.json("POST", "/v1/workspaces", { id: WORKSPACE, name: "Benchmark" });
  await rest.json("PUT", `/v1/${WORKSPACE}/collections/${COLLECTION}`, {
    name: "Customers",
    json_schema: { type: "object" },
    sources: [
      {
        name: SOURCE,
        auth: { header: "Authorization", value_template: "Bearer {{secret}}", secret: SECRET },
        field_mapping: MAPPING,
        get: { url: `${upstreamUrl}/v1/customers/{{external_id}}` },
        list: {
          url: `${upstreamUrl}/v1/customers?limit={{query.limit}}&offset={{query.offset}}`,
          response_path: "data",
          total_path: "total_count",
        },
      },
    ],
  });
}

interface Proxied {
  id: string;
  external_id: string;
  external_source: string;
  data: unknown;
}

/**
 * Pages through the source (which is how Recordgate comes to know the ids), then reads every customer by id: each
 * must answer 200 with the id derived from its external id and the data the mapping makes of the upstream's record.
 */
async function checkProxiedRecords(rest: RestClient, customers: Customer[]): Promise<string[]> {
  const mismatches: string[] = [];
  const listed: string[] = [];
  let total: unknown;
  while (listed.length < customers.length) {
    const limit = Math.min(PAGE_LIMIT, customers.length);
    const page = (await rest.json(
      "GET",
      `${RECORDS}?external_source=${SOURCE}&limit=${limit}&offset=${listed.length}`,
    )) as {
      data: Proxied[];
      meta: { total: unknown };
    };
    total = page.meta.total;
    if (page.data.length === 0) break;
    listed.push(...page.data.map((r) => r.id));
  }
  const expectedIds = customers.map((c) => externalRecordId(WORKSPACE, COLLECTION, SOURCE, c.id));
  if (total !== customers.length) mismatches.push(`list: meta.total ${total}, expected ${customers.length}`);
  if (!isDeepStrictEqual(listed, expectedIds)) mismatches.push("list: the ids differ from the derived ones");
  for (const [i, c] of customers.entries()) {
    const { status, text } = await rest.send("GET", `${RECORDS}/${expectedIds[i]}`);
    const record = status === 200 ? (JSON.parse(text) as Proxied) : undefined;
    const expected = { id: expectedIds[i], external_id: c.id, external_source: SOURCE, data: handFromExternal(c) };
    const got = record && {
      id: record.id,
      external_id: record.external_id,
      external_source: record.external_source,
      data: record.data,
    };
    if (!isDeepStrictEqual(got, expected)) mismatches.push(`GET ${c.id}: ${status} ${text.slice(0, 200)}`);
  }
  return mismatches;
}

type ProxyStats = LatencyStats & { p90: number };

interface ProxyResult {
  latency: Record<Side, ProxyStats>;
  /** p50 through Recordgate − p50 straight from the upstream. */
  addedP50Ms: number;
  /** The median of the per-iteration differences (each iteration reads the same customer on both sides). */
  addedPairedMedianMs: number;
  meetsTarget: boolean;
  statementsPerRequest: Record<Side, number>;
  failures: number;
  samples: Record<Side, number[]>;
}

async function benchProxy(
  rest: RestClient,
  direct: RestClient,
  customers: Customer[],
  recorder: StatementRecorder<Side>,
  settings: Settings,
): Promise<ProxyResult> {
  const ids = customers.map((c) => externalRecordId(WORKSPACE, COLLECTION, SOURCE, c.id));
  const next: Record<Side, number> = { recordgate: 0, direct: 0 };
  // Each side walks the customers in the same order, so every iteration reads the same one on both.
  const read = (side: Side, client: RestClient, path: (i: number) => string, idKey: "id" | "external_id") =>
    succeeds(
      async () => {
        const i = next[side]++ % customers.length;
        const { status, text } = await client.send("GET", path(i));
        return status === 200 && (JSON.parse(text) as Proxied)[idKey] === customers[i]?.id;
      },
      (ok) => ok === true,
    );
  const call = {
    recordgate: read("recordgate", rest, (i) => `${RECORDS}/${ids[i]}`, "external_id"),
    direct: read("direct", direct, (i) => `/v1/customers/${customers[i]?.id}`, "id"),
  };
  progress(`proxy: up to ${settings.iterations} interleaved reads per side…`);
  const run = await measureLatency(call, recorder, settings);
  const withP90 = (side: Side): ProxyStats => ({
    ...run.latency[side],
    p90: round(
      percentile(
        [...run.samples[side]].sort((a, b) => a - b),
        90,
      ),
    ),
  });
  const differences = run.samples.recordgate.map((v, i) => v - (run.samples.direct[i] ?? Number.NaN));
  const addedP50Ms = round(run.latency.recordgate.p50 - run.latency.direct.p50);
  return {
    latency: { recordgate: withP90("recordgate"), direct: withP90("direct") },
    addedP50Ms,
    addedPairedMedianMs: round(
      percentile(
        differences.sort((a, b) => a - b),
        50,
      ),
    ),
    meetsTarget: addedP50Ms <= TARGET_ADDED_MS,
    statementsPerRequest: {
      recordgate: round(run.statementsPerRequest.recordgate),
      direct: round(run.statementsPerRequest.direct),
    },
    failures: run.failures,
    samples: run.samples,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting

const rate = (value: number) => Math.round(value).toLocaleString("en-US");
const met = (ok: boolean) => (ok ? "met" : "MISSED");

function printReport(proxy: ProxyResult, mapping: MappingRun[], httpFloor: LatencyStats, settings: Settings) {
  const side = (name: string, s: ProxyStats, vs: string, target: string) => [
    "proxy",
    name,
    String(s.samples),
    ms(s.p50),
    ms(s.p90),
    ms(s.p99),
    "-",
    vs,
    target,
  ];
  const rows = [
    side(
      "GET via Recordgate",
      proxy.latency.recordgate,
      `${proxy.addedP50Ms >= 0 ? "+" : ""}${ms(proxy.addedP50Ms)} ms`,
      `<=${TARGET_ADDED_MS} ms added ${met(proxy.meetsTarget)}`,
    ),
    side("GET upstream directly", proxy.latency.direct, "-", "-"),
  ];
  for (const direction of ["read", "write"] as const) {
    const dsl = mapping.find((r) => r.direction === direction && r.variant === "dsl") as MappingRun;
    const hand = mapping.find((r) => r.direction === direction && r.variant === "hand") as MappingRun;
    const what = direction === "read" ? "fromExternal" : "toExternal";
    const target = `>=${rate(TARGET_RECORDS_PER_S)}/s ${met(dsl.recordsPerSecond >= TARGET_RECORDS_PER_S)}`;
    rows.push(
      [
        "mapping",
        `${direction}: DSL ${what}`,
        String(dsl.records),
        "-",
        "-",
        "-",
        rate(dsl.recordsPerSecond),
        times(dsl.recordsPerSecond / hand.recordsPerSecond),
        target,
      ],
      [
        "mapping",
        `${direction}: hand-written`,
        String(hand.records),
        "-",
        "-",
        "-",
        rate(hand.recordsPerSecond),
        "-",
        "-",
      ],
    );
  }
  console.log(
    `\nExternal sources: a proxied GET through Recordgate vs the same GET to the upstream (${settings.customers} ` +
      "customers, sequential, keep-alive, interleaved); the 20-field mapping vs a hand-written one, one core",
  );
  const header = ["part", "case", "n", "p50 ms", "p90 ms", "p99 ms", "records/s", "vs baseline", "target"];
  for (const line of formatTable(header, rows)) console.log(line);
  console.log(
    "proxy: vs baseline = p50 through Recordgate − p50 direct (median of per-iteration differences: " +
      `${ms(proxy.addedPairedMedianMs)} ms); SQL statements per request: ${proxy.statementsPerRequest.recordgate} ` +
      `through Recordgate; Recordgate's HTTP floor (GET /healthz) p50 ${ms(httpFloor.p50)} ms. ` +
      "mapping: n = records mapped while timing; vs baseline = DSL records/s ÷ hand-written records/s",
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function run(settings: Settings, closers: Closer[]): Promise<number> {
  const started = performance.now();
  const customers = makeCustomers(settings.customers);
  // First, while nothing else runs in the process.
  const mapping = benchMapping(customers, settings);

  const upstream = await startUpstream(customers);
  closers.push({ what: "upstream", close: upstream.close });
  const { db, rest } = await startBenchStack(settings.adminUrl, closers, { outboundAllow: "127.0.0.1" });
  const direct = new RestClient(upstream.url, SECRET);
  closers.push({ what: "direct HTTP client", close: () => direct.close() });
  await createCustomers(rest, upstream.url);
  const mismatches = [...mapping.mismatches, ...(await checkProxiedRecords(rest, customers))];
  for (const m of mismatches.slice(0, 10)) progress(`  MISMATCH ${m}`);

  const recorder = new StatementRecorder(SIDES);
  closers.push(recorder.install());
  const proxy = await benchProxy(rest, direct, customers, recorder, settings);
  const httpFloor = await measureHttpFloor(rest, Math.min(settings.iterations, 1000));

  printReport(proxy, mapping.runs, httpFloor, settings);
  const { adminUrl: _adminUrl, ...shown } = settings;
  const file = await writeResults("sources", {
    date: new Date().toISOString(),
    settings: shown,
    environment: await environment(db.url),
    runSeconds: round((performance.now() - started) / 1000, 1),
    targets: { addedP50Ms: TARGET_ADDED_MS, recordsPerSecond: TARGET_RECORDS_PER_S },
    fieldMapping: MAPPING,
    proxy,
    httpFloor,
    mapping: mapping.runs,
    failures: proxy.failures,
    mismatches,
  });
  console.log(
    `failures: ${proxy.failures}, mismatches: ${mismatches.length}\n` +
      `results: ${file} (run took ${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  return proxy.failures + mismatches.length;
}

await runMain((closers) => run(readSettings(process.env), closers));
