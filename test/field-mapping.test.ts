import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileMapping, MappingConfigError, MappingError } from "../src/sources/mapping/index.ts";

// The field-mapping DSL is pure, so this file needs no database: examples per feature, round-trip properties, and
// the exact locations of configuration errors.

const map = (to_external: Record<string, unknown>) => compileMapping({ to_external });

function problemsOf(config: unknown, at?: string): string[] {
  try {
    compileMapping(config, at);
  } catch (error) {
    if (error instanceof MappingConfigError) return error.details.map((detail) => detail.path);
    throw error;
  }
  return [];
}

function mappingErrorOf(run: () => unknown): MappingError {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error("expected a MappingError");
}

describe("paths", () => {
  it("renames a field both ways", () => {
    const m = map({ name: "full_name" });
    expect(m.toExternal({ name: "Zoë" })).toEqual({ full_name: "Zoë" });
    expect(m.fromExternal({ full_name: "Zoë" })).toEqual({ name: "Zoë" });
  });

  it("writes nested paths into one shared object and reads them back", () => {
    const m = map({ city: "address.city", zip: { path: "address.postal_code" } });
    const ext = m.toExternal({ city: "Lyon", zip: "69001" });
    expect(ext).toEqual({ address: { city: "Lyon", postal_code: "69001" } });
    expect(m.fromExternal(ext)).toEqual({ city: "Lyon", zip: "69001" });
  });

  it("swaps two names without either leaking through", () => {
    const m = map({ a: "b", b: "a" });
    expect(m.toExternal({ a: 1, b: 2 })).toEqual({ b: 1, a: 2 });
    expect(m.fromExternal({ a: 2, b: 1 })).toEqual({ a: 1, b: 2 });
  });

  it("reads a missing or mistyped intermediate as absent", () => {
    const m = map({ city: "address.city" });
    expect(m.fromExternal({})).toEqual({});
    expect(m.fromExternal({ address: "Lyon" })).toEqual({});
    expect(m.fromExternal({ address: ["Lyon"] })).toEqual({});
    // Own keys only: an inherited member is not a value.
    expect(map({ c: "constructor" }).fromExternal({})).toEqual({});
  });

  it("writes array indexes by creating the array, null-filling skipped slots", () => {
    const m = map({ first: "items[0].name", third: "items[2].name" });
    const ext = m.toExternal({ first: "a", third: "c" });
    expect(ext).toEqual({ items: [{ name: "a" }, null, { name: "c" }] });
    expect(m.fromExternal(ext)).toEqual({ first: "a", third: "c" });
    expect(m.fromExternal({ items: [{ name: "a" }] })).toEqual({ first: "a" });
  });

  it("reads every element through [] and drops elements without the rest of the path", () => {
    const m = map({ names: "items[].name" });
    expect(m.fromExternal({ items: [{ name: "a" }, {}, { name: null }, { name: "b" }] })).toEqual({
      names: ["a", null, "b"],
    });
    expect(m.fromExternal({ items: "nope" })).toEqual({});
    expect(m.readOnly).toEqual(["names"]);
  });
});

