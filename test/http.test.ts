import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./support/database.ts";
import { countRows, seedContacts } from "./support/fixtures.ts";
import { httpRequest, startTestServer, TEST_TOKEN, type TestServer } from "./support/server.ts";

describe.each(backends())("HTTP behaviour on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
    await seedContacts(t);
  });
  afterAll(() => t?.close());

  it("answers /healthz and /readyz without a token", async () => {
    expect((await t.rest("GET", "/healthz", { token: null })).body).toEqual({ status: "ok" });
    expect((await t.rest("GET", "/readyz", { token: null })).body).toEqual({ status: "ok" });
  });

  it.each([
    ["no header", null],
    ["a wrong token", "rec_not_the_token_at_all"],
    ["a token prefix of the right one", TEST_TOKEN.slice(0, -1)],
  ])("refuses /v1 with %s: 401 UNAUTHORIZED envelope", async (_name, token) => {
    const res = await t.rest("GET", "/v1/workspaces", { token });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="recordgate"');
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.body.error.details).toEqual([]);
  });

  it("refuses a non-bearer scheme", async () => {
    const res = await t.rest("GET", "/v1/workspaces", { headers: { authorization: `Basic ${TEST_TOKEN}` } });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("Malformed Authorization header: expected 'Bearer <token>'");
  });

  it("rejects malformed JSON with 400 and writes nothing", async () => {
    const before = await countRows(t, "records");
    const res = await t.rest("PUT", "/v1/crm/records/contacts", {
      rawBody: '{"data": {"name": "x"',
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
    expect(res.body.error.message).toBe("Malformed JSON body");
    expect(await countRows(t, "records")).toBe(before);
  });

  it("rejects a body that is not JSON with 415", async () => {
    const res = await t.rest("PUT", "/v1/crm/records/contacts", {
      rawBody: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("rejects an empty JSON body with 400", async () => {
    const res = await t.rest("PUT", "/v1/crm/records/contacts", {
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_ERROR");
  });

  it("rejects a body over the size limit with 413", async () => {
    const res = await t.rest("PUT", "/v1/crm/records/contacts", {
      body: { data: { name: "x".repeat(1024 * 1024 + 10) } },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers an unknown route with a 404 envelope", async () => {
    const res = await t.rest("GET", "/v1/crm/nothing/here/at/all");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: "NOT_FOUND", message: "No route for GET /v1/crm/nothing/here/at/all", details: [] },
    });
  });

  it("returns the request id, echoing a caller's X-Request-Id", async () => {
    const own = await t.rest("GET", "/v1/workspaces");
    expect(own.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const given = await t.rest("GET", "/v1/workspaces", { headers: { "x-request-id": "trace-abc.123" } });
    expect(given.headers["x-request-id"]).toBe("trace-abc.123");
    expect(t.logs.some((line) => JSON.parse(line).reqId === "trace-abc.123")).toBe(true);
  });

  it("never writes the admin token into a log line", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.filter((line) => line.includes(TEST_TOKEN))).toEqual([]);
  });
});

describe.each(backends())("unexpected failures on %s", (backend) => {
  it("masks a database failure as 500 INTERNAL_ERROR, logs it with the request id, and reports not ready", async () => {
    const t = await startTestServer(backend);
    try {
      await seedContacts(t);
      // Pull the database out from under the running server.
      await t.db.drop();
      const rest = await t.rest("GET", "/v1/crm/records/contacts", { headers: { "x-request-id": "boom-1" } });
      expect(rest.status).toBe(500);
      expect(rest.body).toEqual({
        error: { code: "INTERNAL_ERROR", message: "Unexpected server error", details: [], request_id: "boom-1" },
      });
      expect(rest.text).not.toMatch(/records|SELECT|at .*\.ts|node_modules/);
      const logged = t.logs.map((l) => JSON.parse(l)).find((l) => l.reqId === "boom-1" && l.level === 50);
      expect(logged?.err?.message).toBeTruthy();

      const gql = await httpRequest(`${t.url}/graphql`, "POST", {
        body: { query: '{ records(workspace: "crm", collection: "contacts") { total } }' },
        headers: { "x-request-id": "boom-2" },
      });
      expect(gql.body.errors).toEqual([
        {
          message: "Unexpected server error",
          path: ["records"],
          locations: [{ line: 1, column: 3 }],
          extensions: { code: "INTERNAL_ERROR", requestId: "boom-2" },
        },
      ]);
      expect(t.logs.some((l) => JSON.parse(l).reqId === "boom-2" && JSON.parse(l).level === 50)).toBe(true);

      const ready = await t.rest("GET", "/readyz", { token: null });
      expect(ready.status).toBe(503);
    } finally {
      await t.close();
    }
  });
});
