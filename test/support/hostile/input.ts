import fc from "fast-check";
import { FIXTURE, type HostileCase, type HostileFamily, recordsPath } from "./case.ts";

// Input Recordgate cannot store as sent (docs/api.md, "Values that cannot be stored"): each must be a 400-class
// VALIDATION_ERROR naming the offending value's path, on REST and GraphQL, and must write nothing.

/** The default RECORDGATE_MAX_JSON_DEPTH the test server runs with. */
const MAX_DEPTH = 64;
const JSON_HEADERS = { "content-type": "application/json" };
const ws = FIXTURE.workspace;
const open = recordsPath(FIXTURE.open);
const oneRecord = recordsPath(FIXTURE.open, FIXTURE.record);

type Segment = string | number;

const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
/** Where inside `data` the value sits: keys and array indexes, 1-4 deep. */
const location = fc.array(fc.oneof({ weight: 3, arbitrary: key }, fc.integer({ min: 0, max: 3 })), {
  minLength: 1,
  maxLength: 4,
});

/** `value` at `segments` inside a fresh document; array slots before an index are null. */
function placeAt(segments: Segment[], value: unknown): unknown {
  let current = value;
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] as Segment;
    current =
      typeof segment === "number" ? [...Array.from({ length: segment }, () => null), current] : { [segment]: current };
  }
  return current;
}

/** A document whose first segment is a key, so it can be record data (an object). */
const dataLocation = fc.tuple(key, location).map(([first, rest]) => [first, ...rest]);
const pathOf = (root: string, segments: Segment[]) => [root, ...segments].join(".");

const ascii = fc.string({ unit: "grapheme-ascii", maxLength: 6 });
/** Text PostgreSQL cannot hold: NUL, or a UTF-16 surrogate with no partner (ASCII around it, so none pairs up). */
const unstorableText = fc
  .tuple(
    ascii,
    fc.oneof(
      fc.constant("\u0000"),
      fc.integer({ min: 0xd800, max: 0xdbff }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0xdc00, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    ),
    ascii,
  )
  .map(([before, bad, after]) => before + bad + after);

/** A bad string as a value, or as the last key (whose path is then the key itself). */
const unstorableDocument = fc.tuple(dataLocation, unstorableText, fc.boolean()).map(([segments, bad, asKey]) => {
  const at = asKey ? [...segments, bad] : segments;
  return { data: placeAt(at, asKey ? 1 : bad) as object, path: pathOf("data", at) };
});

/** Integers beyond 2^53 that a double cannot hold exactly (it holds 2^53 + 2, 1e20, … and those are kept). */
const inexactInteger = fc.bigInt({ min: 2n ** 53n + 1n, max: 10n ** 30n }).filter((n) => BigInt(Number(n)) !== n);

/** Numbers whose text a double cannot keep: overflow, underflow, integers it cannot hold exactly. */
const unfaithfulNumber = fc.oneof(
  fc.integer({ min: 309, max: 99999 }).map((e) => `1e${e}`),
  fc.integer({ min: 309, max: 99999 }).map((e) => `-2.5E+${e}`),
  fc.integer({ min: 400, max: 99999 }).map((e) => `1e-${e}`),
  fc.integer({ min: 330, max: 400 }).map((zeros) => `0.${"0".repeat(zeros)}1`),
  inexactInteger.map((n) => n.toString()),
  inexactInteger.map((n) => `-${n}`),
);

/** JSON text with `token` (raw) at `segments`, every key and index as placeAt would write them. */
function rawAt(segments: Segment[], token: string): string {
  const marker = "\u0001MARK\u0001";
  return JSON.stringify(placeAt(segments, marker)).replace(JSON.stringify(marker), token);
}

/** `{"a":{"a":…}}` nested `levels` deep, as text (JSON.stringify would overflow the stack on the way). */
const nested = (levels: number, inner = "1") => `${'{"a":'.repeat(levels)}${inner}${"}".repeat(levels)}`;
const depth = fc.oneof(
  fc.integer({ min: MAX_DEPTH + 1, max: 200 }),
  fc.integer({ min: 200, max: 10_000 }),
  fc.constant(10_000),
);
/** The path of the first container beyond MAX_DEPTH when `root` is itself the first level. */
const deepPath = (root: string) => root + ".a".repeat(MAX_DEPTH);

const bytesWithInvalidUtf8 = fc.constantFrom(
  [0xff],
  [0xc0, 0xaf], // overlong '/'
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xe2, 0x82], // cut short
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0x80],
);

