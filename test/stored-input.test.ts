// biome-ignore-all lint/suspicious/noExplicitAny: answers are untyped JSON read for their fields.
import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numberTokenProblem } from "../src/json/number-token.ts";
import { firstUnfaithfulNumber } from "../src/json/scan.ts";
import { firstInvalidUtf8 } from "../src/json/utf8.ts";
import { storableProblem } from "../src/resolvers/storable.ts";
import { backends } from "./support/database.ts";
import { seedContacts } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const JSON_TYPE = { "content-type": "application/json" };
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("the rules for what can be stored", () => {
  it("finds invalid UTF-8 exactly where Node's own check does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(firstInvalidUtf8(bytes) === -1).toBe(isUtf8(bytes));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(firstInvalidUtf8(Buffer.from(text))).toBe(-1);
      }),
    );
  });

  it("keeps every number a double holds as written and refuses the rest", () => {
    for (const kept of [
      "0",
      "-0",
      "0.1",
      "9007199254740991",
      "-9007199254740991",
      "1.7976931348623157e308",
      "5e-324",
    ]) {
      expect(numberTokenProblem(kept), kept).toBeUndefined();
    }
    expect(numberTokenProblem("1e309")).toMatch(/beyond the range/);
    expect(numberTokenProblem("1e-400")).toMatch(/would become 0/);
    expect(numberTokenProblem("0.0e-999")).toBeUndefined();
    expect(numberTokenProblem("9007199254740992")).toBeUndefined();
    expect(numberTokenProblem("100000000000000000000")).toBeUndefined();
    expect(numberTokenProblem("-9007199254740993")).toMatch(/cannot hold exactly/);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = JSON.stringify({ v: [value] });
        // What JSON.stringify writes for a finite double is always stored as written (integers as e-notation).
        expect(firstUnfaithfulNumber(text)).toBeUndefined();
      }),
    );
  });

  it("names the path of the value it refuses, through arrays and keys", () => {
    expect(firstUnfaithfulNumber('{"a":[1,{"b\\"c":2,"d":1e999}]}')).toEqual({
      path: "a.1.d",
      message: "1e999 is beyond the range of a stored number (about ±1.8e308)",
    });
    expect(storableProblem({ a: [0, { "k\u0000": 1 }] }, "data", 64)?.path).toBe("data.a.1.k\u0000");
    expect(storableProblem(JSON.parse(nested(10_000)), "data", 64)?.path).toBe(`data${".a".repeat(64)}`);
    expect(storableProblem(JSON.parse(nested(64)), "data", 64)).toBeUndefined();
  });
});

