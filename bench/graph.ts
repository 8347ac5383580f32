// Relationship benchmark: Recordgate's batched traversals — a three-level GraphQL query and the REST traversal of
// one record — against the one hand-written SQL statement an expert would send through a pg.Pool for the same rows,
// on a graph of records linked to each other.
//
//   npm run bench:graph        (or: npx tsx bench/graph.ts)
//
// Env: BENCH_DATABASE_URL (admin URL; a fresh database is created next to it and dropped afterwards),
// BENCH_RECORDS (10000 records in one collection), BENCH_LINKS_PER_RECORD (10 outgoing `links` relationships per
// record, to distinct other records; fewer than BENCH_RECORDS), BENCH_ITERATIONS (200 sequential requests per side
// and case, after a warm-up of 50), BENCH_CASE_SECONDS (90: a case stops early once its measured iterations took
// this long; the warm-up stops at a tenth of it).
// Cases: graphql-3-levels = the newest 50 records, 10 outgoing links of each with the linked record, and 10 outgoing
// links of each of those with theirs (50 + 500 + 5,000 records); rest-traversal = GET one record's 10 links with
// include=record and meta.total. The baseline is one statement per case (LATERAL joins, printed with the results);
// both sides' answers are compared before timing. Targets: Recordgate p50 within 3× of SQL for both cases, and
// 3 statements per GraphQL request (one per level: the records page, then one batched traversal per level; plus the
// collection definition whenever it is not cached) and 1 per REST traversal. As a diagnostic, Recordgate's own
// statements for one request are also replayed through the pool, to split its latency into SQL and the rest.
// Prints a table on stdout, writes the full results to bench/results/graph-<timestamp>.json, and exits 1 when any
// request failed, the loaded graph was not as intended or Recordgate's answer differed from the baseline's.
import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import type pg from "pg";
import { baselineClients, SEEDED, withClient } from "./support/database.ts";
import { measureHttpFloor, measureLatency, succeeds } from "./support/latency.ts";
import { type Closer, runMain } from "./support/lifecycle.ts";
import { explain, type PlanSummary } from "./support/plans.ts";
import { type RestClient, startBenchStack } from "./support/recordgate.ts";
import { environment, writeResults } from "./support/results.ts";
import { adminUrl, integer } from "./support/settings.ts";
import { type Statement, StatementRecorder } from "./support/statements.ts";
import { type LatencyStats, latencyStats, progress, round } from "./support/stats.ts";
import { formatTable, ms, times } from "./support/table.ts";

const WORKSPACE = "bench";
const COLLECTION = "nodes";
const REL_TYPE = "links";
/** Roots of the GraphQL query, and links per record and level (GraphQL `first`, REST `limit`). */
const ROOTS = 50;
const PAGE = 10;
/** The GraphQL query's levels: the records page, their links, the links of the linked records. */
const GRAPHQL_DEPTH = 3;
/** Rows per INSERT … SELECT: big enough that per-statement overhead vanishes, small enough to report progress. */
const LOAD_BATCH = 100_000;
const TARGET = 3;

type Side = "recordgate" | "baseline";
type CaseName = "graphql-3-levels" | "rest-traversal";
const SIDES: readonly Side[] = ["recordgate", "baseline"];

interface Settings {
  adminUrl: string;
  records: number;
  linksPerRecord: number;
  iterations: number;
  caseSeconds: number;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const settings = {
    adminUrl: adminUrl(env),
    records: integer(env, "BENCH_RECORDS", 10_000, 2),
    linksPerRecord: integer(env, "BENCH_LINKS_PER_RECORD", 10, 1),
    iterations: integer(env, "BENCH_ITERATIONS", 200, 1),
    caseSeconds: integer(env, "BENCH_CASE_SECONDS", 90, 1),
  };
  // Each record links to distinct records other than itself.
  if (settings.linksPerRecord >= settings.records) {
    throw new Error(`BENCH_LINKS_PER_RECORD must be below BENCH_RECORDS (${settings.records})`);
  }
  return settings;
}

// ---------------------------------------------------------------------------------------------------------------
// The graph

interface LoadStats {
  records: number;
  recordSeconds: number;
  recordsPerSecond: number;
  relationships: number;
  relationshipSeconds: number;
  relationshipsPerSecond: number;
  method: string;
  /** How each record's targets are chosen. */
  targets: string;
  vacuumAnalyzeSeconds: number;
  recordsBytes: number;
  relationshipsBytes: number;
}

