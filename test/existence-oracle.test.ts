import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";
import { backends } from "./support/database.ts";
import { registeredRoutes } from "./support/routes.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

/**
 * No existence oracle: a caller that may not read where an id lives gets, for that id, exactly the answer an id
 * that exists nowhere gets — status, code, message and details byte for byte, the id it sent aside — on every REST
 * route and GraphQL root field, reads and writes alike; and a write with such an id changes nothing. A route or
 * field added without a row here fails the first two tests.
 */

/** Who probes: `scoped` holds everything on collection `seen` of `ow` only; `star` on `seen` of every workspace;
 * `workspace` everything on `ow` (and its previews) only. All are user tokens, so token routes answer them too. */
type Caller = "scoped" | "star" | "workspace";

type Req = { method: string; path: string; body?: unknown } | { gql: string };

interface Probe {
  as: Caller;
  /** Exists, where the caller may not read it. */
  hidden: string;
  /** Exists nowhere (default: a fresh UUID). */
  absent?: string;
  call: (id: string) => Req;
  /** What both answer. */
  status: number;
  /**
   * Create-capable writes (PUT with a caller-chosen id): an absent id creates the record, a taken one cannot, so
   * the answer can only be the same for every taken id — hidden here or anywhere else — and never says where.
   * This names another taken id (in a workspace the caller cannot see); the absent id is asserted to create.
   */
  takenElsewhere?: string;
}

/** A route or field whose inputs name no id of anything a caller may be unable to read. */
type Row = Probe[] | { none: string };

const F = {
  seenRecord: "0193a000-0000-7000-8000-00000000005e",
  seenRecord2: "0193a000-0000-7000-8000-00000000005f",
  hiddenRecord: "0193a000-0000-7000-8000-0000000000a1",
  hiddenRecord2: "0193a000-0000-7000-8000-0000000000a2",
  deletedHidden: "0193a000-0000-7000-8000-0000000000d1",
  otherRecord: "0193a000-0000-7000-8000-0000000000b1",
  otherRecord2: "0193a000-0000-7000-8000-0000000000b2",
  hiddenLink: "0193a000-0000-7000-8000-0000000001a1",
  mixedLink: "0193a000-0000-7000-8000-0000000001a2",
  otherLink: "0193a000-0000-7000-8000-0000000001b1",
  promotion: "",
  token: "",
  secret: "",
};

const rec = (collection: string, id: string, tail = "") => `/v1/ow/records/${collection}/${id}${tail}`;
const link = (sourceId: string, extra: object = {}) => ({
  rel_type: "knows",
  source_collection: "seen",
  source_id: sourceId,
  target_collection: "seen",
  target_id: F.seenRecord2,
  ...extra,
});
/** An absent workspace / collection id. */
const NOWHERE = "nowhere";