const upsertGql =
  'mutation($d: JSON!) { upsertRecord(workspace: "hostile", collection: "items", input: {data: $d}) { created } }';
const patchGql = `mutation($d: JSON!) { patchRecord(workspace: "hostile", collection: "items", id: "${FIXTURE.record}", data: $d) { id } }`;
const relationshipGql = `mutation($d: JSON) { upsertRelationship(workspace: "hostile", input: {relType: "links", sourceCollection: "items", sourceId: "${FIXTURE.record}", targetCollection: "items", targetId: "${FIXTURE.record}", data: $d}) { created } }`;

const refused = (detailPath: string) => ({ status: 400, code: "VALIDATION_ERROR" as const, detailPath });
/** GraphQL answers a resolver's refusal as 200 with `errors` (nothing executed), code and path in extensions. */
const refusedInGraphql = (detailPath: string) => ({ status: 200, code: "VALIDATION_ERROR" as const, detailPath });

const relationshipBody = (data: unknown) => ({
  rel_type: "links",
  source_collection: FIXTURE.open,
  source_id: FIXTURE.record,
  target_collection: FIXTURE.open,
  target_id: FIXTURE.record,
  data,
});

export const unstorableStrings: HostileFamily = {
  name: "NUL and lone surrogates in strings and keys (REST and GraphQL)",
  runs: 250,
  cases: fc
    .tuple(
      unstorableDocument,
      fc.constantFrom("rest-put", "rest-patch", "rest-relationship", "gql-put", "gql-patch", "gql-relationship"),
    )
    .map(([{ data, path }, route]): HostileCase => {
      const label = `${route} ${JSON.stringify(data)}`;
      switch (route) {
        case "rest-put":
          return { label, method: "PUT", path: open, body: { data }, expect: refused(path) };
        case "rest-patch":
          return { label, method: "PATCH", path: oneRecord, body: { data }, expect: refused(path) };
        case "rest-relationship":
          return {
            label,
            method: "PUT",
            path: `/v1/${ws}/relationships`,
            body: relationshipBody(data),
            expect: refused(path),
          };
        case "gql-put":
          return {
            label,
            method: "POST",
            path: "/graphql",
            body: { query: upsertGql, variables: { d: data } },
            expect: refusedInGraphql(path),
          };
        case "gql-patch":
          return {
            label,
            method: "POST",
            path: "/graphql",
            body: { query: patchGql, variables: { d: data } },
            expect: refusedInGraphql(path),
          };
        default:
          return {
            label,
            method: "POST",
            path: "/graphql",
            body: { query: relationshipGql, variables: { d: data } },
            expect: refusedInGraphql(path),
          };
      }
    }),
};

export const unstorableFields: HostileFamily = {
  name: "unstorable ids, external ids, path segments, query strings and versions",
  runs: 150,
  cases: fc.oneof(
    unstorableText.map(
      (bad): HostileCase => ({
        label: `external_id ${JSON.stringify(bad)}`,
        method: "PUT",
        path: open,
        body: { external_id: bad, data: {} },
        expect: refused("external_id"),
      }),
    ),
    fc
      .tuple(fc.constantFrom("ws", "collection", "id"), fc.integer({ min: 0, max: 0x1f }), ascii)
      .map(([param, code, around]): HostileCase => {
        const bad = `x${encodeURIComponent(around)}%${code.toString(16).padStart(2, "0")}`;
        const path =
          param === "ws"
            ? `/v1/${bad}/records/items`
            : param === "collection"
              ? `/v1/${ws}/records/${bad}`
              : `${open}/${bad}`;
        return { label: `GET ${path}`, method: "GET", path, expect: refused(`params.${param}`) };
      }),
    fc.constantFrom("external_source", "after").map(
      (name): HostileCase => ({
        label: `query ${name}=%00`,
        method: "GET",
        path: `${open}?${name}=a%00b`,
        expect: refused(`query.${name}`),
      }),
    ),
    fc.tuple(fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), fc.boolean()).map(
      ([version, patch]): HostileCase => ({
        label: `${patch ? "PATCH" : "PUT"} version ${version}`,
        method: patch ? "PATCH" : "PUT",
        path: patch ? oneRecord : open,
        body: patch ? { data: {}, version } : { external_id: FIXTURE.externalId, data: {}, version },
        expect: refused("version"),
      }),
    ),
    unstorableText.map(
      (bad): HostileCase => ({
        label: `GraphQL records(workspace: ${JSON.stringify(bad)})`,
        method: "POST",
        path: "/graphql",
        body: {
          query: 'query($w: ID!) { records(workspace: $w, collection: "items") { total } }',
          variables: { w: bad },
        },
        expect: refusedInGraphql("workspace"),
      }),
    ),
    fc
      .constantFrom("/v1/%", "/v1/hostile/records/%E0%A4%A", "/v1/hostile/records/items/%zz", "/graphql%")
      .map((path): HostileCase => ({ label: `GET ${path}`, method: "GET", path, expect: refused("url") })),
  ),
};