/** UUIDv7 from the row's creation time (as Recordgate makes them), so the primary key grows at its right edge. */
const uuidV7 = (at: string) => `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
  placing substring(int8send((extract(epoch FROM ${at}) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

// Record n is created n ms after the start, so the collection's default order (created_at DESC, id DESC) is n
// descending and every run sees the same roots.
const RECORDS_SQL = `
  INSERT INTO records (id, workspace_id, collection_id, data, created_at, updated_at)
  SELECT ${uuidV7("t.at")}, $1, $2, jsonb_build_object('n', t.g, 'name', 'Node ' || t.g), t.at, t.at
  FROM (
    SELECT g, $5::timestamptz + g * interval '1 millisecond' AS at FROM generate_series($3::int, $4::int) AS g
  ) t
  WHERE ${SEEDED}`;

// Link k of record g points at record 1 + (g − 1 + offset) mod N, offset = 1 + (7919·g + step·k) mod (N − 1) with
// step coprime to N − 1: offsets 1 … N − 1 never point back at g, and k·step mod (N − 1) differs for every k < N − 1,
// so a record's targets are distinct (the unique index on source, type and target would refuse a repeat). Links are
// created after every record, link k of record g at (g − 1)·L + k ms, so each record's links are ordered by k.
const LINKS_SQL = `
  INSERT INTO relationships
    (id, workspace_id, rel_type, source_collection, source_id, target_collection, target_id, data, created_at, updated_at)
  SELECT ${uuidV7("t.at")}, $1, $3, $2, s.id, $2, d.id, jsonb_build_object('k', t.k), t.at, t.at
  FROM (
    SELECT g, k,
           (1 + (g - 1 + 1 + (g::bigint * 7919 + k::bigint * $7::bigint) % ($6::bigint - 1)) % $6::bigint)::int AS target,
           $8::timestamptz + ((g - 1)::bigint * $9::int + k) * interval '1 millisecond' AS at
    FROM generate_series($4::int, $5::int) AS g CROSS JOIN generate_series(0, $9::int - 1) AS k
  ) t
  JOIN bench_nodes s ON s.n = t.g
  JOIN bench_nodes d ON d.n = t.target
  WHERE ${SEEDED}`;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function coprimeStep(modulus: number): number {
  let step = 104_729 % modulus || 1;
  while (gcd(step, modulus) !== 1) step++;
  return step;
}

/**
 * Loads straight into the tables in one transaction each (the API would measure per-record PUTs and per-link
 * upserts, not traversals). Records first, then a temporary map from n to id, then the links in batches of sources.
 */
async function loadGraph(
  url: string,
  settings: Settings,
): Promise<Omit<LoadStats, "vacuumAnalyzeSeconds" | "recordsBytes" | "relationshipsBytes">> {
  const { records: count, linksPerRecord: perRecord } = settings;
  const start = new Date(Date.now() - 24 * 3600 * 1000);
  start.setUTCMilliseconds(0);
  const linksStart = new Date(start.getTime() + count + 1000).toISOString();
  const step = coprimeStep(count - 1);
  return withClient(url, async (client) => {
    let started = performance.now();
    await client.query("BEGIN");
    for (let from = 1; from <= count; from += LOAD_BATCH) {
      const to = Math.min(count, from + LOAD_BATCH - 1);
      await client.query(RECORDS_SQL, [WORKSPACE, COLLECTION, from, to, start.toISOString()]);
      progress(`  records ${to} / ${count}`);
    }
    await client.query("COMMIT");
    const recordSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    await client.query("BEGIN");
    await client.query(
      `CREATE TEMPORARY TABLE bench_nodes ON COMMIT DROP AS
       SELECT (data->>'n')::int AS n, id FROM records WHERE workspace_id = $1 AND collection_id = $2`,
      [WORKSPACE, COLLECTION],
    );
    await client.query("ALTER TABLE bench_nodes ADD PRIMARY KEY (n)");
    await client.query("ANALYZE bench_nodes");
    const sourcesPerBatch = Math.max(1, Math.floor(LOAD_BATCH / perRecord));
    for (let from = 1; from <= count; from += sourcesPerBatch) {
      const to = Math.min(count, from + sourcesPerBatch - 1);
      await client.query(LINKS_SQL, [WORKSPACE, COLLECTION, REL_TYPE, from, to, count, step, linksStart, perRecord]);
      progress(`  relationships ${to * perRecord} / ${count * perRecord}`);
    }
    await client.query("COMMIT");
    const relationshipSeconds = (performance.now() - started) / 1000;
    const relationships = count * perRecord;
    return {
      records: count,
      recordSeconds,
      recordsPerSecond: count / recordSeconds,
      relationships,
      relationshipSeconds,
      relationshipsPerSecond: relationships / relationshipSeconds,
      method:
        `records: INSERT … SELECT FROM generate_series, ${LOAD_BATCH} rows per statement; relationships: ` +
        `INSERT … SELECT joining a temporary n → id map, ${sourcesPerBatch * perRecord} rows per statement; ` +
        "one transaction each",
      targets: `1 + (g − 1 + 1 + (7919·g + ${step}·k) mod ${count - 1}) mod ${count}, k = 0 … ${perRecord - 1}`,
    };
  });
}

interface GraphCheck {
  records: number;
  relationships: number;
  distinctPairs: number;
  selfLinks: number;
  sources: number;
  unevenSources: number;
  danglingEnds: number;
}

/** The load bypasses Recordgate: check the graph is exactly the one intended before measuring anything on it. */
async function verifyGraph(url: string, settings: Settings): Promise<GraphCheck> {
  const check = await withClient(url, async (client) => {
    const { rows } = await client.query<GraphCheck>(
      `SELECT (SELECT count(*)::int FROM records WHERE workspace_id = $1 AND collection_id = $2) AS records,
              count(*)::int AS relationships,
              count(DISTINCT (l.source_id, l.target_id))::int AS "distinctPairs",
              count(*) FILTER (WHERE l.source_id = l.target_id)::int AS "selfLinks",
              count(DISTINCT l.source_id)::int AS sources,
              (SELECT count(*)::int FROM (SELECT 1 FROM relationships GROUP BY source_id HAVING count(*) <> $3) u)
                AS "unevenSources",
              (SELECT count(*)::int FROM relationships x
                 LEFT JOIN records s ON s.id = x.source_id LEFT JOIN records t ON t.id = x.target_id
                 WHERE s.id IS NULL OR t.id IS NULL) AS "danglingEnds"
       FROM relationships l`,
      [WORKSPACE, COLLECTION, settings.linksPerRecord],
    );
    return rows[0] as GraphCheck;
  });
  const links = settings.records * settings.linksPerRecord;
  const expected: GraphCheck = {
    records: settings.records,
    relationships: links,
    distinctPairs: links,
    selfLinks: 0,
    sources: settings.records,
    unevenSources: 0,
    danglingEnds: 0,
  };
  if (!isDeepStrictEqual(check, expected)) {
    throw new Error(`the loaded graph is not as intended: ${JSON.stringify({ found: check, expected })}`);
  }
  return check;
}

/** Statistics and visibility maps of settled tables, and no autovacuum waking up mid-measurement. */
async function vacuumAnalyze(url: string) {
  return withClient(url, async (client) => {
    const started = performance.now();
    await client.query("VACUUM ANALYZE records, relationships");
    const vacuumAnalyzeSeconds = (performance.now() - started) / 1000;
    const { rows } = await client.query<{ records: string; relationships: string }>(
      `SELECT pg_total_relation_size('records')::text AS records,
              pg_total_relation_size('relationships')::text AS relationships`,
    );
    return {
      vacuumAnalyzeSeconds,
      recordsBytes: Number(rows[0]?.records ?? 0),
      relationshipsBytes: Number(rows[0]?.relationships ?? 0),
    };
  });
}

/** Through the API, so the workspace and collection are exactly what a client would have created. */
async function createNodes(rest: RestClient): Promise<void> {
  await rest.json("POST", "/v1/workspaces", { id: WORKSPACE, name: "Benchmark" });
  await rest.json("PUT", `/v1/${WORKSPACE}/collections/${COLLECTION}`, { json_schema: { type: "object" } });
}

async function recordIdOf(url: string, n: number): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      "SELECT id FROM records WHERE workspace_id = $1 AND collection_id = $2 AND (data->>'n')::int = $3",
      [WORKSPACE, COLLECTION, n],
    );
    if (!rows[0]) throw new Error(`no record ${n}`);
    return rows[0].id;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The cases, each as a Recordgate request and as the baseline's hand-written SQL

const THREE_LEVELS = `query ThreeLevels($workspace: ID!, $collection: ID!, $type: String!) {
  records(workspace: $workspace, collection: $collection, limit: ${ROOTS}, total: none) {
    nodes { id data
      relationships(type: $type, direction: outgoing, first: ${PAGE}) {
        edges { relationship { id data } node { id data
            relationships(type: $type, direction: outgoing, first: ${PAGE}) { edges { relationship { id data } node { id data } } } } } } } }
}`;

/** The live record at the other end of an outgoing link `l`, as Recordgate joins it: deleted records never show. */
const OTHER_END = "JOIN records o ON o.id = l.target_id AND o.workspace_id = l.workspace_id AND o.deleted_at IS NULL";
const OUTGOING = (from: string) => `l.workspace_id = $1 AND l.source_id = ${from} AND l.rel_type = $3`;

// Only the columns the response carries. LEFT JOIN LATERAL keeps a record without links (GraphQL answers it with no
// edges); the outer ORDER BY makes the row order a promise rather than a property of the plan.
const THREE_LEVELS_SQL = `
  WITH roots AS (
    SELECT id, data, created_at FROM records
    WHERE workspace_id = $1 AND collection_id = $2 AND deleted_at IS NULL
    ORDER BY created_at DESC, id DESC
    LIMIT ${ROOTS}
  )
  SELECT r.id AS root_id, r.data AS root_data,
         l1.id AS l1_id, l1.data AS l1_data, l1.node_id AS n1_id, l1.node_data AS n1_data,
         l2.id AS l2_id, l2.data AS l2_data, l2.node_id AS n2_id, l2.node_data AS n2_data
  FROM roots r
  LEFT JOIN LATERAL (
    SELECT l.id, l.data, l.created_at, o.id AS node_id, o.data AS node_data
    FROM relationships l ${OTHER_END}
    WHERE ${OUTGOING("r.id")}
    ORDER BY l.created_at, l.id
    LIMIT ${PAGE}
  ) l1 ON true
  LEFT JOIN LATERAL (
    SELECT l.id, l.data, l.created_at, o.id AS node_id, o.data AS node_data
    FROM relationships l ${OTHER_END}
    WHERE ${OUTGOING("l1.node_id")}
    ORDER BY l.created_at, l.id
    LIMIT ${PAGE}
  ) l2 ON true
  ORDER BY r.created_at DESC, r.id DESC, l1.created_at, l1.id, l2.created_at, l2.id`;

// The record itself is checked (live, of this collection) in the same statement, as Recordgate does; total counts
// every link to a live record, ignoring the page.
const TRAVERSAL_SQL = `
  SELECT (SELECT count(*)::int FROM relationships l ${OTHER_END} WHERE ${OUTGOING("k.id")}) AS total, x.*
  FROM records k
  LEFT JOIN LATERAL (
    SELECT l.id, l.rel_type, l.source_collection, l.source_id, l.target_collection, l.target_id, l.data,
           l.created_at, l.updated_at, o.id AS r_id, o.collection_id AS r_collection, o.data AS r_data,
           o.external_id AS r_external_id, o.external_source AS r_external_source, o.version AS r_version,
           o.archived AS r_archived, o.cancelled AS r_cancelled, o.created_at AS r_created_at,
           o.updated_at AS r_updated_at
    FROM relationships l ${OTHER_END}
    WHERE ${OUTGOING("k.id")}
    ORDER BY l.created_at, l.id
    LIMIT ${PAGE}
  ) x ON true
  WHERE k.id = $4 AND k.workspace_id = $1 AND k.collection_id = $2 AND k.deleted_at IS NULL
  ORDER BY x.created_at, x.id`;

interface GraphNode {
  id: string;
  data: unknown;
  relationships?: { edges: GraphEdge[] };
}

interface GraphEdge {
  relationship: { id: string; data: unknown };
  node: GraphNode;
}

interface ThreeLevelsRow {
  root_id: string;
  root_data: unknown;
  l1_id: string | null;
  l1_data: unknown;
  n1_id: string | null;
  n1_data: unknown;
  l2_id: string | null;
  l2_data: unknown;
  n2_id: string | null;
  n2_data: unknown;
}

/** The rows nested as GraphQL nests them; the rows come ordered, so each level appends to the last of the one above. */
function nestThreeLevels(rows: ThreeLevelsRow[]): GraphNode[] {
  const roots: GraphNode[] = [];
  let root: GraphNode | undefined;
  let level1: GraphEdge | undefined;
  for (const row of rows) {
    if (root?.id !== row.root_id) {
      root = { id: row.root_id, data: row.root_data, relationships: { edges: [] } };
      roots.push(root);
      level1 = undefined;
    }
    if (row.l1_id === null || row.n1_id === null) continue;
    if (level1?.relationship.id !== row.l1_id) {
      level1 = {
        relationship: { id: row.l1_id, data: row.l1_data },
        node: { id: row.n1_id, data: row.n1_data, relationships: { edges: [] } },
      };
      root.relationships?.edges.push(level1);
    }
    if (row.l2_id === null || row.n2_id === null) continue;
    level1.node.relationships?.edges.push({
      relationship: { id: row.l2_id, data: row.l2_data },
      node: { id: row.n2_id, data: row.n2_data },
    });
  }
  return roots;
}

function threeLevelsFromGraphql(json: unknown): GraphNode[] {
  const body = json as { data?: { records?: { nodes: GraphNode[] } }; errors?: unknown[] };
  if (body.errors?.length || !body.data?.records) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data.records.nodes;
}

/** Every (root, level-1 link, level-1 node, level-2 link, level-2 node) path, for telling how two answers differ. */
function paths(roots: GraphNode[]): string[] {
  const out: string[] = [];
  for (const root of roots) {
    for (const e1 of root.relationships?.edges ?? []) {
      const level2 = e1.node.relationships?.edges ?? [];
      if (level2.length === 0) out.push([root.id, e1.relationship.id, e1.node.id, "-", "-"].join(" "));
      for (const e2 of level2) {
        out.push([root.id, e1.relationship.id, e1.node.id, e2.relationship.id, e2.node.id].join(" "));
      }
    }
  }
  return out;
}

interface TraversalRow {
  total: number;
  id: string | null;
  rel_type: string;
  source_collection: string;
  source_id: string;
  target_collection: string;
  target_id: string;
  data: unknown;
  created_at: Date;
  updated_at: Date;
  r_id: string;
  r_collection: string;
  r_data: unknown;
  r_external_id: string | null;
  r_external_source: string | null;
  r_version: number;
  r_archived: boolean;
  r_cancelled: boolean;
  r_created_at: Date;
  r_updated_at: Date;
}

/** The same fields, names and order as traversalJson in src/rest/serialize.ts. */
function traversalAnswer(rows: TraversalRow[]) {
  if (rows.length === 0) throw new Error("the traversed record is not there");
  const links = rows.filter((row) => row.id !== null);
  const total = rows[0]?.total ?? 0;
  const last = links.at(-1);
  return {
    data: links.map((r) => ({
      id: r.id,
      rel_type: r.rel_type,
      source_collection: r.source_collection,
      source_id: r.source_id,
      target_collection: r.target_collection,
      target_id: r.target_id,
      data: r.data,
      created_at: r.created_at.toISOString(),
      updated_at: r.updated_at.toISOString(),
      direction: "outgoing",
      record: {
        id: r.r_id,
        collection: r.r_collection,
        data: r.r_data,
        external_id: r.r_external_id,
        external_source: r.r_external_source,
        version: r.r_version,
        created_at: r.r_created_at.toISOString(),
        updated_at: r.r_updated_at.toISOString(),
        ...(r.r_archived ? { _archived: true } : {}),
        ...(r.r_cancelled ? { cancelled: true } : {}),
      },
    })),
    meta: {
      total,
      limit: PAGE,
      offset: 0,
      // Recordgate's cursor: the last link's position, when more links follow.
      next_cursor:
        total > PAGE && last
          ? Buffer.from(JSON.stringify({ createdAt: last.created_at.toISOString(), id: last.id })).toString("base64url")
          : null,
    },
  };
}

interface GraphCase {
  name: CaseName;
  what: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  /** Whether a Recordgate response counts as answered (GraphQL reports errors with status 200). */
  answered: (status: number, text: string) => boolean;
  fromRecordgate: (json: unknown) => unknown;
  baselineSql: string;
  baseline: (pool: pg.Pool) => Promise<unknown>;
  /** Recordgate's statements per request once the collection definition is cached. */
  expectedStatements: number;
  depth?: number;
}

function graphCases(rootId: string): GraphCase[] {
  const graphqlBody = JSON.stringify({
    query: THREE_LEVELS,
    operationName: "ThreeLevels",
    variables: { workspace: WORKSPACE, collection: COLLECTION, type: REL_TYPE },
  });
  const threeLevelsParams = [WORKSPACE, COLLECTION, REL_TYPE];
  const traversalParams = [WORKSPACE, COLLECTION, REL_TYPE, rootId];
  return [
    {
      name: "graphql-3-levels",
      what: `POST /graphql: ${ROOTS} newest records, ${PAGE} outgoing links of each with the linked record, ${PAGE} of each of those`,
      method: "POST",
      path: "/graphql",
      body: graphqlBody,
      answered: (status, text) => status === 200 && !text.includes('"errors"'),
      fromRecordgate: threeLevelsFromGraphql,
      baselineSql: THREE_LEVELS_SQL,
      baseline: async (pool) =>
        nestThreeLevels((await pool.query<ThreeLevelsRow>(THREE_LEVELS_SQL, threeLevelsParams)).rows),
      expectedStatements: GRAPHQL_DEPTH,
      depth: GRAPHQL_DEPTH,
    },
    {
      name: "rest-traversal",
      what: `GET one record's ${PAGE} outgoing links with include=record and meta.total`,
      method: "GET",
      path: `/v1/${WORKSPACE}/records/${COLLECTION}/${rootId}/relationships?direction=outgoing&type=${REL_TYPE}&limit=${PAGE}&include=record`,
      answered: (status) => status === 200,
      fromRecordgate: (json) => json,
      baselineSql: TRAVERSAL_SQL,
      baseline: async (pool) => traversalAnswer((await pool.query<TraversalRow>(TRAVERSAL_SQL, traversalParams)).rows),
      expectedStatements: 1,
    },
  ];
}