const REST: Record<string, Row> = {
  "GET /v1/workspaces": { none: "a list filtered to the grants; takes no id" },
  "POST /v1/workspaces": [
    // write:workspaces on a workspace not covered: refused before anything is looked up.
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "POST", path: "/v1/workspaces", body: { id, name: "x" } }),
    },
  ],
  "GET /v1/workspaces/{id}": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/workspaces/${id}` }),
    },
    {
      as: "workspace",
      hidden: "other--p",
      absent: "other--q",
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/workspaces/${id}` }),
    },
  ],
  "PATCH /v1/workspaces/{id}": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "PATCH", path: `/v1/workspaces/${id}`, body: { description: "x" } }),
    },
  ],
  "DELETE /v1/workspaces/{id}": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "DELETE", path: `/v1/workspaces/${id}` }),
    },
  ],
  "POST /v1/workspaces/{prod}/previews": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "POST", path: `/v1/workspaces/${id}/previews`, body: { name: "p" } }),
    },
  ],
  "GET /v1/workspaces/{prod}/previews": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/workspaces/${id}/previews` }),
    },
  ],
  "POST /v1/workspaces/{prod}/promote": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "POST", path: `/v1/workspaces/${id}/promote`, body: { from: `${id}--p` } }),
    },
    // A preview of another workspace as `from`.
    {
      as: "workspace",
      hidden: "other--p",
      absent: "other--q",
      status: 400,
      call: (id) => ({ method: "POST", path: "/v1/workspaces/ow/promote", body: { from: id, dry_run: true } }),
    },
  ],
  "GET /v1/workspaces/{prod}/promotions": [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/workspaces/${id}/promotions` }),
    },
  ],
  "POST /v1/workspaces/{prod}/promotions/{pid}/rollback": [
    {
      as: "workspace",
      hidden: "promotion",
      status: 404,
      call: (id) => ({ method: "POST", path: `/v1/workspaces/ow/promotions/${id}/rollback` }),
    },
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "POST", path: `/v1/workspaces/${id}/promotions/${F.promotion}/rollback` }),
    },
  ],
  "GET /v1/{ws}/collections": [
    {
      as: "scoped",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/${id}/collections` }),
    },
    // Every workspace is in scope, restricted to one collection: whether `other` exists stays unknown.
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 200,
      call: (id) => ({ method: "GET", path: `/v1/${id}/collections` }),
    },
  ],
  "GET /v1/{ws}/collections/{id}": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/ow/collections/${id}` }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/${id}/collections/seen` }),
    },
  ],
  "PUT /v1/{ws}/collections/{id}": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "PUT", path: `/v1/ow/collections/${id}`, body: { json_schema: { type: "object" } } }),
    },
  ],
  "DELETE /v1/{ws}/collections/{id}": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "DELETE", path: `/v1/ow/collections/${id}` }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "DELETE", path: `/v1/${id}/collections/seen` }),
    },
  ],
  "GET /v1/{ws}/records/{collection}": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/ow/records/${id}` }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/${id}/records/seen` }),
    },
  ],
  "POST /v1/{ws}/records/{collection}/query": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({ method: "POST", path: `/v1/ow/records/${id}/query`, body: {} }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "POST", path: `/v1/${id}/records/seen/query`, body: {} }),
    },
  ],
  "POST /v1/{ws}/records/{collection}/aggregate": [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({
        method: "POST",
        path: `/v1/ow/records/${id}/aggregate`,
        body: { aggregations: [{ fn: "count" }] },
      }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({
        method: "POST",
        path: `/v1/${id}/records/seen/aggregate`,
        body: { aggregations: [{ fn: "count" }] },
      }),
    },
  ],
  "PUT /v1/{ws}/records/{collection}": [
    // By body id with a version: update only.
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "PUT", path: "/v1/ow/records/seen", body: { id, version: 1, data: { x: 1 } } }),
    },
    {
      as: "scoped",
      hidden: F.deletedHidden,
      status: 404,
      call: (id) => ({ method: "PUT", path: "/v1/ow/records/seen", body: { id, version: 1, data: { x: 1 } } }),
    },
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 409,
      takenElsewhere: F.otherRecord,
      call: (id) => ({ method: "PUT", path: "/v1/ow/records/seen", body: { id, data: { x: 1 } } }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "PUT", path: `/v1/${id}/records/seen`, body: { data: { x: 1 } } }),
    },
  ],
  "GET /v1/{ws}/records/{collection}/{id}": [
    { as: "scoped", hidden: F.hiddenRecord, status: 404, call: (id) => ({ method: "GET", path: rec("seen", id) }) },
    { as: "scoped", hidden: F.otherRecord, status: 404, call: (id) => ({ method: "GET", path: rec("seen", id) }) },
    { as: "scoped", hidden: F.deletedHidden, status: 404, call: (id) => ({ method: "GET", path: rec("seen", id) }) },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/${id}/records/seen/${F.otherRecord}` }),
    },
  ],
  "PUT /v1/{ws}/records/{collection}/{id}": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "PUT", path: rec("seen", id), body: { version: 1, data: { x: 1 } } }),
    },
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 409,
      takenElsewhere: F.otherRecord,
      call: (id) => ({ method: "PUT", path: rec("seen", id), body: { data: { x: 1 } } }),
    },
    {
      as: "scoped",
      hidden: F.deletedHidden,
      status: 409,
      takenElsewhere: F.otherRecord,
      call: (id) => ({ method: "PUT", path: rec("seen", id), body: { data: { x: 1 } } }),
    },
  ],
  "PATCH /v1/{ws}/records/{collection}/{id}": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "PATCH", path: rec("seen", id), body: { data: { x: 1 } } }),
    },
    {
      as: "scoped",
      hidden: F.otherRecord,
      status: 404,
      call: (id) => ({ method: "PATCH", path: rec("seen", id), body: { data: { x: 1 }, version: 1 } }),
    },
  ],
  "DELETE /v1/{ws}/records/{collection}/{id}": [
    { as: "scoped", hidden: F.hiddenRecord, status: 404, call: (id) => ({ method: "DELETE", path: rec("seen", id) }) },
    { as: "scoped", hidden: F.deletedHidden, status: 404, call: (id) => ({ method: "DELETE", path: rec("seen", id) }) },
  ],
  "POST /v1/{ws}/records/{collection}/{id}/archive": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "POST", path: rec("seen", id, "/archive") }),
    },
    {
      as: "scoped",
      hidden: F.deletedHidden,
      status: 404,
      call: (id) => ({ method: "POST", path: rec("seen", id, "/archive") }),
    },
  ],
  "POST /v1/{ws}/records/{collection}/{id}/cancel": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "POST", path: rec("seen", id, "/cancel") }),
    },
  ],
  "GET /v1/{ws}/records/{collection}/{id}/relationships": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "GET", path: rec("seen", id, "/relationships") }),
    },
    {
      as: "scoped",
      hidden: F.otherRecord,
      status: 404,
      call: (id) => ({ method: "GET", path: rec("seen", id, "/relationships") }),
    },
  ],
  "PUT /v1/{ws}/relationships": [
    // An end that lives in a hidden collection, named as a record of `seen`.
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => ({ method: "PUT", path: "/v1/ow/relationships", body: link(id) }),
    },
    {
      as: "scoped",
      hidden: F.otherRecord,
      status: 404,
      call: (id) => ({ method: "PUT", path: "/v1/ow/relationships", body: link(F.seenRecord, { target_id: id }) }),
    },
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => ({
        method: "PUT",
        path: "/v1/ow/relationships",
        body: link(F.seenRecord, { target_collection: id }),
      }),
    },
    {
      as: "scoped",
      hidden: F.hiddenLink,
      status: 409,
      takenElsewhere: F.otherLink,
      call: (id) => ({
        method: "PUT",
        path: "/v1/ow/relationships",
        body: link(F.seenRecord, { id, rel_type: `t${randomUUID().slice(0, 8)}` }),
      }),
    },
  ],
  "GET /v1/{ws}/relationships": [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 200,
      call: (id) => ({ method: "GET", path: `/v1/ow/relationships?target_id=${id}` }),
    },
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 200,
      call: (id) => ({ method: "GET", path: `/v1/ow/relationships?target_collection=${id}` }),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 200,
      call: (id) => ({ method: "GET", path: `/v1/${id}/relationships` }),
    },
  ],
  "GET /v1/{ws}/relationships/{id}": [
    {
      as: "scoped",
      hidden: F.hiddenLink,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/ow/relationships/${id}` }),
    },
    {
      as: "scoped",
      hidden: F.mixedLink,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/ow/relationships/${id}` }),
    },
    {
      as: "scoped",
      hidden: F.otherLink,
      status: 404,
      call: (id) => ({ method: "GET", path: `/v1/ow/relationships/${id}` }),
    },
  ],
  "DELETE /v1/{ws}/relationships/{id}": [
    {
      as: "scoped",
      hidden: F.mixedLink,
      status: 404,
      call: (id) => ({ method: "DELETE", path: `/v1/ow/relationships/${id}` }),
    },
    {
      as: "scoped",
      hidden: F.otherLink,
      status: 404,
      call: (id) => ({ method: "DELETE", path: `/v1/ow/relationships/${id}` }),
    },
  ],
  "POST /v1/tokens": {
    none: "names no existing id (grants naming hidden workspaces are refused by the ceiling alone)",
  },
  "GET /v1/tokens": { none: "a list of the caller's own subtree; takes no id" },
  "GET /v1/tokens/{id}": [
    { as: "scoped", hidden: "token", status: 404, call: (id) => ({ method: "GET", path: `/v1/tokens/${id}` }) },
  ],
  "DELETE /v1/tokens/{id}": [
    { as: "scoped", hidden: "token", status: 404, call: (id) => ({ method: "DELETE", path: `/v1/tokens/${id}` }) },
  ],
  "POST /v1/vault/secrets": { none: "names no existing id" },
  "GET /v1/vault/secrets": { none: "takes no id" },
  "GET /v1/vault/secrets/{id}": [
    {
      as: "workspace",
      hidden: "secret",
      status: 403,
      call: (id) => ({ method: "GET", path: `/v1/vault/secrets/${id}` }),
    },
  ],
  "POST /v1/vault/secrets/{id}/rotate": [
    {
      as: "workspace",
      hidden: "secret",
      status: 403,
      call: (id) => ({ method: "POST", path: `/v1/vault/secrets/${id}/rotate`, body: { value: "w" } }),
    },
  ],
  "DELETE /v1/vault/secrets/{id}": [
    {
      as: "workspace",
      hidden: "secret",
      status: 403,
      call: (id) => ({ method: "DELETE", path: `/v1/vault/secrets/${id}` }),
    },
  ],
};