export const unfaithfulNumbers: HostileFamily = {
  name: "numbers a double cannot hold: overflow, underflow, inexact integers beyond 2^53 (REST and GraphQL)",
  runs: 250,
  cases: fc
    .tuple(
      dataLocation,
      unfaithfulNumber,
      fc.constantFrom("rest-put", "rest-patch", "rest-query", "gql-variable", "gql-literal"),
    )
    .map(([segments, token, route]): HostileCase => {
      const label = `${route} ${token.slice(0, 30)} at ${segments.join(".")}`;
      switch (route) {
        case "rest-put":
          return {
            label,
            method: "PUT",
            path: open,
            rawBody: `{"data":${rawAt(segments, token)}}`,
            headers: JSON_HEADERS,
            expect: refused(pathOf("data", segments)),
          };
        case "rest-patch":
          return {
            label,
            method: "PATCH",
            path: oneRecord,
            rawBody: `{"data":${rawAt(segments, token)}}`,
            headers: JSON_HEADERS,
            expect: refused(pathOf("data", segments)),
          };
        case "rest-query":
          return {
            label,
            method: "POST",
            path: `${open}/query`,
            rawBody: `{"filter":{"field":"data.n","op":"eq","value":${token}}}`,
            headers: JSON_HEADERS,
            expect: refused("filter.value"),
          };
        case "gql-variable":
          return {
            label,
            method: "POST",
            path: "/graphql",
            rawBody: `{"query":${JSON.stringify(upsertGql)},"variables":{"d":${rawAt(segments, token)}}}`,
            headers: JSON_HEADERS,
            expect: refused(pathOf("variables.d", segments)),
          };
        default: {
          // The literal's path is inside the JSON literal itself: graphql-js validates it before any resolver.
          const literal = rawAt(segments, token).replace(/"([a-z][a-z0-9_]*)":/g, "$1: ");
          const query = `mutation { upsertRecord(workspace: "hostile", collection: "items", input: {data: ${literal}}) { created } }`;
          return {
            label,
            method: "POST",
            path: "/graphql",
            body: { query },
            expect: refusedInGraphql(segments.join(".")),
          };
        }
      }
    }),
};

export const invalidUtf8: HostileFamily = {
  name: "bodies that are not UTF-8",
  runs: 100,
  cases: fc
    .tuple(key, bytesWithInvalidUtf8, fc.constantFrom("rest-put", "rest-relationship", "gql-variable"))
    .map(([name, bad, route]): HostileCase => {
      const value = Buffer.concat([Buffer.from('"ok'), Buffer.from(bad), Buffer.from('"')]);
      const wrap = (before: string, after: string) => Buffer.concat([Buffer.from(before), value, Buffer.from(after)]);
      const label = `${route} ${name}: bytes ${bad.map((b) => b.toString(16)).join(" ")}`;
      if (route === "rest-put") {
        return {
          label,
          method: "PUT",
          path: open,
          rawBody: wrap(`{"data":{"${name}":`, "}}"),
          headers: JSON_HEADERS,
          expect: refused(`data.${name}`),
        };
      }
      if (route === "rest-relationship") {
        const before = JSON.stringify(relationshipBody({})).replace(/"data":\{\}\}$/, `"data":{"${name}":`);
        return {
          label,
          method: "PUT",
          path: `/v1/${ws}/relationships`,
          rawBody: wrap(before, "}}"),
          headers: JSON_HEADERS,
          expect: refused(`data.${name}`),
        };
      }
      return {
        label,
        method: "POST",
        path: "/graphql",
        rawBody: wrap(`{"query":${JSON.stringify(upsertGql)},"variables":{"d":{"${name}":`, "}}}"),
        headers: JSON_HEADERS,
        expect: refused(`variables.d.${name}`),
      };
    }),
};

