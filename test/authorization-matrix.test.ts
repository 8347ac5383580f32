import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";
import { backends } from "./support/database.ts";
import { registeredRoutes } from "./support/routes.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

/**
 * Every REST route and every GraphQL root field, called by each kind of caller, must answer as the grants say —
 * and a refused call must change nothing and reveal nothing. A route or field added without an entry here fails.
 */

type Scenario =
  | "no token"
  | "expired"
  | "revoked"
  | "wrong workspace"
  | "wrong collection"
  | "wrong environment"
  | "read-only"
  | "sufficient";
const SCENARIOS: Scenario[] = [
  "no token",
  "expired",
  "revoked",
  "wrong workspace",
  "wrong collection",
  "wrong environment",
  "read-only",
  "sufficient",
];

/**
 * How a route is guarded. `collection`: on one collection's data or definition (`notes` in `alpha`); `workspace`:
 * on the workspace as a whole; `list`: a list filtered to what the grants cover; `account`: tokens (people only);
 * `vault`: everything-on-everything tokens only.
 */
type Guard = "collection" | "workspace" | "collection-list" | "workspace-list" | "account" | "vault";

interface Call {
  path: string;
  body?: unknown;
}

interface RestCase {
  guard: Guard;
  write: boolean;
  /** Builds the request; may create what it acts on first (through the admin token). */
  prepare: (f: Fixture) => Promise<Call>;
  /** Status of a sufficient caller. */
  ok: number;
  /** Where a scenario's answer differs from what the guard alone implies (see the entries). */
  except?: Partial<Record<Scenario, number | "filtered">>;
}

/**
 * The wrong-collection and wrong-environment tokens are `user` tokens (so production configuration is refused for
 * the grant, not for the token type). User tokens manage their own tokens: they list only those (none of the
 * sufficient caller's) and cannot see another's (404), and cannot mint beyond their grants (403).
 */
const USER_TOKEN_VIEW = { "wrong collection": "filtered", "wrong environment": "filtered" } as const;
const USER_TOKEN_OTHER = { "wrong collection": 404, "wrong environment": 404 } as const;
/** A relationship outside the caller's collections answers 404, as if it did not exist. */
const HIDDEN_LINK = { "wrong collection": 404 } as const;

interface Fixture {
  t: TestServer;
  admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  note1: string;
  note2: string;
  /** A token made by the sufficient (user) caller: the token routes act on it. */
  childToken: () => Promise<string>;
}

const newNote = async (f: Fixture) =>
  (await f.admin("PUT", "/v1/alpha/records/notes", { data: { text: "fresh" } })).body.id as string;
const newLink = async (f: Fixture) =>
  (
    await f.admin("PUT", "/v1/alpha/relationships", {
      rel_type: `t${randomUUID().slice(0, 8)}`,
      source_collection: "notes",
      source_id: f.note1,
      target_collection: "notes",
      target_id: f.note2,
    })
  ).body.id as string;
const newSecret = async (f: Fixture) =>
  (await f.admin("POST", "/v1/vault/secrets", { name: `s${randomUUID().slice(0, 8)}`, value: "v" })).body.id as string;
const freshGamma = async (f: Fixture) => {
  await f.admin("DELETE", "/v1/workspaces/gamma");
  await f.admin("POST", "/v1/workspaces", { id: "gamma", name: "Gamma" });
};

/** gamma with a preview that adds a collection: something to promote. */
const promotableGamma = async (f: Fixture) => {
  await freshGamma(f);
  await f.admin("POST", "/v1/workspaces/gamma/previews", { name: "next" });
  await f.admin("PUT", "/v1/gamma--next/collections/extra", { json_schema: { type: "object" } });
};
const promotedGamma = async (f: Fixture) => {
  await promotableGamma(f);
  return (await f.admin("POST", "/v1/workspaces/gamma/promote", { from: "gamma--next" })).body.id as string;
};
/** A fresh preview name under gamma, which may have been deleted by an earlier entry. */
const previewName = async (f: Fixture) => {
  await f.admin("POST", "/v1/workspaces", { id: "gamma", name: "Gamma" });
  return `p${randomUUID().slice(0, 8)}`;
};