const q = (gql: string): Req => ({ gql });
const relInput = (sourceId: string, extra = "", relType = "knows") =>
  `{relType: "${relType}", sourceCollection: "seen", sourceId: "${sourceId}", targetCollection: "seen", targetId: "${F.seenRecord2}"${extra}}`;

/** GraphQL root fields: the same probes; REST's statuses are `extensions.code` there (status is what we record). */
const GRAPHQL: Record<string, Row> = {
  workspaces: { none: "a list filtered to the grants" },
  workspace: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ workspace(id: "${id}") { id } }`),
    },
  ],
  createWorkspace: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { createWorkspace(input: {id: "${id}", name: "x"}) { id } }`),
    },
  ],
  updateWorkspace: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { updateWorkspace(id: "${id}", input: {description: "x"}) { id } }`),
    },
  ],
  deleteWorkspace: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { deleteWorkspace(id: "${id}") }`),
    },
  ],
  previews: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ previews(workspaceId: "${id}") { total } }`),
    },
  ],
  createPreview: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { createPreview(workspaceId: "${id}", name: "p") { id } }`),
    },
  ],
  promotions: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ promotions(workspaceId: "${id}") { total } }`),
    },
  ],
  promote: [
    {
      as: "workspace",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { promote(workspaceId: "${id}", from: "${id}--p") { dryRun } }`),
    },
    {
      as: "workspace",
      hidden: "other--p",
      absent: "other--q",
      status: 400,
      call: (id) => q(`mutation { promote(workspaceId: "ow", from: "${id}", dryRun: true) { dryRun } }`),
    },
  ],
  rollbackPromotion: [
    {
      as: "workspace",
      hidden: "promotion",
      status: 404,
      call: (id) => q(`mutation { rollbackPromotion(workspaceId: "ow", id: "${id}") { status } }`),
    },
  ],
  collections: [
    {
      as: "scoped",
      hidden: "other",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ collections(workspace: "${id}") { total } }`),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 200,
      call: (id) => q(`{ collections(workspace: "${id}") { total } }`),
    },
  ],
  collection: [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ collection(workspace: "ow", id: "${id}") { id } }`),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => q(`{ collection(workspace: "${id}", id: "seen") { id } }`),
    },
  ],
  upsertCollection: [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) =>
        q(
          `mutation { upsertCollection(workspace: "ow", id: "${id}", input: {jsonSchema: {type: "object"}}) { created } }`,
        ),
    },
  ],
  deleteCollection: [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`mutation { deleteCollection(workspace: "ow", id: "${id}") }`),
    },
  ],
  records: [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ records(workspace: "ow", collection: "${id}") { total } }`),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 404,
      call: (id) => q(`{ records(workspace: "${id}", collection: "seen") { total } }`),
    },
  ],
  aggregate: [
    {
      as: "scoped",
      hidden: "hidden",
      absent: NOWHERE,
      status: 403,
      call: (id) => q(`{ aggregate(workspace: "ow", collection: "${id}", aggregations: [{fn: "count"}]) }`),
    },
  ],
  record: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => q(`{ record(workspace: "ow", collection: "seen", id: "${id}") { id } }`),
    },
    {
      as: "scoped",
      hidden: F.otherRecord,
      status: 404,
      call: (id) =>
        q(`{ record(workspace: "ow", collection: "seen", id: "${id}") { id relationships { edges { cursor } } } }`),
    },
  ],
  upsertRecord: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) =>
        q(
          `mutation { upsertRecord(workspace: "ow", collection: "seen", input: {id: "${id}", version: 1, data: {x: 1}}) { created } }`,
        ),
    },
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 409,
      takenElsewhere: F.otherRecord,
      call: (id) =>
        q(
          `mutation { upsertRecord(workspace: "ow", collection: "seen", input: {id: "${id}", data: {x: 1}}) { created } }`,
        ),
    },
  ],
  patchRecord: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) =>
        q(`mutation { patchRecord(workspace: "ow", collection: "seen", id: "${id}", data: {x: 1}) { id } }`),
    },
  ],
  deleteRecord: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => q(`mutation { deleteRecord(workspace: "ow", collection: "seen", id: "${id}") }`),
    },
  ],
  archiveRecord: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => q(`mutation { archiveRecord(workspace: "ow", collection: "seen", id: "${id}") { id } }`),
    },
  ],
  cancelRecord: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => q(`mutation { cancelRecord(workspace: "ow", collection: "seen", id: "${id}") { id } }`),
    },
  ],
  relationship: [
    {
      as: "scoped",
      hidden: F.hiddenLink,
      status: 404,
      call: (id) => q(`{ relationship(workspace: "ow", id: "${id}") { id } }`),
    },
    {
      as: "scoped",
      hidden: F.mixedLink,
      status: 404,
      call: (id) => q(`{ relationship(workspace: "ow", id: "${id}") { id } }`),
    },
  ],
  relationships: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 200,
      call: (id) => q(`{ relationships(workspace: "ow", targetId: "${id}") { total } }`),
    },
    {
      as: "star",
      hidden: "other",
      absent: NOWHERE,
      status: 200,
      call: (id) => q(`{ relationships(workspace: "${id}") { total } }`),
    },
  ],
  upsertRelationship: [
    {
      as: "scoped",
      hidden: F.hiddenRecord,
      status: 404,
      call: (id) => q(`mutation { upsertRelationship(workspace: "ow", input: ${relInput(id)}) { created } }`),
    },
    {
      as: "scoped",
      hidden: F.hiddenLink,
      status: 409,
      takenElsewhere: F.otherLink,
      call: (id) =>
        q(
          `mutation { upsertRelationship(workspace: "ow", input: ${relInput(F.seenRecord, `, id: "${id}"`, `t${randomUUID().slice(0, 8)}`)}) { created } }`,
        ),
    },
  ],
  deleteRelationship: [
    {
      as: "scoped",
      hidden: F.mixedLink,
      status: 404,
      call: (id) => q(`mutation { deleteRelationship(workspace: "ow", id: "${id}") }`),
    },
  ],
  tokens: { none: "a list of the caller's own subtree" },
  token: [{ as: "scoped", hidden: "token", status: 404, call: (id) => q(`{ token(id: "${id}") { id } }`) }],
  createToken: { none: "names no existing id" },
  revokeToken: [
    { as: "scoped", hidden: "token", status: 404, call: (id) => q(`mutation { revokeToken(id: "${id}") { id } }`) },
  ],
  vaultSecrets: { none: "takes no id" },
  vaultSecret: [
    { as: "workspace", hidden: "secret", status: 403, call: (id) => q(`{ vaultSecret(id: "${id}") { id } }`) },
  ],
  createVaultSecret: { none: "names no existing id" },
  rotateVaultSecret: [
    {
      as: "workspace",
      hidden: "secret",
      status: 403,
      call: (id) => q(`mutation { rotateVaultSecret(id: "${id}", value: "w") { id } }`),
    },
  ],
  deleteVaultSecret: [
    { as: "workspace", hidden: "secret", status: 403, call: (id) => q(`mutation { deleteVaultSecret(id: "${id}") }`) },
  ],
};

const GQL_STATUS: Record<string, number> = { VALIDATION_ERROR: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409 };

describe.each(backends())("no existence oracle on %s", (backend) => {
  let t: TestServer;
  const callers = {} as Record<Caller, string>;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await t.rest(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const snapshot = async () =>
    JSON.stringify(
      await t.db.query(`SELECT
        (SELECT string_agg(id || ':' || coalesce(description, ''), ',' ORDER BY id) FROM workspaces) AS workspaces,
        (SELECT count(*) || ':' || sum(version) FROM collections) AS collections,
        (SELECT string_agg(id::text || ':' || version || ':' || archived || cancelled || (deleted_at IS NULL), ','
           ORDER BY id) FROM records) AS records,
        (SELECT string_agg(id::text || ':' || data::text, ',' ORDER BY id) FROM relationships) AS relationships,
        (SELECT count(*) || ':' || count(revoked_at) FROM api_tokens) AS tokens,
        (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM vault_secrets) AS secrets,
        (SELECT count(*) || ':' || count(rolled_back_at) FROM promotions) AS promotions`),
    );

  beforeAll(async () => {
    t = await startTestServer(backend, { config: { rateLimit: { points: 0, windowSeconds: 60, burst: 0 } } });
    for (const ws of ["ow", "other"]) await admin("POST", "/v1/workspaces", { id: ws, name: ws });
    for (const [ws, c] of [
      ["ow", "seen"],
      ["ow", "hidden"],
      ["other", "elsewhere"],
    ]) {
      await admin("PUT", `/v1/${ws}/collections/${c}`, { json_schema: { type: "object" } });
    }
    const put = (ws: string, c: string, id: string) => admin("PUT", `/v1/${ws}/records/${c}/${id}`, { data: { v: 1 } });
    await put("ow", "seen", F.seenRecord);
    await put("ow", "seen", F.seenRecord2);
    await put("ow", "hidden", F.hiddenRecord);
    await put("ow", "hidden", F.hiddenRecord2);
    await put("ow", "hidden", F.deletedHidden);
    await admin("DELETE", `/v1/ow/records/hidden/${F.deletedHidden}`);
    await put("other", "elsewhere", F.otherRecord);
    await put("other", "elsewhere", F.otherRecord2);
    const relate = (ws: string, id: string, s: [string, string], tg: [string, string]) =>
      admin("PUT", `/v1/${ws}/relationships`, {
        id,
        rel_type: "knows",
        source_collection: s[0],
        source_id: s[1],
        target_collection: tg[0],
        target_id: tg[1],
      });
    await relate("ow", F.hiddenLink, ["hidden", F.hiddenRecord], ["hidden", F.hiddenRecord2]);
    await relate("ow", F.mixedLink, ["seen", F.seenRecord], ["hidden", F.hiddenRecord]);
    await relate("other", F.otherLink, ["elsewhere", F.otherRecord], ["elsewhere", F.otherRecord2]);
    await admin("POST", "/v1/workspaces/other/previews", { name: "p" });
    await admin("PUT", "/v1/other--p/collections/added", { json_schema: { type: "object" } });
    F.promotion = (await admin("POST", "/v1/workspaces/other/promote", { from: "other--p" })).id;
    const mint = async (grants: unknown[]) =>
      (await admin("POST", "/v1/tokens", { name: "oracle", type: "user", grants })) as { id: string; token: string };
    F.token = (await mint([{ scope: { workspaces: ["other"] }, permissions: ["read:records"] }])).id;
    F.secret = (await admin("POST", "/v1/vault/secrets", { name: "oracle-secret", value: "v" })).id;
    callers.scoped = (await mint([{ scope: { workspaces: ["ow"], collections: ["seen"] }, permissions: ["*"] }])).token;
    callers.star = (await mint([{ scope: { workspaces: ["*"], collections: ["seen"] }, permissions: ["*"] }])).token;
    callers.workspace = (await mint([{ scope: { workspaces: ["ow"] }, permissions: ["*"] }])).token;
  });
  afterAll(() => t?.close());

  /** Names in the fixture that stand for an id created at setup. */
  const resolve = (id: string) => (id === "promotion" || id === "token" || id === "secret" ? F[id] : id);

  /** The answer as a client sees it, with the id it sent replaced, so two answers compare byte for byte. */
  async function send(as: Caller, req: Req, id: string): Promise<{ status: number; text: string }> {
    const token = callers[as];
    if ("gql" in req) {
      const res = await t.gql(req.gql, {}, { token });
      const errors = res.body.errors?.map((e) => ({ message: e.message, extensions: e.extensions, path: e.path }));
      const code = errors?.[0]?.extensions?.code as string | undefined;
      const status = code ? (GQL_STATUS[code] ?? 500) : res.status;
      return {
        status,
        text: JSON.stringify({ status: res.status, data: res.body.data, errors }).split(id).join("‹id›"),
      };
    }
    const res = await t.rest(req.method, req.path, { ...(req.body === undefined ? {} : { body: req.body }), token });
    return { status: res.status, text: `${res.status} ${res.text}`.split(id).join("‹id›") };
  }

  async function probe(name: string, p: Probe) {
    const hidden = resolve(p.hidden);
    const before = await snapshot();
    const a = await send(p.as, p.call(hidden), hidden);
    const label = `${name} as ${p.as} with ${p.hidden}: ${a.text.slice(0, 300)}`;
    expect(await snapshot(), `${label}: changed something`).toBe(before);
    expect(a.status, label).toBe(p.status);
    // Never where the id lives.
    for (const place of ["hidden", "elsewhere", "other"]) {
      if (!p.hidden.includes(place)) expect(a.text, label).not.toContain(`'${place}'`);
    }
    const otherId = p.takenElsewhere ?? p.absent ?? randomUUID();
    const b = await send(p.as, p.call(otherId), otherId);
    expect(b.text, `${name}: ${p.takenElsewhere ? "a taken id elsewhere" : "an absent id"} answers otherwise`).toBe(
      a.text,
    );
    if (p.takenElsewhere) {
      // The one answer that must differ: an id nobody has is created.
      const fresh = randomUUID();
      const created = await send(p.as, p.call(fresh), fresh);
      const req = p.call(fresh);
      expect(created.status, `${name} creates with an absent id: ${created.text}`).toBe("gql" in req ? 200 : 201);
    }
  }

  it("has a row for every REST route", async () => {
    const mine = (await registeredRoutes()).filter((r) => r.includes(" /v1/"));
    expect(mine.filter((r) => !(r in REST))).toEqual([]);
    expect(Object.keys(REST).filter((r) => !mine.includes(r))).toEqual([]);
  });

  it("has a row for every GraphQL root field", () => {
    const fields = [
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
    ];
    expect(fields.filter((name) => !(name in GRAPHQL))).toEqual([]);
    expect(Object.keys(GRAPHQL).filter((name) => !fields.includes(name))).toEqual([]);
  });

  it.each(Object.keys(REST).filter((r) => Array.isArray(REST[r])))(
    "%s answers an id the caller may not read exactly as one that exists nowhere",
    async (route) => {
      for (const p of REST[route] as Probe[]) await probe(route, p);
    },
  );

  it.each(Object.keys(GRAPHQL).filter((f) => Array.isArray(GRAPHQL[f])))(
    "GraphQL %s answers an id the caller may not read exactly as one that exists nowhere",
    async (field) => {
      for (const p of GRAPHQL[field] as Probe[]) await probe(field, p);
    },
  );
});