export const tooDeep: HostileFamily = {
  name: "JSON nested beyond the maximum depth: record data, relationship data, filters (REST and GraphQL)",
  runs: 150,
  cases: fc
    .tuple(
      depth,
      fc.constantFrom("rest-put", "rest-patch", "rest-relationship", "rest-filter", "rest-aggregate", "gql-put"),
    )
    .map(([levels, route]): HostileCase => {
      const label = `${route} nested ${levels}`;
      const raw = (text: string) => ({ rawBody: text, headers: JSON_HEADERS });
      switch (route) {
        case "rest-put":
          return {
            label,
            method: "PUT",
            path: open,
            ...raw(`{"data":${nested(levels)}}`),
            expect: refused(deepPath("data")),
          };
        case "rest-patch":
          return {
            label,
            method: "PATCH",
            path: oneRecord,
            ...raw(`{"data":${nested(levels)}}`),
            expect: refused(deepPath("data")),
          };
        case "rest-relationship": {
          const before = JSON.stringify(relationshipBody({})).replace(/\{\}\}$/, "");
          return {
            label,
            method: "PUT",
            path: `/v1/${ws}/relationships`,
            ...raw(`${before}${nested(levels)}}`),
            expect: refused(deepPath("data")),
          };
        }
        case "rest-filter": {
          // Each and-level is two containers (the object and its list).
          const pairs = Math.ceil(levels / 2);
          const filter = `${'{"and":['.repeat(pairs)}{"field":"data.a","op":"eq","value":1}${"]}".repeat(pairs)}`;
          return {
            label,
            method: "POST",
            path: `${open}/query`,
            ...raw(`{"filter":${filter}}`),
            expect: refused(`filter${".and.0".repeat(MAX_DEPTH / 2)}`),
          };
        }
        case "rest-aggregate":
          return {
            label,
            method: "POST",
            path: `${open}/aggregate`,
            ...raw(`{"aggregations":[{"fn":"count"}],"filter":${nested(levels)}}`),
            expect: refused(deepPath("filter")),
          };
        default:
          return {
            label,
            method: "POST",
            path: "/graphql",
            ...raw(`{"query":${JSON.stringify(upsertGql)},"variables":{"d":${nested(levels)}}}`),
            expect: refusedInGraphql(deepPath("data")),
          };
      }
    }),
};

const notJson: fc.Arbitrary<Record<string, string>> = fc.constantFrom<Record<string, string>>(
  { "content-type": "text/plain" },
  { "content-type": "text/plain; charset=utf-8" },
  { "content-type": "application/x-www-form-urlencoded" },
  { "content-type": "multipart/form-data; boundary=x" },
  { "content-type": "application/json; charset=latin1" },
  { "content-type": "application/xml" },
  {},
);

export const unsupportedMediaTypes: HostileFamily = {
  name: "JSON bodies under other content types: 415 with the envelope on REST and GraphQL",
  runs: 100,
  cases: fc
    .tuple(notJson, fc.constantFrom("rest-put", "rest-query", "gql", "gql-strict"))
    .map(([headers, route]): HostileCase => {
      const label = `${route} ${JSON.stringify(headers)}`;
      const expect = { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" as const };
      if (route === "rest-put") return { label, method: "PUT", path: open, rawBody: '{"data":{}}', headers, expect };
      if (route === "rest-query")
        return { label, method: "POST", path: `${open}/query`, rawBody: "{}", headers, expect };
      const accept: Record<string, string> =
        route === "gql-strict" ? { accept: "application/graphql-response+json" } : {};
      return {
        label,
        method: "POST",
        path: "/graphql",
        rawBody: '{"query":"{ __typename }"}',
        headers: { ...headers, ...accept },
        expect,
      };
    }),
};

export const INPUT_FAMILIES: HostileFamily[] = [
  unstorableStrings,
  unstorableFields,
  unfaithfulNumbers,
  invalidUtf8,
  tooDeep,
  unsupportedMediaTypes,
];