const REST: Record<string, RestCase> = {
  "GET /v1/workspaces": {
    guard: "workspace-list",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/workspaces" }),
  },
  "POST /v1/workspaces": {
    guard: "workspace",
    write: true,
    ok: 201,
    prepare: async (f) => {
      await f.admin("DELETE", "/v1/workspaces/gamma");
      return { path: "/v1/workspaces", body: { id: "gamma", name: "Gamma" } };
    },
  },
  "GET /v1/workspaces/{id}": {
    guard: "workspace",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/workspaces/alpha" }),
  },
  "PATCH /v1/workspaces/{id}": {
    guard: "workspace",
    write: true,
    ok: 200,
    prepare: async () => ({ path: "/v1/workspaces/alpha", body: { description: "changed" } }),
  },
  "DELETE /v1/workspaces/{id}": {
    guard: "workspace",
    write: true,
    ok: 204,
    prepare: async (f) => {
      await freshGamma(f);
      return { path: "/v1/workspaces/gamma" };
    },
  },
  "POST /v1/workspaces/{prod}/previews": {
    guard: "workspace",
    write: true,
    ok: 201,
    prepare: async (f) => ({ path: "/v1/workspaces/gamma/previews", body: { name: await previewName(f) } }),
  },
  "GET /v1/workspaces/{prod}/previews": {
    guard: "workspace",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/workspaces/alpha/previews" }),
  },
  "POST /v1/workspaces/{prod}/promote": {
    guard: "workspace",
    write: true,
    ok: 201,
    prepare: async (f) => {
      await promotableGamma(f);
      return { path: "/v1/workspaces/gamma/promote", body: { from: "gamma--next" } };
    },
  },
  "GET /v1/workspaces/{prod}/promotions": {
    guard: "workspace",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/workspaces/alpha/promotions" }),
  },
  "POST /v1/workspaces/{prod}/promotions/{pid}/rollback": {
    guard: "workspace",
    write: true,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/workspaces/gamma/promotions/${await promotedGamma(f)}/rollback` }),
  },
  "GET /v1/{ws}/collections": {
    guard: "collection-list",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/collections" }),
  },
  "GET /v1/{ws}/collections/{id}": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/collections/notes" }),
  },
  "PUT /v1/{ws}/collections/{id}": {
    guard: "collection",
    write: true,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/collections/notes", body: { json_schema: { type: "object" } } }),
  },
  "DELETE /v1/{ws}/collections/{id}": {
    guard: "collection",
    write: true,
    ok: 204,
    // The collection the scenario tokens name (`notes`) is needed afterwards: delete a copy with the same rights.
    prepare: async (f) => {
      await f.admin("PUT", "/v1/alpha/collections/scratch", { json_schema: { type: "object" } });
      return { path: "/v1/alpha/collections/scratch" };
    },
  },
  "GET /v1/{ws}/records/{collection}": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/records/notes" }),
  },
  "POST /v1/{ws}/records/{collection}/query": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/records/notes/query", body: { limit: 5 } }),
  },
  "POST /v1/{ws}/records/{collection}/aggregate": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/records/notes/aggregate", body: { aggregations: [{ fn: "count" }] } }),
  },
  "PUT /v1/{ws}/records/{collection}": {
    guard: "collection",
    write: true,
    ok: 201,
    prepare: async () => ({ path: "/v1/alpha/records/notes", body: { data: { text: "new" } } }),
  },
  "GET /v1/{ws}/records/{collection}/{id}": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${f.note1}` }),
  },
  "PUT /v1/{ws}/records/{collection}/{id}": {
    guard: "collection",
    write: true,
    ok: 201,
    prepare: async () => ({ path: `/v1/alpha/records/notes/${randomUUID()}`, body: { data: { text: "by id" } } }),
  },
  "PATCH /v1/{ws}/records/{collection}/{id}": {
    guard: "collection",
    write: true,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${f.note1}`, body: { data: { extra: 1 } } }),
  },
  "DELETE /v1/{ws}/records/{collection}/{id}": {
    guard: "collection",
    write: true,
    ok: 204,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${await newNote(f)}` }),
  },
  "POST /v1/{ws}/records/{collection}/{id}/archive": {
    guard: "collection",
    write: true,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${await newNote(f)}/archive` }),
  },
  "POST /v1/{ws}/records/{collection}/{id}/cancel": {
    guard: "collection",
    write: true,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${await newNote(f)}/cancel` }),
  },
  "GET /v1/{ws}/records/{collection}/{id}/relationships": {
    guard: "collection",
    write: false,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/alpha/records/notes/${f.note1}/relationships` }),
  },
  "PUT /v1/{ws}/relationships": {
    guard: "collection",
    write: true,
    ok: 201,
    prepare: async (f) => ({
      path: "/v1/alpha/relationships",
      body: {
        rel_type: `r${randomUUID().slice(0, 8)}`,
        source_collection: "notes",
        source_id: f.note1,
        target_collection: "notes",
        target_id: f.note2,
      },
    }),
  },
  "GET /v1/{ws}/relationships": {
    guard: "collection-list",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/alpha/relationships" }),
  },
  "GET /v1/{ws}/relationships/{id}": {
    guard: "collection",
    write: false,
    ok: 200,
    except: HIDDEN_LINK,
    prepare: async (f) => ({ path: `/v1/alpha/relationships/${await newLink(f)}` }),
  },
  "DELETE /v1/{ws}/relationships/{id}": {
    guard: "collection",
    write: true,
    ok: 204,
    except: HIDDEN_LINK,
    prepare: async (f) => ({ path: `/v1/alpha/relationships/${await newLink(f)}` }),
  },
  "POST /v1/tokens": {
    guard: "account",
    write: true,
    ok: 201,
    prepare: async () => ({
      path: "/v1/tokens",
      body: { name: "minted", grants: [{ scope: { workspaces: ["alpha"] }, permissions: ["read:records"] }] },
    }),
  },
  "GET /v1/tokens": {
    guard: "account",
    write: false,
    ok: 200,
    except: USER_TOKEN_VIEW,
    prepare: async () => ({ path: "/v1/tokens" }),
  },
  "GET /v1/tokens/{id}": {
    guard: "account",
    write: false,
    ok: 200,
    except: USER_TOKEN_OTHER,
    prepare: async (f) => ({ path: `/v1/tokens/${await f.childToken()}` }),
  },
  "DELETE /v1/tokens/{id}": {
    guard: "account",
    write: true,
    ok: 204,
    except: USER_TOKEN_OTHER,
    prepare: async (f) => ({ path: `/v1/tokens/${await f.childToken()}` }),
  },
  "POST /v1/vault/secrets": {
    guard: "vault",
    write: true,
    ok: 201,
    prepare: async () => ({ path: "/v1/vault/secrets", body: { name: `n${randomUUID().slice(0, 8)}`, value: "v" } }),
  },
  "GET /v1/vault/secrets": {
    guard: "vault",
    write: false,
    ok: 200,
    prepare: async () => ({ path: "/v1/vault/secrets" }),
  },
  "GET /v1/vault/secrets/{id}": {
    guard: "vault",
    write: false,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/vault/secrets/${await newSecret(f)}` }),
  },
  "POST /v1/vault/secrets/{id}/rotate": {
    guard: "vault",
    write: true,
    ok: 200,
    prepare: async (f) => ({ path: `/v1/vault/secrets/${await newSecret(f)}/rotate`, body: { value: "w" } }),
  },
  "DELETE /v1/vault/secrets/{id}": {
    guard: "vault",
    write: true,
    ok: 204,
    prepare: async (f) => ({ path: `/v1/vault/secrets/${await newSecret(f)}` }),
  },
};

