import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoInstant } from "../src/rest/iso-instant.ts";
import { recordJson, recordJsonText } from "../src/rest/serialize.ts";
import { dataTextOf, RecordWithDataText } from "../src/sources/data-text.ts";
import type { RecordRow } from "../src/sources/record-source.ts";

// The REST layer writes pages of records as text (data as PostgreSQL returned it); these hold that text to the
// object form every other response uses.

const STORED = '{"amount": 5000.10, "customer": {"name": "Zoë \\"Z\\""}, "tags": ["a", "b"]}';

function pageRecord(flags: { archived?: boolean; cancelled?: boolean } = {}): RecordWithDataText {
  return new RecordWithDataText(
    "0195d0a4-3c1b-7c2e-9d4a-1b2c3d4e5f60",
    "acme",
    "invoices",
    "in_1",
    "stripe",
    3,
    flags.archived ?? false,
    flags.cancelled ?? false,
    new Date("2026-11-23T10:00:00.123Z"),
    new Date("2026-11-23T11:00:00.004Z"),
    null,
    STORED,
  );
}

describe("a record's JSON text", () => {
  it("is the record's JSON object, field for field, whatever flags it carries", () => {
    for (const record of [pageRecord(), pageRecord({ archived: true }), pageRecord({ cancelled: true })]) {
      const expected = recordJson(pageRecord({ archived: record.archived, cancelled: record.cancelled }));
      expect(JSON.parse(recordJsonText(record))).toEqual(expected);
    }
    const scored = Object.assign(pageRecord(), { _search_score: 0.42 });
    expect(JSON.parse(recordJsonText(scored))).toMatchObject({ _search_score: 0.42 });
  });

  it("writes data as stored, without parsing it", () => {
    const record = pageRecord();
    expect(recordJsonText(record)).toContain(`"data":${STORED},`);
    expect(record.dataText).toBe(STORED);
  });

  it("writes data that was read or replaced as the value it now holds", () => {
    const read = pageRecord();
    expect(read.data).toEqual({ amount: 5000.1, customer: { name: 'Zoë "Z"' }, tags: ["a", "b"] });
    expect(read.dataText).toBeUndefined();
    expect(JSON.parse(dataTextOf(read))).toEqual(read.data);

    const replaced = pageRecord();
    replaced.data = { only: true };
    expect(JSON.parse(recordJsonText(replaced)).data).toEqual({ only: true });
  });

  it("serialises plain records too", () => {
    const plain: RecordRow = { ...recordJsonFields(), data: { n: 1 } };
    expect(JSON.parse(recordJsonText(plain))).toEqual(recordJson(plain));
  });
});

function recordJsonFields(): Omit<RecordRow, "data"> {
  const r = pageRecord();
  return {
    id: r.id,
    workspaceId: r.workspaceId,
    collectionId: r.collectionId,
    externalId: null,
    externalSource: null,
    version: 1,
    archived: false,
    cancelled: false,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deletedAt: null,
  };
}

describe("isoInstant", () => {
  it("equals toISOString for every instant, including before 1970 and after year 9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [0, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, -1]) {
      expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
    }
  });

  it("covers the four-digit years densely", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(isoInstant(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 50_000 },
    );
  });
});