describe.each(backends())("stored input on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
    await seedContacts(t);
    const open = await t.rest("PUT", "/v1/crm/collections/notes", {
      body: { name: "Notes", json_schema: { type: "object" } },
    });
    expect(open.status).toBe(201);
  });
  afterAll(() => t?.close());

  it("stores __proto__ and constructor keys like any other key, and pollutes no prototype", async () => {
    const data =
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"n":{"__proto__":[1]}}';
    const put = await t.rest("PUT", "/v1/crm/records/notes", { rawBody: `{"data":${data}}`, headers: JSON_TYPE });
    expect(put.status).toBe(201);
    const read = await t.rest("GET", `/v1/crm/records/notes/${put.body.id}`);
    // jsonb orders keys by length, so compare values, not text.
    expect(read.body.data).toEqual(JSON.parse(data));
    expect(Object.keys(read.body.data).sort()).toEqual(["__proto__", "constructor", "n"]);

    const patch = await t.rest("PATCH", `/v1/crm/records/notes/${put.body.id}`, {
      rawBody: '{"data":{"__proto__":{"replaced":true}}}',
      headers: JSON_TYPE,
    });
    expect(patch.status).toBe(200);
    expect(patch.body.data).toEqual(JSON.parse(data.replace('{"polluted":"yes"}', '{"replaced":true}')));

    // GraphQL variables arrive through the same parser. (A `__proto__` key in a JSON *literal* is dropped by the
    // compiled executor, graphql-jit, not by this parser: left to the executor's owner.)
    const query =
      'mutation($d: JSON!) { upsertRecord(workspace: "crm", collection: "notes", input: {data: $d}) { record { data } } }';
    const gql = await t.rest("POST", "/graphql", {
      rawBody: `{"query":${JSON.stringify(query)},"variables":{"d":{"__proto__":{"polluted":"yes"}}}}`,
      headers: JSON_TYPE,
    });
    expect(JSON.stringify(gql.body.data.upsertRecord.record.data)).toBe('{"__proto__":{"polluted":"yes"}}');
    // The server runs in this process: any pollution would show here.
    expect(({} as any).polluted).toBeUndefined();
    expect(({} as any).replaced).toBeUndefined();

    // A closed schema names the key it refuses, as for any unknown key.
    const closed = await t.rest("PUT", "/v1/crm/records/contacts", {
      rawBody: '{"data":{"name":"A","__proto__":{}}}',
      headers: JSON_TYPE,
    });
    expect(closed.status).toBe(400);
    expect(closed.body.error.details.map((d: any) => d.path)).toContain("data.__proto__");
  });

  it("stores numbers at the edge of what a double holds exactly as sent", async () => {
    const data =
      '{"max":9007199254740991,"min":-9007199254740991,"p53":9007199254740992,"e20":100000000000000000000,"big":1.7976931348623157e+308,"tiny":5e-324,"f":0.1}';
    const put = await t.rest("PUT", "/v1/crm/records/notes", { rawBody: `{"data":${data}}`, headers: JSON_TYPE });
    expect(put.status).toBe(201);
    const read = await t.rest("GET", `/v1/crm/records/notes/${put.body.id}`);
    expect(read.body.data).toEqual(JSON.parse(data));
    expect(read.text).toContain('"e20":100000000000000000000');
  });

  it("refuses 1e309, 1e-400 and 2^53 + 1 instead of storing null, 0 or a neighbour", async () => {
    for (const [token, message] of [
      ["1e309", "1e309 is beyond the range of a stored number (about ±1.8e308)"],
      ["1e-400", "1e-400 is too small to be stored and would become 0"],
      [
        "9007199254740993",
        "9007199254740993 is an integer a double cannot hold exactly (it would become 9007199254740992); send it as a string",
      ],
    ]) {
      const put = await t.rest("PUT", "/v1/crm/records/notes", {
        rawBody: `{"data":{"list":[0,${token}]}}`,
        headers: JSON_TYPE,
      });
      expect(put.status).toBe(400);
      expect(put.body).toEqual({
        error: {
          code: "VALIDATION_ERROR",
          message: "Request body holds a number that cannot be stored as written",
          details: [{ path: "data.list.1", message }],
        },
      });
    }
  });

  it("accepts data nested to the maximum depth and refuses one level more, ten thousand levels alike", async () => {
    expect(
      (await t.rest("PUT", "/v1/crm/records/notes", { rawBody: `{"data":${nested(64)}}`, headers: JSON_TYPE })).status,
    ).toBe(201);
    for (const levels of [65, 10_000]) {
      const put = await t.rest("PUT", "/v1/crm/records/notes", {
        rawBody: `{"data":${nested(levels)}}`,
        headers: JSON_TYPE,
      });
      expect(put.status).toBe(400);
      expect(put.body.error.details).toEqual([
        { path: `data${".a".repeat(64)}`, message: "is nested deeper than the maximum of 64 levels" },
      ]);
    }
  });

  it("reads JSON with a UTF-8 charset parameter, and refuses other charsets and types with the envelope", async () => {
    for (const type of [
      "application/json; charset=utf-8",
      'application/json; charset="UTF-8"',
      "application/json;charset=utf8",
    ]) {
      const put = await t.rest("PUT", "/v1/crm/records/notes", {
        rawBody: '{"data":{}}',
        headers: { "content-type": type },
      });
      expect(put.status, type).toBe(201);
    }
    const strict = await t.rest("POST", "/graphql", {
      rawBody: '{"query":"{ __typename }"}',
      headers: { "content-type": "application/json; charset=utf-8", accept: "application/graphql-response+json" },
    });
    expect(strict.status).toBe(200);
    expect(strict.body).toEqual({ data: { __typename: "Query" } });

    const rest = await t.rest("PUT", "/v1/crm/records/notes", {
      rawBody: '{"data":{}}',
      headers: { "content-type": "text/plain" },
    });
    expect(rest.status).toBe(415);
    expect(rest.body).toEqual({
      error: {
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Request bodies must be JSON (Content-Type: application/json)",
        details: [],
      },
    });
    const gql = await t.rest("POST", "/graphql", {
      rawBody: '{"query":"{ __typename }"}',
      headers: { "content-type": "text/plain" },
    });
    expect(gql.status).toBe(415);
    expect(gql.body).toEqual({
      errors: [
        {
          message: "Request bodies must be JSON (Content-Type: application/json)",
          extensions: { code: "UNSUPPORTED_MEDIA_TYPE", details: [] },
        },
      ],
    });
    const latin1 = await t.rest("PUT", "/v1/crm/records/notes", {
      rawBody: '{"data":{}}',
      headers: { "content-type": "application/json; charset=latin1" },
    });
    expect(latin1.status).toBe(415);
    expect(latin1.body.error.message).toBe("JSON bodies must be UTF-8, not charset=latin1");
  });

  it("answers URLs that are not valid percent-encoding, or hold %00, with a 400 envelope", async () => {
    const bad = await t.rest("GET", "/v1/%");
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: {
        code: "VALIDATION_ERROR",
        message: "The URL is not valid",
        details: [{ path: "url", message: "is not valid percent-encoding of UTF-8 (e.g. a lone '%')" }],
      },
    });
    expect(bad.headers["x-request-id"]).toBeTruthy();
    const nul = await t.rest("GET", "/v1/crm%00/records/notes");
    expect(nul.status).toBe(400);
    expect(nul.body.error.details).toEqual([
      { path: "params.ws", message: "contains a control character (such as %00), which no path segment may hold" },
    ]);
  });

  it("answers invalid UTF-8 with the path of the string that holds it", async () => {
    const body = Buffer.concat([Buffer.from('{"data":{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}}')]);
    const put = await t.rest("PUT", "/v1/crm/records/notes", { rawBody: body, headers: JSON_TYPE });
    expect(put.status).toBe(400);
    expect(put.body.error.details).toEqual([
      { path: "data.name", message: "holds bytes that are not UTF-8 (at byte 20); send text as UTF-8" },
    ]);
  });
});

describe.each(backends())("an unexpected error on %s", (backend) => {
  it("is logged once with the request id and answered with that id", async () => {
    const t = await startTestServer(backend);
    try {
      await seedContacts(t);
      await t.db.query("ALTER TABLE records RENAME TO records_gone");
      const res = await t.rest("GET", "/v1/crm/records/contacts", { headers: { "x-request-id": "once-1" } });
      expect(res.status).toBe(500);
      expect(res.body.error.request_id).toBe("once-1");
      expect(res.headers["x-request-id"]).toBe("once-1");
      const errors = t.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId === "once-1" && l.level >= 50);
      expect(errors).toHaveLength(1);
      await t.db.query("ALTER TABLE records_gone RENAME TO records");
    } finally {
      await t.close();
    }
  });
});