describe("array_mode", () => {
  const ext = { tags: ["a", "b", "c"], lines: [{ ids: [1, 2] }, { ids: [3] }, { ids: 4 }] };

  it("picks the first or last element, or flattens one level", () => {
    const m = map({
      first: { path: "tags", array_mode: "first" },
      last: { path: "tags", array_mode: "last" },
      ids: { path: "lines[].ids", array_mode: "flatten" },
      firstIds: { path: "lines[].ids", array_mode: "first" },
    });
    expect(m.fromExternal(ext)).toEqual({ first: "a", last: "c", ids: [1, 2, 3, 4], firstIds: [1, 2] });
  });

  it("leaves non-arrays alone and treats an empty array as absent for first/last", () => {
    const m = map({ first: { path: "tags", array_mode: "first" }, last: { path: "tags", array_mode: "last" } });
    expect(m.fromExternal({ tags: "solo" })).toEqual({ first: "solo", last: "solo" });
    expect(m.fromExternal({ tags: [] })).toEqual({});
  });

  it("returns an array as is without array_mode", () => {
    expect(map({ tags: "tags" }).fromExternal({ tags: ["a", "b"] })).toEqual({ tags: ["a", "b"] });
  });

  it("writes first as a one-element array and skips read-only fields", () => {
    const m = map({
      tag: { path: "tags", array_mode: "first" },
      last: { path: "history", array_mode: "last" },
      all: { path: "lines[].id" },
      flat: { path: "matrix", array_mode: "flatten" },
    });
    expect(m.readOnly).toEqual(["last", "all", "flat"]);
    expect(m.invertible).toBe(false);
    expect(m.toExternal({ tag: "a", last: 1, all: [1], flat: [2] })).toEqual({ tags: ["a"] });
    expect(m.toExternal({ tag: null })).toEqual({ tags: null });
  });
});

describe("values", () => {
  const m = map({ status: { path: "state", values: { active: "ACTIVE", paused: 2, closed: false } } });

  it("maps Recordgate values to external values and back, type-exactly", () => {
    expect(m.toExternal({ status: "active" })).toEqual({ state: "ACTIVE" });
    expect(m.toExternal({ status: "paused" })).toEqual({ state: 2 });
    expect(m.toExternal({ status: "closed" })).toEqual({ state: false });
    expect(m.fromExternal({ state: false })).toEqual({ status: "closed" });
    expect(m.fromExternal({ state: "2" })).toEqual({ status: "2" });
  });

  it("refuses an unmapped value on write, naming the field", () => {
    const error = mappingErrorOf(() => m.toExternal({ status: "archived" }));
    expect(error).toMatchObject({ direction: "write", field: "status", externalPath: "state" });
    expect(error.details).toEqual([
      { path: "status", message: "\"archived\" is not one of 'active', 'paused', 'closed'" },
    ]);
    expect(mappingErrorOf(() => m.toExternal({ status: 2 })).field).toBe("status");
  });

  it("passes an unmapped external value through on read", () => {
    expect(m.fromExternal({ state: "TRIALING" })).toEqual({ status: "TRIALING" });
  });

  it("passes null through both ways", () => {
    expect(m.toExternal({ status: null })).toEqual({ state: null });
    expect(m.fromExternal({ state: null })).toEqual({ status: null });
  });
});