/** Unauthenticated probes: outside the matrix on purpose. */
const PUBLIC = new Set(["GET /healthz", "GET /readyz"]);

/** What a caller in each scenario gets from a route with this guard. */
function expected(c: Pick<RestCase, "guard" | "write" | "ok" | "except">, scenario: Scenario): number | "filtered" {
  if (scenario === "no token" || scenario === "expired" || scenario === "revoked") return 401;
  const exception = c.except?.[scenario];
  if (exception !== undefined) return exception;
  if (scenario === "sufficient") return c.ok;
  if (c.guard === "account" || c.guard === "vault") return 403;
  if (scenario === "read-only") return c.write ? 403 : c.ok;
  // A grant limited to some collections does not cover reading workspaces (nor listing them).
  if (c.guard === "workspace-list") return scenario === "wrong collection" ? 403 : "filtered";
  if (c.guard === "collection-list" && scenario === "wrong collection") return "filtered";
  return 403;
}

describe.each(backends())("authorization matrix on %s", (backend) => {
  let f: Fixture;
  const tokens = {} as Record<Scenario, string | undefined>;

  const snapshot = async () =>
    JSON.stringify(
      await f.t.db.query(`SELECT
        (SELECT count(*) FROM workspaces) AS workspaces,
        (SELECT string_agg(id || coalesce(description, ''), ',' ORDER BY id) FROM workspaces) AS workspace_rows,
        (SELECT count(*) || ':' || sum(version) FROM collections) AS collections,
        (SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || count(deleted_at) FROM records) AS records,
        (SELECT count(*) FROM relationships) AS relationships,
        (SELECT count(*) || ':' || count(revoked_at) FROM api_tokens) AS tokens,
        (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM vault_secrets) AS secrets,
        (SELECT count(*) || ':' || count(rolled_back_at) FROM promotions) AS promotions`),
    );

  beforeAll(async () => {
    // A roomy limit: this matrix sends a few hundred requests with each token.
    const t = await startTestServer(backend, { config: { rateLimit: { points: 0, windowSeconds: 60, burst: 0 } } });
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await t.rest(method, path, body === undefined ? {} : { body });
      return { status: res.status, body: (res.body ?? {}) as Record<string, unknown> };
    };
    for (const ws of ["alpha", "beta"]) {
      await admin("POST", "/v1/workspaces", { id: ws, name: ws });
      for (const c of ["notes", "secret"])
        await admin("PUT", `/v1/${ws}/collections/${c}`, { json_schema: { type: "object" } });
    }
    const note = async () => (await admin("PUT", "/v1/alpha/records/notes", { data: { text: "n" } })).body.id as string;
    let sufficientToken = "";
    // A token sees itself and those it created: the sufficient (user) caller acts on one it made.
    const childToken = async () => {
      const res = await t.rest("POST", "/v1/tokens", {
        body: { name: "child", grants: [{ scope: { workspaces: ["alpha"] }, permissions: ["read:records"] }] },
        headers: { authorization: `Bearer ${sufficientToken}` },
      });
      return res.body.id as string;
    };
    f = { t, admin, note1: await note(), note2: await note(), childToken };
    await newLink(f);
    await admin("PUT", "/v1/alpha/records/secret", { data: { text: "classified" } });

    const mint = async (grants: unknown[], extra: object = {}) =>
      (await admin("POST", "/v1/tokens", { name: "matrix", grants, ...extra })).body as { id: string; token: string };
    const all = ["*"];
    const expired = await mint([{ scope: { workspaces: all }, permissions: all }]);
    await t.db.query("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1", [expired.id]);
    const revoked = await mint([{ scope: { workspaces: all }, permissions: all }]);
    await admin("DELETE", `/v1/tokens/${revoked.id}`);
    const reads = ["workspaces", "collections", "records", "relationships"].map((r) => `read:${r}`);
    tokens["no token"] = undefined;
    tokens.expired = expired.token;
    tokens.revoked = revoked.token;
    tokens["wrong workspace"] = (await mint([{ scope: { workspaces: ["beta"] }, permissions: all }])).token;
    tokens["wrong collection"] = (
      await mint([{ scope: { workspaces: ["alpha", "gamma"], collections: ["secret"] }, permissions: all }], {
        type: "user",
      })
    ).token;
    tokens["wrong environment"] = (
      await mint([{ scope: { workspaces: ["alpha", "gamma"], environments: ["preview"] }, permissions: all }], {
        type: "user",
      })
    ).token;
    tokens["read-only"] = (await mint([{ scope: { workspaces: ["alpha", "gamma"] }, permissions: reads }])).token;
    tokens.sufficient = (await mint([{ scope: { workspaces: all }, permissions: all }], { type: "user" })).token;
    sufficientToken = tokens.sufficient;
  });
  afterAll(() => f?.t.close());

  it("has an entry for every REST route", async () => {
    const routes = (await registeredRoutes()).filter((r) => !r.includes("/graphql") && !PUBLIC.has(r));
    expect(routes.filter((r) => !(r in REST))).toEqual([]);
    expect(Object.keys(REST).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it.each(Object.keys(REST))(
    "%s answers each caller as its grants say, and refusals change and reveal nothing",
    async (route) => {
      const c = REST[route] as RestCase;
      const method = route.split(" ")[0] as string;
      for (const scenario of SCENARIOS) {
        const call = await c.prepare(f);
        const before = await snapshot();
        const token = tokens[scenario];
        const res = await f.t.rest(method, call.path, {
          ...(call.body === undefined ? {} : { body: call.body }),
          token: token ?? null,
        });
        const want = expected(c, scenario);
        const label = `${route} as ${scenario}: ${res.status} ${res.text.slice(0, 200)}`;
        if (want === "filtered") {
          expect(res.status, label).toBe(200);
          // Nothing of the collections or workspaces outside the grant.
          expect(res.text, label).not.toContain('"notes"');
          if (route === "GET /v1/workspaces") expect(res.text, label).not.toContain('"alpha"');
        } else {
          expect(res.status, label).toBe(want);
        }
        if (typeof want === "number" && want >= 400) {
          expect(Object.keys(res.body ?? {}), label).toEqual(["error"]);
          expect(await snapshot(), `${label}: wrote something`).toBe(before);
        }
      }
    },
  );

  /** GraphQL root fields: the same callers, the same rules (REST's statuses become extensions.code). */
  const GRAPHQL: Record<
    string,
    { guard: Guard; write: boolean; except?: RestCase["except"]; query: (f: Fixture) => Promise<string> }
  > = {
    workspaces: { guard: "workspace-list", write: false, query: async () => "{ workspaces { nodes { id } } }" },
    workspace: { guard: "workspace", write: false, query: async () => '{ workspace(id: "alpha") { id } }' },
    createWorkspace: {
      guard: "workspace",
      write: true,
      query: async (fx) => {
        await fx.admin("DELETE", "/v1/workspaces/gamma");
        return 'mutation { createWorkspace(input: {id: "gamma", name: "G"}) { id } }';
      },
    },
    updateWorkspace: {
      guard: "workspace",
      write: true,
      query: async () => 'mutation { updateWorkspace(id: "alpha", input: {description: "g"}) { id } }',
    },
    deleteWorkspace: {
      guard: "workspace",
      write: true,
      query: async (fx) => {
        await freshGamma(fx);
        return 'mutation { deleteWorkspace(id: "gamma") }';
      },
    },
    previews: {
      guard: "workspace",
      write: false,
      query: async () => '{ previews(workspaceId: "alpha") { total } }',
    },
    createPreview: {
      guard: "workspace",
      write: true,
      query: async (fx) => `mutation { createPreview(workspaceId: "gamma", name: "${await previewName(fx)}") { id } }`,
    },
    promotions: {
      guard: "workspace",
      write: false,
      query: async () => '{ promotions(workspaceId: "alpha") { total } }',
    },
    promote: {
      guard: "workspace",
      write: true,
      query: async (fx) => {
        await promotableGamma(fx);
        return 'mutation { promote(workspaceId: "gamma", from: "gamma--next") { dryRun } }';
      },
    },
    rollbackPromotion: {
      guard: "workspace",
      write: true,
      query: async (fx) =>
        `mutation { rollbackPromotion(workspaceId: "gamma", id: "${await promotedGamma(fx)}") { status } }`,
    },
    collections: {
      guard: "collection-list",
      write: false,
      query: async () => '{ collections(workspace: "alpha") { nodes { id } } }',
    },
    collection: {
      guard: "collection",
      write: false,
      query: async () => '{ collection(workspace: "alpha", id: "notes") { id } }',
    },
    upsertCollection: {
      guard: "collection",
      write: true,
      query: async () =>
        'mutation { upsertCollection(workspace: "alpha", id: "notes", input: {jsonSchema: {type: "object"}}) { created } }',
    },
    deleteCollection: {
      guard: "collection",
      write: true,
      query: async (fx) => {
        await fx.admin("PUT", "/v1/alpha/collections/scratch", { json_schema: { type: "object" } });
        return 'mutation { deleteCollection(workspace: "alpha", id: "scratch") }';
      },
    },
    records: {
      guard: "collection",
      write: false,
      query: async () => '{ records(workspace: "alpha", collection: "notes") { total } }',
    },
    aggregate: {
      guard: "collection",
      write: false,
      query: async () => '{ aggregate(workspace: "alpha", collection: "notes", aggregations: [{fn: "count"}]) }',
    },
    record: {
      guard: "collection",
      write: false,
      query: async (fx) => `{ record(workspace: "alpha", collection: "notes", id: "${fx.note1}") { id } }`,
    },
    upsertRecord: {
      guard: "collection",
      write: true,
      query: async () =>
        'mutation { upsertRecord(workspace: "alpha", collection: "notes", input: {data: {a: 1}}) { created } }',
    },
    patchRecord: {
      guard: "collection",
      write: true,
      query: async (fx) =>
        `mutation { patchRecord(workspace: "alpha", collection: "notes", id: "${fx.note1}", data: {b: 2}) { id } }`,
    },
    deleteRecord: {
      guard: "collection",
      write: true,
      query: async (fx) =>
        `mutation { deleteRecord(workspace: "alpha", collection: "notes", id: "${await newNote(fx)}") }`,
    },
    archiveRecord: {
      guard: "collection",
      write: true,
      query: async (fx) =>
        `mutation { archiveRecord(workspace: "alpha", collection: "notes", id: "${await newNote(fx)}") { id } }`,
    },
    cancelRecord: {
      guard: "collection",
      write: true,
      query: async (fx) =>
        `mutation { cancelRecord(workspace: "alpha", collection: "notes", id: "${await newNote(fx)}") { id } }`,
    },
    relationship: {
      guard: "collection",
      write: false,
      except: HIDDEN_LINK,
      query: async (fx) => `{ relationship(workspace: "alpha", id: "${await newLink(fx)}") { id } }`,
    },
    relationships: {
      guard: "collection-list",
      write: false,
      query: async () => '{ relationships(workspace: "alpha") { total } }',
    },
    upsertRelationship: {
      guard: "collection",
      write: true,
      query: async (fx) =>
        `mutation { upsertRelationship(workspace: "alpha", input: {relType: "g${randomUUID().slice(0, 6)}", sourceCollection: "notes", sourceId: "${fx.note1}", targetCollection: "notes", targetId: "${fx.note2}"}) { created } }`,
    },
    deleteRelationship: {
      guard: "collection",
      write: true,
      except: HIDDEN_LINK,
      query: async (fx) => `mutation { deleteRelationship(workspace: "alpha", id: "${await newLink(fx)}") }`,
    },
    tokens: {
      guard: "account",
      write: false,
      except: USER_TOKEN_VIEW,
      query: async () => "{ tokens { nodes { name } } }",
    },
    token: {
      guard: "account",
      write: false,
      except: USER_TOKEN_OTHER,
      query: async (fx) => `{ token(id: "${await fx.childToken()}") { id } }`,
    },
    createToken: {
      guard: "account",
      write: true,
      query: async () =>
        'mutation { createToken(input: {name: "g", grants: [{scope: {workspaces: ["alpha"]}, permissions: ["read:records"]}]}) { secret } }',
    },
    revokeToken: {
      guard: "account",
      write: true,
      except: USER_TOKEN_OTHER,
      query: async (fx) => `mutation { revokeToken(id: "${await fx.childToken()}") { id } }`,
    },
    vaultSecrets: { guard: "vault", write: false, query: async () => "{ vaultSecrets { id } }" },
    vaultSecret: {
      guard: "vault",
      write: false,
      query: async (fx) => `{ vaultSecret(id: "${await newSecret(fx)}") { id } }`,
    },
    createVaultSecret: {
      guard: "vault",
      write: true,
      query: async () =>
        `mutation { createVaultSecret(input: {name: "g${randomUUID().slice(0, 6)}", value: "v"}) { id } }`,
    },
    rotateVaultSecret: {
      guard: "vault",
      write: true,
      query: async (fx) => `mutation { rotateVaultSecret(id: "${await newSecret(fx)}", value: "w") { id } }`,
    },
    deleteVaultSecret: {
      guard: "vault",
      write: true,
      query: async (fx) => `mutation { deleteVaultSecret(id: "${await newSecret(fx)}") }`,
    },
  };

  it("has an entry for every GraphQL root field", () => {
    const fields = [
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
    ];
    expect(fields.filter((name) => !(name in GRAPHQL))).toEqual([]);
    expect(Object.keys(GRAPHQL).filter((name) => !fields.includes(name))).toEqual([]);
  });

  it.each(Object.keys(GRAPHQL))("GraphQL %s answers each caller as REST would", async (field) => {
    const entry = GRAPHQL[field] as (typeof GRAPHQL)[string];
    for (const scenario of SCENARIOS) {
      const query = await entry.query(f);
      const before = await snapshot();
      const token = tokens[scenario];
      const res = await f.t.gql(query, {}, { token: token ?? null });
      const want = expected({ guard: entry.guard, write: entry.write, ok: 200, except: entry.except }, scenario);
      const label = `${field} as ${scenario}: ${res.status} ${res.text.slice(0, 200)}`;
      if (want === 401) {
        expect(res.status, label).toBe(401);
      } else if (want === 403 || want === 404) {
        expect(res.body.errors?.[0]?.extensions?.code, label).toBe(want === 403 ? "FORBIDDEN" : "NOT_FOUND");
        expect(res.body.data ?? null, label).toBeNull();
      } else {
        expect(res.body.errors, label).toBeUndefined();
        if (want === "filtered") {
          expect(res.text, label).not.toContain('"notes"');
          if (field === "workspaces") expect(res.text, label).not.toContain('"alpha"');
          if (field === "tokens") expect(res.text, label).not.toContain('"child"');
        }
      }
      if (typeof want === "number" && want >= 400) expect(await snapshot(), `${label}: wrote something`).toBe(before);
    }
  });
});
