import fc from "fast-check";
import { FIXTURE, type HostileCase, type HostileFamily } from "./case.ts";

const RECORD = `record(workspace: "${FIXTURE.workspace}", collection: "${FIXTURE.open}", id: "${FIXTURE.record}")`;
const RECORDS = `records(workspace: "${FIXTURE.workspace}", collection: "${FIXTURE.open}"`;

/** A document sent as a modern client would (GraphQL over HTTP: request errors answer 400 too). */
const send = (label: string, query: string, code: "QUERY_TOO_COMPLEX" | "VALIDATION_ERROR", as: "admin" | "reader") =>
  ({
    label: `${label} (${query.length} chars, as ${as})`,
    method: "POST",
    path: "/graphql",
    body: { query },
    headers: { accept: "application/graphql-response+json" },
    as,
    expect: { status: 400, code, detailPath: code === "QUERY_TOO_COMPLEX" ? "query" : undefined },
  }) satisfies HostileCase;

const who = fc.constantFrom("admin" as const, "reader" as const);

/** Selections nested past the depth limit (15) and, deeper, past the bracket nesting (128). */
const deep = fc
  .tuple(
    fc.integer({ min: 16, max: 1000 }),
    fc.constantFrom("related(direction: both)", "related", "relationships { edges { node"),
  )
  .map(([levels, hop]) => {
    const closing = hop.startsWith("relationships") ? "} } } " : "} ";
    return `{ ${RECORD} { ${`${hop} { `.repeat(levels)} id ${closing.repeat(levels)} } }`;
  });

/** Input literals nested past the bracket nesting: lists, objects, and filters of filters. */
const deepLiteral = fc
  .tuple(fc.integer({ min: 129, max: 1500 }), fc.constantFrom("[", "{a: ", "{and: ["))
  .map(([levels, open]) => {
    const close = open === "[" ? "]" : open === "{a: " ? "}" : "]}";
    return `{ ${RECORDS}, filter: ${open.repeat(levels)}1${close.repeat(levels)}) { total } }`;
  });

const aliases = fc
  .tuple(
    fc.integer({ min: 101, max: 1500 }),
    fc.constantFrom("workspaces(limit: 1) { total }", "__typename", `${RECORDS}, limit: 1) { total }`),
  )
  .map(([n, field]) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`);

const wide = fc
  .tuple(fc.integer({ min: 1001, max: 3000 }), fc.constantFrom("id", "data", "version"))
  .map(([n, field]) => `{ ${RECORDS}) { nodes { ${`${field} `.repeat(n)} } } }`);

/** List sizes that multiply past the cost budget (50,000) within the depth limit. */
const expensive = fc
  .tuple(
    fc.integer({ min: 100, max: 1000 }),
    fc.integer({ min: 501, max: 1000 }),
    fc.constantFrom("related", "relationships"),
    fc.boolean(),
  )
  .map(([roots, page, via, variables]) => {
    const size = variables ? "$n" : String(page);
    const inner =
      via === "related"
        ? `related(first: ${size}) { id data }`
        : `relationships(first: ${size}) { edges { node { id data } } }`;
    const head = variables ? `query ($n: Int = ${page})` : "";
    return `${head} { ${RECORDS}, limit: ${roots}) { nodes { id ${inner} } } }`;
  });

const directives = fc
  .tuple(fc.integer({ min: 51, max: 500 }), fc.constantFrom("@include(if: true)", "@skip(if: false)"))
  .map(([n, directive]) => `{ workspaces { total ${`${directive} `.repeat(n)} } }`);

/** Documents over 100,000 characters: a comment, a string argument, or whitespace. */
const huge = fc
  .tuple(fc.integer({ min: 100_001, max: 150_000 }), fc.constantFrom("comment", "string", "space"))
  .map(([n, kind]) => {
    if (kind === "comment") return `{ workspaces { total } } #${"x".repeat(n)}`;
    if (kind === "string") return `{ workspaces(tag: "${"x".repeat(n)}") { total } }`;
    return `{ workspaces ${" ".repeat(n)} { total } }`;
  });

const tokens = fc
  .tuple(fc.integer({ min: 10_001, max: 15_000 }), fc.constantFrom("__typename ", "id ", "! "))
  .map(([n, token]) => `{ ${token.repeat(n)} }`);

/** Within every limit, but not GraphQL: VALIDATION_ERROR as before. */
const malformed = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => `{ workspaces { ${s.replace(/[{}[\]()]/g, "")}`),
  fc.constantFrom(
    "{ nope }",
    "{ workspaces { nope } }",
    'query { workspaces(limit: "x") { total } }',
    "{",
    "}",
    "query ($a: Int) { workspaces { total } }",
  ),
);

/** Two families, so each stays well inside the runner's per-test timeout on a loaded machine. */
export const graphqlDocuments: HostileFamily = {
  name: "GraphQL documents over their size and nesting limits",
  runs: 200,
  cases: fc.oneof(
    fc.tuple(deep, who).map(([q, as]) => send("deep selection", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(deepLiteral, who).map(([q, as]) => send("deep literal", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(huge, who).map(([q, as]) => send("huge document", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(tokens, who).map(([q, as]) => send("token flood", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(malformed, who).map(([q, as]) => send("malformed", q, "VALIDATION_ERROR", as)),
  ),
};

export const graphqlQueries: HostileFamily = {
  name: "GraphQL queries over their shape and cost limits",
  runs: 200,
  cases: fc.oneof(
    fc.tuple(aliases, who).map(([q, as]) => send("alias flood", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(wide, who).map(([q, as]) => send("wide selection", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(expensive, who).map(([q, as]) => send("expensive nesting", q, "QUERY_TOO_COMPLEX", as)),
    fc.tuple(directives, who).map(([q, as]) => send("directive flood", q, "QUERY_TOO_COMPLEX", as)),
  ),
};