describe("transforms", () => {
  const read = (transform: string, value: unknown, extra: Record<string, unknown> = {}) =>
    map({ f: { path: "x", transform, ...extra } }).fromExternal({ x: value }).f;
  const write = (transform: string, value: unknown, extra: Record<string, unknown> = {}) =>
    map({ f: { path: "x", transform, ...extra } }).toExternal({ f: value }).x;

  it("normalises strings with lowercase, uppercase and trim in both directions", () => {
    expect([read("lowercase", "AbC"), write("lowercase", "AbC")]).toEqual(["abc", "abc"]);
    expect([read("uppercase", "AbC"), write("uppercase", "AbC")]).toEqual(["ABC", "ABC"]);
    expect([read("trim", "  a b "), write("trim", "  a b ")]).toEqual(["a b", "a b"]);
    expect([read("lowercase", 5), read("trim", true)]).toEqual([5, true]);
  });

  it("converts with to_string on read and sends the value as is", () => {
    expect([read("to_string", 12.5), read("to_string", true), read("to_string", { a: 1 })]).toEqual([
      "12.5",
      "true",
      '{"a":1}',
    ]);
    expect(write("to_string", "12.5")).toBe("12.5");
  });

  it("converts numeric strings with to_number and refuses anything else", () => {
    expect([read("to_number", "-1.5e3"), read("to_number", 7), write("to_number", 7)]).toEqual([-1500, 7, 7]);
    for (const bad of ["", " 1", "0x10", "Infinity", "1e999", true, [1]]) {
      expect(mappingErrorOf(() => read("to_number", bad))).toMatchObject({ direction: "read", field: "f" });
    }
  });

  it("converts the documented spellings with to_boolean and refuses the rest", () => {
    expect([true, "true", 1, "1", false, "false", 0, "0"].map((v) => read("to_boolean", v))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(write("to_boolean", false)).toBe(false);
    for (const bad of ["yes", "TRUE", 2, {}]) expect(mappingErrorOf(() => read("to_boolean", bad)).field).toBe("f");
  });

  it("reads unix seconds and zoned ISO strings as ISO-8601 UTC with iso_date", () => {
    expect(read("iso_date", 1_700_000_000)).toBe("2023-11-14T22:13:20.000Z");
    expect(read("iso_date", 1_700_000_000.5)).toBe("2023-11-14T22:13:20.500Z");
    expect(read("iso_date", "2026-03-01T10:00:00+01:00")).toBe("2026-03-01T09:00:00.000Z");
    expect(read("iso_date", "2026-03-01")).toBe("2026-03-01T00:00:00.000Z");
    // A zone-less date-time would depend on the server's time zone; 02-30 would silently become March 2nd.
    expect(read("iso_date", "2024-02-29T23:59:59.999Z")).toBe("2024-02-29T23:59:59.999Z");
    for (const bad of ["2026-03-01T10:00:00", "2026-02-30", "2026-02-29T00:00:00.000Z", "yesterday", true, 1e20]) {
      expect(mappingErrorOf(() => read("iso_date", bad)).field).toBe("f");
    }
  });

  it("writes iso_date as is, or as whole unix seconds with external_format unix", () => {
    expect(write("iso_date", "2023-11-14T22:13:20.999Z")).toBe("2023-11-14T22:13:20.999Z");
    expect(write("iso_date", "2023-11-14T22:13:20.999Z", { external_format: "unix" })).toBe(1_700_000_000);
    expect(write("iso_date", "1969-12-31T23:59:59.500Z", { external_format: "unix" })).toBe(-1);
    expect(mappingErrorOf(() => write("iso_date", "soon", { external_format: "unix" })).direction).toBe("write");
    expect(map({ f: { path: "x", transform: "iso_date", external_format: "unix" } }).invertible).toBe(false);
  });

  it("applies transform and values to each element after [] or flatten", () => {
    const m = map({
      codes: { path: "items[].code", transform: "uppercase", values: { gold: "G" } },
      all: { path: "groups[].tags", array_mode: "flatten", transform: "trim" },
    });
    expect(
      m.fromExternal({ items: [{ code: "g" }, { code: "s" }], groups: [{ tags: [" a"] }, { tags: ["b "] }] }),
    ).toEqual({
      codes: ["gold", "S"],
      all: ["a", "b"],
    });
  });

  it("leaves null to the default and otherwise untouched", () => {
    expect(read("to_boolean", null)).toBeNull();
    expect(read("to_number", null, { default: "3" })).toBe(3);
  });
});

describe("default", () => {
  const m = map({ region: { path: "region", default: "eu" }, tags: { path: "meta.tags", default: [] } });

  it("fills undefined and null on read", () => {
    expect(m.fromExternal({})).toEqual({ region: "eu", tags: [] });
    expect(m.fromExternal({ region: null, meta: { tags: null } })).toEqual({ region: "eu", tags: [] });
  });

  it("fills only an absent field on write; null is written", () => {
    expect(m.toExternal({})).toEqual({ region: "eu", meta: { tags: [] } });
    expect(m.toExternal({ region: null, tags: ["x"] })).toEqual({ region: null, meta: { tags: ["x"] } });
  });

  it("hands out a fresh copy of an object default each time", () => {
    const first = m.fromExternal({}).tags as unknown[];
    first.push("mutated");
    expect(m.fromExternal({}).tags).toEqual([]);
  });

  it("goes through values as a Recordgate value on write and reads back as itself", () => {
    const status = map({ status: { path: "state", values: { active: "A", inactive: "I" }, default: "inactive" } });
    expect(status.toExternal({})).toEqual({ state: "I" });
    expect(status.fromExternal({})).toEqual({ status: "inactive" });
  });
});

describe("pass-through of unmapped fields", () => {
  const m = map({ state: "status", email: "contact.email" });

  it("copies unmapped keys under the same name both ways", () => {
    expect(m.toExternal({ state: "a", note: "n", nested: { x: 1 } })).toEqual({
      status: "a",
      note: "n",
      nested: { x: 1 },
    });
    expect(m.fromExternal({ status: "a", livemode: false })).toEqual({ state: "a", livemode: false });
  });

  it("drops keys reserved by the mapping on the side where they are not mapped", () => {
    // `status` and `contact` are roots of mapped paths; `state` and `email` are mapped field names.
    expect(m.toExternal({ status: "shadow", contact: {} })).toEqual({});
    expect(m.fromExternal({ state: "shadow", email: "x", contact: { phone: "1" } })).toEqual({});
  });

  it("copies a __proto__ key as an own key instead of setting the prototype", () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const ext = m.toExternal(data);
    expect(Object.getPrototypeOf(ext)).toBe(Object.prototype);
    expect(Object.hasOwn(ext, "__proto__")).toBe(true);
    expect(Object.hasOwn(m.fromExternal(ext), "__proto__")).toBe(true);
  });

  it("lists mapped fields first, then pass-through keys in input order", () => {
    expect(Object.keys(m.fromExternal({ z: 1, status: "a", a: 2 }))).toEqual(["state", "z", "a"]);
  });

  it("refuses an external value that is not an object", () => {
    for (const bad of [null, [], "x", 1]) expect(mappingErrorOf(() => m.fromExternal(bad)).field).toBe("");
  });
});

