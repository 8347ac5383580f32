import fc from "fast-check";
import { FIXTURE, type HostileCase, type HostileFamily, recordsPath } from "./case.ts";

/**
 * No existence oracle: the `reader` token (records of `items` only) probes a record that lives in the hidden
 * collection, and ids that exist nowhere, through every route and field it may read, and gets the not-found answer
 * for both. The same ids sent to the hidden collection, or to any write, are refused for the grant alone (403),
 * whatever they name. test/existence-oracle.test.ts checks the answers are byte-identical; this replays the shapes.
 */
const ids = fc.oneof(
  fc.constant(FIXTURE.hiddenRecord),
  fc.constant(FIXTURE.hiddenRecord.toUpperCase()),
  fc.uuid({ version: [4, 7] }),
);

const gqlRecord = (collection: string, id: string) => ({
  query: `query ($id: ID!) { record(workspace: "${FIXTURE.workspace}", collection: "${collection}", id: $id) { id data } }`,
  variables: { id },
});

type Probe = Pick<HostileCase, "method" | "path" | "body" | "expect">;
const NOT_FOUND = { status: 404, code: "NOT_FOUND" } as const;
const REFUSED = { status: 403, code: "FORBIDDEN" } as const;
/** GraphQL answers a resolver's error with HTTP 200 and the code in `extensions.code`. */
const inGraphql = (e: HostileCase["expect"]) => ({ ...e, status: 200 });

const probes: Array<(id: string) => Probe> = [
  (id) => ({ method: "GET", path: recordsPath(FIXTURE.open, id), expect: NOT_FOUND }),
  (id) => ({ method: "POST", path: "/graphql", body: gqlRecord(FIXTURE.open, id), expect: inGraphql(NOT_FOUND) }),
  (id) => ({ method: "GET", path: recordsPath(FIXTURE.hidden, id), expect: REFUSED }),
  (id) => ({ method: "POST", path: "/graphql", body: gqlRecord(FIXTURE.hidden, id), expect: inGraphql(REFUSED) }),
  (id) => ({ method: "GET", path: `${recordsPath(FIXTURE.open, id)}/relationships`, expect: REFUSED }),
  (id) => ({ method: "PATCH", path: recordsPath(FIXTURE.open, id), body: { data: { x: 1 } }, expect: REFUSED }),
  (id) => ({ method: "PUT", path: recordsPath(FIXTURE.open, id), body: { data: { x: 1 } }, expect: REFUSED }),
  (id) => ({ method: "DELETE", path: recordsPath(FIXTURE.open, id), expect: REFUSED }),
  (id) => ({ method: "POST", path: `${recordsPath(FIXTURE.open, id)}/archive`, expect: REFUSED }),
  (id) => ({
    method: "PUT",
    path: `/v1/${FIXTURE.workspace}/relationships`,
    body: {
      rel_type: "t",
      source_collection: FIXTURE.open,
      source_id: FIXTURE.record,
      target_collection: FIXTURE.open,
      target_id: id,
    },
    expect: REFUSED,
  }),
];

export const existenceOracle: HostileFamily = {
  name: "ids living where the reader may not read (no existence oracle)",
  runs: 200,
  cases: fc.tuple(ids, fc.integer({ min: 0, max: probes.length - 1 })).map(([id, which]): HostileCase => {
    const probe = (probes[which] as (id: string) => Probe)(id);
    return { label: `${probe.method} ${probe.path} (${id}) as reader`, as: "reader", ...probe };
  }),
};
