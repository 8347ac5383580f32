// The pathological requests of issue 14, written out: each once took the whole server down or stalled it for
// seconds. bench/hostile.ts mixes them into the hostile families' cases.
import { FIXTURE, recordsPath } from "../../test/support/hostile/case.ts";

/** One request of the load: a hostile family's case or one of these; `expectStatus` only where it is known. */
export interface LoadRequest {
  family: string;
  label: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  as?: "admin" | "reader";
  expectStatus?: number;
}

export const CLIQUE = "clique";
export const CLIQUE_SIZE = 10;
const REDOS = "redos";
const WIDE = "wide";
const ws = FIXTURE.workspace;

/** Ids of the clique's records: fixed, so the requests can be written before the records exist. */
export const cliqueIds = Array.from(
  { length: CLIQUE_SIZE },
  (_, i) => `0b6f3c1e-0000-4000-8000-1000000000${String(i).padStart(2, "0")}`,
);

/** What the pathological requests need beyond the hostile fixture: ten records that all link to each other. */
export function cliqueSetup(): LoadRequest[] {
  const requests: LoadRequest[] = [
    {
      family: "setup",
      label: "clique collection",
      method: "PUT",
      path: `/v1/${ws}/collections/${CLIQUE}`,
      body: { name: CLIQUE, json_schema: { type: "object" } },
      expectStatus: 201,
    },
    ...cliqueIds.map(
      (id, i): LoadRequest => ({
        family: "setup",
        label: `clique record ${i}`,
        method: "PUT",
        path: recordsPath(CLIQUE),
        body: { id, external_id: `c${i}`, data: { n: i } },
        expectStatus: 201,
      }),
    ),
  ];
  for (const source of cliqueIds) {
    for (const target of cliqueIds) {
      if (source === target) continue;
      requests.push({
        family: "setup",
        label: "clique link",
        method: "PUT",
        path: `/v1/${ws}/relationships`,
        body: {
          rel_type: "links",
          source_collection: CLIQUE,
          source_id: source,
          target_collection: CLIQUE,
          target_id: target,
        },
        expectStatus: 201,
      });
    }
  }
  return requests;
}

const gql = (family: string, label: string, query: string): LoadRequest => ({
  family,
  label,
  method: "POST",
  path: "/graphql",
  body: { query },
});

/** `related(direction: both)` nested `depth` deep from one clique record: 9^depth records if nothing stops it. */
export function deepRelated(depth: number): LoadRequest {
  let selection = "id";
  for (let i = 0; i < depth; i++) selection = `id related(direction: both) { ${selection} }`;
  const query = `{ record(workspace: "${ws}", collection: "${CLIQUE}", id: "${cliqueIds[0]}") { ${selection} } }`;
  return gql("pathological: related 50 deep", `related × ${depth}`, query);
}

export function manyAliases(count: number): LoadRequest {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: workspaces(limit: 1) { total }`).join(" ");
  return gql("pathological: 10k aliases", `${count} aliases of workspaces`, `{ ${fields} }`);
}

/** The catastrophic-backtracking pattern; what a record of `a`s plus `!` does to a backtracking engine. */
export function redosCollection(): LoadRequest {
  return {
    family: "pathological: ReDoS pattern",
    label: "collection with ^(a+)+$",
    method: "PUT",
    path: `/v1/${ws}/collections/${REDOS}`,
    body: {
      name: REDOS,
      json_schema: { type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } } },
    },
  };
}

export function redosRecord(length: number): LoadRequest {
  return {
    family: "pathological: ReDoS pattern",
    label: `record of ${length} a's and !`,
    method: "PUT",
    path: recordsPath(REDOS),
    body: { external_id: `r${length}`, data: { s: `${"a".repeat(length)}!` } },
  };
}

/** A schema of `count` properties (20,000: ~878 KB of JSON), then the first write that compiles it. */
export function wideSchema(count: number): LoadRequest[] {
  const properties = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`p${i}`, { type: "string", maxLength: 100 }]),
  );
  return [
    {
      family: "pathological: 20k-property schema",
      label: `schema of ${count} properties`,
      method: "PUT",
      path: `/v1/${ws}/collections/${WIDE}`,
      body: { name: WIDE, json_schema: { type: "object", properties } },
    },
    {
      family: "pathological: 20k-property schema",
      label: "first write after it",
      method: "PUT",
      path: recordsPath(WIDE),
      body: { external_id: "w1", data: { p0: "x" } },
    },
  ];
}

/** Every pathological request the bench sends, in the order they are spread over the run. */
export function pathologicalRequests(): LoadRequest[] {
  return [
    manyAliases(10_000),
    deepRelated(50),
    redosCollection(),
    redosRecord(28),
    ...wideSchema(20_000),
    manyAliases(10_000),
    redosRecord(34),
    deepRelated(50),
    redosRecord(40),
  ];
}

/** Size in bytes of a request's body as sent. */
export function bodyBytes(request: LoadRequest): number {
  if (request.rawBody !== undefined) return Buffer.byteLength(request.rawBody);
  return request.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(request.body));
}