// ---- Round trips -----------------------------------------------------------------------------------------------

const lowerString = fc.string({ unit: "grapheme" }).map((s) => s.toLowerCase());
const upperString = fc.string({ unit: "grapheme" }).map((s) => s.toUpperCase());
const MAX_MS = 8.64e15;
const isoString = fc.integer({ min: -MAX_MS, max: MAX_MS }).map((ms) => new Date(ms).toISOString());
const wholeSecondIso = fc
  .integer({ min: -MAX_MS / 1000, max: MAX_MS / 1000 })
  .map((s) => new Date(s * 1000).toISOString());
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

interface Kind {
  rule: Record<string, unknown>;
  /** Recordgate values in the rule's domain. */
  value: fc.Arbitrary<unknown>;
  /** External values the transform leaves unchanged, for `values`. */
  external: fc.Arbitrary<string | number | boolean>;
}

const KINDS: Kind[] = [
  { rule: {}, value: fc.jsonValue(), external: fc.oneof(fc.string(), fc.integer(), fc.boolean()) },
  { rule: { transform: "lowercase" }, value: lowerString, external: lowerString },
  { rule: { transform: "uppercase" }, value: upperString, external: upperString },
  { rule: { transform: "trim" }, value: fc.string().map((s) => s.trim()), external: fc.string().map((s) => s.trim()) },
  { rule: { transform: "to_string" }, value: fc.string(), external: fc.string() },
  { rule: { transform: "to_number" }, value: finite, external: fc.integer() },
  { rule: { transform: "to_boolean" }, value: fc.boolean(), external: fc.boolean() },
  { rule: { transform: "iso_date" }, value: isoString, external: isoString },
  { rule: { transform: "iso_date", external_format: "unix" }, value: wholeSecondIso, external: wholeSecondIso },
];

/** An invertible `values` map: distinct keys onto distinct external values the transform leaves unchanged. */
const valuesArb = (external: Kind["external"]) =>
  fc
    .uniqueArray(external, { minLength: 1, maxLength: 4, comparator: "SameValueZero" })
    .chain((externals) =>
      fc
        .uniqueArray(fc.string({ minLength: 1 }), { minLength: externals.length, maxLength: externals.length })
        .map((keys) => Object.fromEntries(keys.map((key, j) => [key, externals[j]]))),
    );

