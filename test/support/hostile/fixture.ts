import { contactSchema } from "../fixtures.ts";
import { TEST_TOKEN, type TestServer } from "../server.ts";
import { FIXTURE, type HostileTokens, recordsPath } from "./case.ts";
import { REDOS_PATTERNS } from "./schemas.ts";

async function expectStatus(result: Promise<{ status: number; text: string }>, status: number, what: string) {
  const r = await result;
  if (r.status !== status) throw new Error(`hostile fixture: ${what}: ${r.status} ${r.text}`);
  return r;
}

/**
 * The workspace every hostile case addresses, created through the public API. Only `rest` is needed, so the load
 * bench (bench/hostile.ts) seeds a server process with it too; `rest` sends `adminToken` when given no token.
 */
export async function seedHostile(t: Pick<TestServer, "rest">, adminToken = TEST_TOKEN): Promise<HostileTokens> {
  const ws = FIXTURE.workspace;
  await expectStatus(t.rest("POST", "/v1/workspaces", { body: { id: ws, name: "Hostile" } }), 201, "workspace");
  const collections: [string, object][] = [
    [FIXTURE.open, { type: "object" }],
    [FIXTURE.typed, contactSchema],
    [FIXTURE.hidden, { type: "object" }],
    // ReDoS cases write records here: one catastrophic-backtracking pattern per property.
    [
      FIXTURE.patterned,
      {
        type: "object",
        properties: Object.fromEntries(
          Object.entries(REDOS_PATTERNS).map(([field, pattern]) => [field, { type: "string", pattern }]),
        ),
      },
    ],
  ];
  for (const [id, json_schema] of collections) {
    await expectStatus(
      t.rest("PUT", `/v1/${ws}/collections/${id}`, { body: { name: id, json_schema } }),
      201,
      `collection ${id}`,
    );
  }
  await expectStatus(
    t.rest("PUT", recordsPath(FIXTURE.open), {
      body: { id: FIXTURE.record, external_id: FIXTURE.externalId, data: { title: "first" } },
    }),
    201,
    "record",
  );
  await expectStatus(
    t.rest("PUT", recordsPath(FIXTURE.hidden), {
      body: { id: FIXTURE.hiddenRecord, external_id: "hidden-1", data: { secret: true } },
    }),
    201,
    "hidden record",
  );
  const reader = await expectStatus(
    t.rest("POST", "/v1/tokens", {
      body: {
        name: "hostile reader",
        type: "service",
        grants: [{ scope: { workspaces: [ws], collections: [FIXTURE.open] }, permissions: ["read:records"] }],
      },
    }),
    201,
    "reader token",
  );
  return { admin: adminToken, reader: (JSON.parse(reader.text) as { token: string }).token };
}

/** Everything a refused request must leave as it was: row counts and version sums of every stored kind. */
export async function storageSnapshot(t: TestServer): Promise<string> {
  const rows = await t.db.query(
    `SELECT
       (SELECT count(*)::int FROM workspaces) AS workspaces,
       (SELECT count(*)::int || ':' || coalesce(sum(version), 0)::text FROM collections) AS collections,
       (SELECT count(*)::int || ':' || coalesce(sum(version), 0)::text || ':' || count(deleted_at)::text
          FROM records) AS records,
       (SELECT count(*)::int FROM relationships) AS relationships,
       (SELECT count(*)::int || ':' || count(revoked_at)::text FROM api_tokens) AS tokens`,
  );
  return JSON.stringify(rows[0]);
}