/** One case, bound to both sides: each call reports whether it succeeded, and never throws. */
function calls(c: GraphCase, rest: RestClient, pool: pg.Pool): Record<Side, () => Promise<boolean>> {
  return {
    recordgate: succeeds(
      async () => {
        const { status, text } = await rest.send(c.method, c.path, c.body);
        return c.answered(status, text);
      },
      (answered) => answered === true,
    ),
    baseline: succeeds(() => c.baseline(pool)),
  };
}

/** A benchmark of answers that differ would be meaningless: compare once, before timing anything. */
async function compareAnswers(c: GraphCase, rest: RestClient, pool: pg.Pool): Promise<string | undefined> {
  const { status, text } = await rest.send(c.method, c.path, c.body);
  if (status !== 200) return `${c.name}: Recordgate answered ${status}: ${text.slice(0, 2000)}`;
  let ours: unknown;
  try {
    ours = c.fromRecordgate(JSON.parse(text));
  } catch (error) {
    return `${c.name}: ${error instanceof Error ? error.message : String(error)}`;
  }
  const theirs = await c.baseline(pool);
  if (isDeepStrictEqual(ours, theirs)) return undefined;
  let detail = JSON.stringify({ recordgate: ours, baseline: theirs }).slice(0, 4000);
  if (c.name === "graphql-3-levels") {
    const a = new Set(paths(ours as GraphNode[]));
    const b = new Set(paths(theirs as GraphNode[]));
    const onlyOurs = [...a].filter((p) => !b.has(p));
    const onlyTheirs = [...b].filter((p) => !a.has(p));
    detail =
      `paths: Recordgate ${a.size}, baseline ${b.size}, only Recordgate ${onlyOurs.length} ` +
      `(${onlyOurs.slice(0, 3).join("; ")}), only baseline ${onlyTheirs.length} (${onlyTheirs.slice(0, 3).join("; ")})` +
      (onlyOurs.length + onlyTheirs.length === 0 ? " — same paths: order or data differ" : "");
  }
  return `${c.name}: Recordgate and baseline disagree\n${detail}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

interface CaseResult {
  query: CaseName;
  what: string;
  mismatch?: string;
  latency: Record<Side, LatencyStats>;
  /** Recordgate p50 ÷ baseline p50: above 1 means Recordgate is slower. */
  ratioP50: number;
  target: number;
  meetsTarget: boolean;
  /** Driver statements per request over the measured iterations (collection re-reads included). */
  statementsPerRequest: Record<Side, number>;
  /** Recordgate's statements for one request right after another (the collection definition cached). */
  warmStatements: number;
  expectedStatements: number;
  depth?: number;
  /** What Recordgate sent for that request, whitespace collapsed. */
  recordgateSql: string[];
  /** EXPLAIN ANALYZE of each side's statements over records for one request. */
  plans: Record<Side, PlanSummary[]>;
  /** Recordgate's statements for one request replayed one after another through the baseline's pool. */
  recordgateSqlReplay: LatencyStats;
  failures: number;
  samples: Record<Side, number[]>;
}

interface CaseContext {
  rest: RestClient;
  pool: pg.Pool;
  recorder: StatementRecorder<Side>;
  explainClient: pg.Client;
  settings: Settings;
}

/**
 * The statements each side actually sent for one request, explained with their own bind values (twice, keeping
 * the second). Recordgate's collection lookup, when its cache has expired, is left out.
 */
async function explainBoth(statements: Record<Side, Statement[]>, client: pg.Client) {
  const plans: Record<Side, PlanSummary[]> = { recordgate: [], baseline: [] };
  for (const side of SIDES) {
    for (const statement of statements[side].filter((s) => /\bFROM records\b/i.test(s.text))) {
      plans[side].push(await explain(client, statement));
    }
  }
  return plans;
}

/**
 * Recordgate's statements for one request, with their own bind values, sent one after another (as its levels are)
 * through the baseline's pool: what the database and driver cost Recordgate, without HTTP, GraphQL and JSON. Not
 * interleaved with the measured requests, so a diagnostic rather than a comparison.
 */
async function replay(statements: Statement[], pool: pg.Pool, settings: Settings): Promise<LatencyStats> {
  const samples: number[] = [];
  const deadline = performance.now() + settings.caseSeconds * 1000;
  for (let i = 0; i < settings.iterations + 10 && (i <= 10 || performance.now() < deadline); i++) {
    const started = performance.now();
    for (const statement of statements) await pool.query(statement.text, statement.values);
    if (i >= 10) samples.push(performance.now() - started);
  }
  return latencyStats(samples);
}

async function benchCase(c: GraphCase, ctx: CaseContext): Promise<CaseResult> {
  const call = calls(c, ctx.rest, ctx.pool);
  const mismatch = await compareAnswers(c, ctx.rest, ctx.pool);
  if (mismatch) progress(`  MISMATCH ${mismatch}`);
  // The comparison just ran the request: the collection definition is cached for this one.
  const statements = {
    recordgate: await ctx.recorder.capture("recordgate", call.recordgate),
    baseline: await ctx.recorder.capture("baseline", call.baseline),
  };
  const plans = await explainBoth(statements, ctx.explainClient);
  const run = await measureLatency(call, ctx.recorder, ctx.settings);
  const ratioP50 = run.latency.recordgate.p50 / run.latency.baseline.p50;
  const recordgateSqlReplay = await replay(statements.recordgate, ctx.pool, ctx.settings);
  progress(
    `  ${c.name}: p50 ${run.latency.recordgate.p50} ms vs ${run.latency.baseline.p50} ms ` +
      `(${ratioP50.toFixed(2)}×, ${run.latency.recordgate.samples} samples, ` +
      `${run.statementsPerRequest.recordgate.toFixed(2)} statements per request; its SQL alone ` +
      `${recordgateSqlReplay.p50} ms)`,
  );
  return {
    query: c.name,
    what: c.what,
    ...(mismatch ? { mismatch } : {}),
    latency: run.latency,
    ratioP50: round(ratioP50),
    target: TARGET,
    meetsTarget: ratioP50 <= TARGET,
    statementsPerRequest: {
      recordgate: round(run.statementsPerRequest.recordgate),
      baseline: round(run.statementsPerRequest.baseline),
    },
    warmStatements: statements.recordgate.length,
    expectedStatements: c.expectedStatements,
    ...(c.depth === undefined ? {} : { depth: c.depth }),
    recordgateSql: statements.recordgate.map((s) => s.text.replace(/\s+/g, " ").trim()),
    plans,
    recordgateSqlReplay,
    failures: run.failures,
    samples: run.samples,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting

function tableRow(result: CaseResult): string[] {
  const { recordgate: rg, baseline: base } = result.latency;
  return [
    result.mismatch ? `${result.query} MISMATCH` : result.query,
    String(rg.samples),
    ms(rg.p50),
    ms(rg.p95),
    ms(rg.p99),
    ms(base.p50),
    ms(base.p95),
    ms(base.p99),
    times(result.ratioP50),
    ms(result.recordgateSqlReplay.p50),
    `<=${result.target}x ${result.meetsTarget ? "met" : "MISSED"}`,
    `${result.statementsPerRequest.recordgate.toFixed(2)} / ${result.statementsPerRequest.baseline.toFixed(2)}`,
    `${result.warmStatements} / ${result.expectedStatements}${result.warmStatements === result.expectedStatements ? "" : " !"}`,
    result.depth === undefined ? "-" : `${result.depth} -> ${result.statementsPerRequest.recordgate.toFixed(2)}`,
  ];
}

interface Report {
  settings: Settings;
  load: LoadStats;
  graph: GraphCheck;
  httpFloor: LatencyStats;
  results: CaseResult[];
  cases: GraphCase[];
  failures: number;
  mismatches: number;
}

function printReport(report: Report): void {
  const { settings, load, results } = report;
  console.log(
    `\nRecordgate relationships vs hand-written SQL over pg.Pool: ${settings.records} records, ` +
      `${settings.linksPerRecord} outgoing links each (${load.relationships} relationships), latency from up to ` +
      `${settings.iterations} interleaved sequential requests per side (case cap ${settings.caseSeconds} s)`,
  );
  const header = [
    "case",
    "n",
    "RG p50",
    "RG p95",
    "RG p99",
    "SQL p50",
    "SQL p95",
    "SQL p99",
    "p50 ratio",
    "RG SQL p50",
    "target",
    "stmts/req RG / SQL",
    "RG warm / expected",
    "depth -> RG stmts",
  ];
  for (const line of formatTable(header, results.map(tableRow), 1)) console.log(line);
  console.log(
    "latencies in ms; ratio = Recordgate p50 ÷ SQL p50; stmts/req = statements the driver sent per request while " +
      "timing (Recordgate's include any read of the collection definition); RG warm = Recordgate's statements " +
      "for one request right after another; RG SQL = those statements replayed one after another through the " +
      "baseline's pool (database and driver only, not interleaved); depth = levels of the GraphQL query",
  );
  console.log(
    `HTTP floor (GET /healthz, same client, no auth or database): p50 ${ms(report.httpFloor.p50)} ms, ` +
      `p95 ${ms(report.httpFloor.p95)} ms, p99 ${ms(report.httpFloor.p99)} ms`,
  );
  console.log("\nbaseline SQL ($1 = workspace, $2 = collection, $3 = rel_type, $4 = the traversed record's id):");
  for (const c of report.cases) console.log(`  ${c.name}: ${c.baselineSql.replace(/\s+/g, " ").trim()}`);
  console.log("\nplans (EXPLAIN ANALYZE of the statements each side sent for one request, collection cached):");
  for (const result of results) {
    for (const side of SIDES) {
      const plans = result.plans[side].map((p) => `${p.shape} ${ms(p.executionMs)} ms${p.jit ? " +JIT" : ""}`);
      console.log(`  ${result.query} ${side.padEnd(10)} ${plans.join(" | ")}`);
    }
  }
  console.log(
    `\nbulk load: ${load.records} records in ${load.recordSeconds.toFixed(2)} s = ` +
      `${load.recordsPerSecond.toFixed(0)} records/s; ${load.relationships} relationships in ` +
      `${load.relationshipSeconds.toFixed(2)} s = ${load.relationshipsPerSecond.toFixed(0)} relationships/s ` +
      `(${load.method}); VACUUM ANALYZE ${load.vacuumAnalyzeSeconds.toFixed(2)} s; records table with indexes ` +
      `${(load.recordsBytes / 2 ** 20).toFixed(1)} MiB, relationships ${(load.relationshipsBytes / 2 ** 20).toFixed(1)} MiB`,
  );
  console.log(
    `graph checked: ${report.graph.relationships} links, ${report.graph.distinctPairs} distinct (source, target) ` +
      `pairs, ${report.graph.selfLinks} self-links, ${report.graph.unevenSources} records without exactly ` +
      `${settings.linksPerRecord} links, ${report.graph.danglingEnds} dangling ends; targets ${load.targets}`,
  );
  console.log(`failures: ${report.failures}, mismatches: ${report.mismatches}`);
}

// ---------------------------------------------------------------------------------------------------------------

async function run(settings: Settings, closers: Closer[]): Promise<number> {
  const started = performance.now();
  const { db, rest } = await startBenchStack(settings.adminUrl, closers);
  await createNodes(rest);
  progress(`loading ${settings.records} records and ${settings.records * settings.linksPerRecord} relationships…`);
  const loaded = await loadGraph(db.url, settings);
  const graph = await verifyGraph(db.url, settings);
  const load: LoadStats = { ...loaded, ...(await vacuumAnalyze(db.url)) };
  const rootId = await recordIdOf(db.url, 1);

  const { pool, explainClient } = await baselineClients(db.url, closers);
  const recorder = new StatementRecorder(SIDES);
  closers.push(recorder.install());

  const cases = graphCases(rootId);
  const ctx: CaseContext = { rest, pool, recorder, explainClient, settings };
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await benchCase(c, ctx));
  const httpFloor = await measureHttpFloor(rest, settings.iterations);

  const failures = results.reduce((total, r) => total + r.failures, 0);
  const mismatches = results.filter((r) => r.mismatch).length;
  printReport({ settings, load, graph, httpFloor, results, cases, failures, mismatches });
  // The admin URL may carry a password; results files get shared.
  const { adminUrl: _adminUrl, ...shown } = settings;
  const file = await writeResults("graph", {
    date: new Date().toISOString(),
    settings: shown,
    environment: await environment(db.url),
    runSeconds: round((performance.now() - started) / 1000, 1),
    load,
    graph,
    graphqlQuery: THREE_LEVELS,
    baselineSql: Object.fromEntries(cases.map((c) => [c.name, c.baselineSql.replace(/\s+/g, " ").trim()])),
    httpFloor,
    results,
    failures,
    mismatches,
  });
  console.log(`results: ${file} (run took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return failures + mismatches;
}

await runMain((closers) => run(readSettings(process.env), closers));