interface GeneratedField {
  field: string;
  rule: Record<string, unknown>;
  value: fc.Arbitrary<unknown>;
  /** Set when a default makes absence read back differently. */
  required: boolean;
}

/** A field of one invertible feature combination, with a generator of its Recordgate values. */
const fieldArb = (i: number): fc.Arbitrary<GeneratedField> =>
  fc
    .record({
      kind: fc.constantFrom(...KINDS),
      path: fc.constantFrom(`r${i}`, `r${i}.a.b`, `r${i}[2].v`, `r${i}[0]`),
      first: fc.boolean(),
      withValues: fc.boolean(),
      withDefault: fc.boolean(),
    })
    .chain(({ kind, path, first, withValues, withDefault }) => {
      const base = { ...kind.rule, path, ...(first ? { array_mode: "first" } : {}) };
      const valuesOrNot = withValues ? valuesArb(kind.external) : fc.constant(undefined);
      return valuesOrNot.chain((values): fc.Arbitrary<GeneratedField> => {
        const field = `f${i}`;
        const rule: Record<string, unknown> = values ? { ...base, values } : base;
        const domain: fc.Arbitrary<unknown> = values ? fc.constantFrom(...Object.keys(values)) : kind.value;
        // A default turns absent and null into the default on read, so such fields are always set; defaults
        // through values have an example above.
        if (!withDefault || values) {
          return fc.constant({ field, rule, value: fc.option(domain, { nil: null }), required: false });
        }
        const set = domain.filter((value) => value !== null);
        return set.map((fallback) => ({ field, rule: { ...rule, default: fallback }, value: set, required: true }));
      });
    });

const mappingCaseArb = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => fieldArb(i))).chain((fields) => {
    const shape = Object.fromEntries(fields.map((f) => [f.field, f.value]));
    const required = fields.filter((f) => f.required).map((f) => f.field);
    const reserved = new Set(fields.flatMap((f, i) => [f.field, `r${i}`]));
    const extras = fc.dictionary(
      fc.string().filter((k) => !reserved.has(k)),
      fc.jsonValue(),
      { maxKeys: 3 },
    );
    return fc.record({
      config: fc.constant(Object.fromEntries(fields.map((f) => [f.field, f.rule]))),
      data: fc
        .tuple(fc.record(shape, { requiredKeys: required }), extras)
        .map(([mapped, extra]) => ({ ...extra, ...mapped })),
    });
  }),
);

/** What goes upstream must be plain JSON: an array hole or an undefined would change meaning when serialised. */
function hasGaps(value: unknown): boolean {
  // `some` skips holes, so holes show as fewer keys than the length.
  if (Array.isArray(value)) return Object.keys(value).length !== value.length || value.some(hasGaps);
  if (typeof value !== "object" || value === null) return value === undefined;
  return Object.values(value).some(hasGaps);
}

describe("round trips", () => {
  it("fromExternal(toExternal(x)) equals x for every invertible feature combination", () => {
    fc.assert(
      fc.property(mappingCaseArb, ({ config, data }) => {
        const m = map(config);
        const unix = Object.values(config).some((rule) => (rule as { external_format?: string }).external_format);
        expect(m.invertible).toBe(!unix);
        const ext = m.toExternal(data);
        expect(hasGaps(ext)).toBe(false);
        expect(m.fromExternal(ext)).toEqual(data);
      }),
      { numRuns: 2500 },
    );
  });

  const STRIPE_LIKE = {
    name: "customer_name",
    email: { path: "customer.email", transform: "lowercase" },
    country: { path: "customer.address.country", transform: "uppercase" },
    note: { path: "description", transform: "trim" },
    amount: { path: "amount", transform: "to_number" },
    currency: { path: "currency", values: { euro: "eur", dollar: "usd" } },
    status: { path: "status", values: { open: "OPEN", paid: "PAID", void: "VOID" }, transform: "uppercase" },
    paid: { path: "paid", transform: "to_boolean" },
    refunded: { path: "flags.refunded", transform: "to_boolean", values: { yes: true, no: false } },
    created: { path: "created_at", transform: "iso_date" },
    label: { path: "metadata.label", transform: "to_string" },
    first_line: "lines[0].description",
    second_line: "lines[1].description",
    tag: { path: "tags", array_mode: "first" },
    region: { path: "region", default: "eu" },
  };
  const invoiceArb = fc.record(
    {
      name: fc.jsonValue(),
      email: lowerString,
      country: upperString,
      note: fc.string().map((s) => s.trim()),
      amount: finite,
      currency: fc.constantFrom("euro", "dollar", null),
      status: fc.constantFrom("open", "paid", "void"),
      paid: fc.boolean(),
      refunded: fc.constantFrom("yes", "no"),
      created: isoString,
      label: fc.string(),
      first_line: fc.string(),
      second_line: fc.option(fc.string(), { nil: null }),
      tag: fc.jsonValue(),
      region: fc.string(),
    },
    { requiredKeys: ["region"] },
  );

  it("round-trips a Stripe-like invoice mapping", () => {
    const m = map(STRIPE_LIKE);
    expect(m.invertible).toBe(true);
    fc.assert(
      fc.property(invoiceArb, (invoice) => {
        expect(m.fromExternal(m.toExternal(invoice))).toEqual(invoice);
      }),
      { numRuns: 1500 },
    );
  });

  it("reads arbitrary upstream JSON without throwing anything but MappingError", () => {
    const m = map({ ...STRIPE_LIKE, lines: { path: "lines[].description", array_mode: "flatten" } });
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...Object.keys(STRIPE_LIKE), "customer", "lines", "flags"), fc.jsonValue()),
        (ext) => {
          try {
            m.fromExternal(ext);
          } catch (error) {
            expect(error).toBeInstanceOf(MappingError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// ---- Validation --------------------------------------------------------------------------------------------------

const TO = "field_mapping.to_external";

describe("validation", () => {
  it("locates an unknown transform", () => {
    expect(problemsOf({ to_external: { status: { path: "status", transform: "titlecase" } } })).toEqual([
      `${TO}.status.transform`,
    ]);
  });

  it.each(["a..b", "a[x]", "a[-1]", "[0]", "", ".a", "a.", "a[0][1]", "a b", "a[10000]", "__proto__.x"])(
    "locates the bad path %j in a rule and in the shorthand",
    (path) => {
      expect(problemsOf({ to_external: { items: { path } } })).toEqual([`${TO}.items.path`]);
      expect(problemsOf({ to_external: { items: path } })).toEqual([`${TO}.items`]);
    },
  );

  it("explains why a path is bad", () => {
    const config = { to_external: { a: "a..b", b: "b[x]", c: "[0]", d: "" } };
    expect(() => compileMapping(config)).toThrow(MappingConfigError);
    try {
      compileMapping(config);
    } catch (error) {
      expect((error as MappingConfigError).details).toEqual([
        { path: `${TO}.a`, message: "has an empty segment at position 2" },
        { path: `${TO}.b`, message: "segment 'b[x]' must use [] or an index from 0 to 9999" },
        { path: `${TO}.c`, message: "segment '[0]' must start with a name" },
        { path: `${TO}.d`, message: "must not be empty" },
      ]);
    }
  });

  it("locates the second key of a non-invertible enum", () => {
    const config = { to_external: { status: { path: "s", values: { active: "A", live: "A", other: "B" } } } };
    expect(problemsOf(config)).toEqual([`${TO}.status.values.live`]);
    expect(problemsOf({ to_external: { s: { path: "s", values: { "in progress": 1, started: 1 } } } })).toEqual([
      `${TO}.s.values.started`,
    ]);
  });

  it("locates values a transform could never read back, and bad value types", () => {
    const config = {
      to_external: {
        a: { path: "a", transform: "lowercase", values: { on: "ON" } },
        b: { path: "b", transform: "to_number", values: { one: "1" } },
        c: { path: "c", values: { "odd key": {}, n: null } },
        d: { path: "d", values: {} },
      },
    };
    expect(problemsOf(config)).toEqual([
      `${TO}.a.values.on`,
      `${TO}.b.values.one`,
      `${TO}.c.values["odd key"]`,
      `${TO}.c.values.n`,
      `${TO}.d.values`,
    ]);
  });

  it("locates unknown rule keys", () => {
    expect(problemsOf({ to_external: { x: { path: "x", transfrom: "trim", arrayMode: "first" } } })).toEqual([
      `${TO}.x.transfrom`,
      `${TO}.x.arrayMode`,
    ]);
  });

  it("locates the second of two fields writing the same or an overlapping external path", () => {
    expect(problemsOf({ to_external: { a: "x.y", b: { path: "x.y" } } })).toEqual([`${TO}.b.path`]);
    expect(problemsOf({ to_external: { a: "x", b: "x.y" } })).toEqual([`${TO}.b`]);
    expect(problemsOf({ to_external: { a: "x.y", b: "x" } })).toEqual([`${TO}.b`]);
    expect(problemsOf({ to_external: { a: "x.y", b: "x[0]" } })).toEqual([`${TO}.b`]);
    expect(problemsOf({ to_external: { a: "x[0].y", b: "x[0].y", c: "x[1].y" } })).toEqual([`${TO}.b`]);
    // A read-only field writes nothing, so it may read what another field writes.
    expect(problemsOf({ to_external: { a: "x", b: { path: "x", array_mode: "last" } } })).toEqual([]);
  });

  it.each([[[]], ["x"], [null], [undefined]])("locates a to_external of %j", (toExternal) => {
    expect(problemsOf({ to_external: toExternal })).toEqual([TO]);
  });

  it("locates a field_mapping that is not an object, or has unknown keys", () => {
    expect(problemsOf("x")).toEqual(["field_mapping"]);
    expect(problemsOf({ to_external: {}, to_internal: {} })).toEqual(["field_mapping.to_internal"]);
  });

  it("locates bad field names, bad options and defaults a pipeline would refuse", () => {
    const config = {
      to_external: {
        "bad-name": "x",
        // As a request body would have it: an own `__proto__` key (a literal one would set the prototype).
        ...JSON.parse('{"__proto__": "p"}'),
        a: { path: "a", array_mode: "middle" },
        b: { path: "b", external_format: "unix" },
        c: { path: "c", transform: "iso_date", external_format: "ms" },
        d: { path: "d", transform: "to_number", default: "many" },
        e: { path: "e", values: { on: "1" }, default: "off" },
        f: { path: "f", values: { a: "b", b: "c" }, default: "b" },
        g: 42,
        h: { transform: "trim" },
      },
    };
    expect(problemsOf(config)).toEqual([
      `${TO}["bad-name"]`,
      `${TO}.__proto__`,
      `${TO}.a.array_mode`,
      `${TO}.b.external_format`,
      `${TO}.c.external_format`,
      `${TO}.d.default`,
      `${TO}.e.default`,
      `${TO}.f.default`,
      `${TO}.g`,
      `${TO}.h.path`,
    ]);
  });

  it("collects every problem at once, under the caller's location", () => {
    const config = {
      to_external: {
        status: { path: "a..b", transform: "nope", values: { x: 1, y: 1 }, color: "red" },
        other: "status",
        again: "status",
      },
    };
    expect(problemsOf(config, "sources[0].field_mapping")).toEqual([
      "sources[0].field_mapping.to_external.status.color",
      "sources[0].field_mapping.to_external.status.path",
      "sources[0].field_mapping.to_external.status.transform",
      "sources[0].field_mapping.to_external.status.values.y",
      "sources[0].field_mapping.to_external.again",
    ]);
  });
});
