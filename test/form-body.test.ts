import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeForm } from "../src/sources/external/form-body.ts";

// Form bodies go to Stripe-like upstreams: bracket keys for nesting, indexed arrays, and nothing lost on the way.

type Tree = string | Tree[] | { [key: string]: Tree };

/** The reading Stripe does: `a[b][0]=x` back into nested objects, a numeric segment making an array. */
function decodeForm(body: string): Record<string, Tree> {
  const root: Record<string, Tree> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const head = /^[^[]*/.exec(key)?.[0] ?? "";
    const segments = [head, ...[...key.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? "")];
    let node: Record<string, Tree> | Tree[] = root;
    segments.forEach((segment, i) => {
      const slot = node as Record<string, Tree>;
      const next = segments[i + 1];
      if (next === undefined) {
        slot[segment] = value;
        return;
      }
      // Own keys only: "valueOf" or "constructor" are keys like any other.
      if (!Object.hasOwn(slot, segment)) slot[segment] = /^\d+$/.test(next) ? [] : {};
      node = slot[segment] as Record<string, Tree> | Tree[];
    });
  }
  return root;
}

/** What the upstream reads for a value: every scalar as text, numbers as JSON writes them. */
function asText(value: unknown): Tree {
  if (Array.isArray(value)) return value.map(asText);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asText(v)]));
  }
  return typeof value === "number" ? JSON.stringify(value) : String(value);
}

describe("encodeForm", () => {
  it("writes nested objects and indexed arrays with bracket keys, percent-encoded", () => {
    const body = encodeForm({
      amount_due: 1200,
      customer: { name: "Globex Corp" },
      lines: { data: [{ amount: 700 }, { amount: 500 }] },
      tags: ["a", "b"],
    });
    expect(body).toBe(
      "amount_due=1200&customer%5Bname%5D=Globex+Corp&lines%5Bdata%5D%5B0%5D%5Bamount%5D=700" +
        "&lines%5Bdata%5D%5B1%5D%5Bamount%5D=500&tags%5B0%5D=a&tags%5B1%5D=b",
    );
    expect(decodeURIComponent(body.replaceAll("+", " "))).toBe(
      "amount_due=1200&customer[name]=Globex Corp&lines[data][0][amount]=700&lines[data][1][amount]=500" +
        "&tags[0]=a&tags[1]=b",
    );
  });

  it("writes booleans as true/false, numbers as JSON numbers, null as an empty value (Stripe's unset)", () => {
    expect(encodeForm({ paid: true, draft: false, rate: 0.25, big: 1e21, neg: -0, nothing: null })).toBe(
      "paid=true&draft=false&rate=0.25&big=1e%2B21&neg=0&nothing=",
    );
    expect(encodeForm({ metadata: { order_id: null } })).toBe("metadata%5Border_id%5D=");
    // JSON writes non-finite numbers as null, and so does this.
    expect(encodeForm({ a: Number.NaN, b: Number.POSITIVE_INFINITY })).toBe("a=&b=");
  });

  it("omits undefined values and empty objects and arrays, like JSON and Stripe's own clients", () => {
    expect(encodeForm({ a: undefined, b: {}, c: [], d: { e: undefined }, f: "kept" })).toBe("f=kept");
    expect(encodeForm({})).toBe("");
  });

  it("percent-encodes keys and values, so '&', '=', '[' and non-ASCII text cannot split a pair", () => {
    const body = encodeForm({ "a&b=c": "x=1&y=2", note: "Zoë €5 [draft]" });
    expect(body).toBe("a%26b%3Dc=x%3D1%26y%3D2&note=Zo%C3%AB+%E2%82%AC5+%5Bdraft%5D");
    expect([...new URLSearchParams(body)]).toEqual([
      ["a&b=c", "x=1&y=2"],
      ["note", "Zoë €5 [draft]"],
    ]);
  });

  it("encodes a Date as its JSON text, and refuses values JSON has no text for", () => {
    expect(encodeForm({ at: new Date("2026-01-01T00:00:00.000Z") })).toBe("at=2026-01-01T00%3A00%3A00.000Z");
    expect(() => encodeForm({ f: () => 1 })).toThrow(TypeError);
  });

  it("decodes back to the same nested structure for objects of strings, numbers and booleans", () => {
    // Keys with brackets or only digits are ambiguous in this format (for Stripe too); empty containers are omitted.
    const key = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 8 })
      .filter((k) => !/[[\]]/.test(k) && !/^\d+$/.test(k) && k !== "__proto__");
    const scalar = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 12 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
    );
    const { object } = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        scalar,
        tie("object"),
        fc.array(tie("value"), { minLength: 1, maxLength: 3 }),
      ),
      object: fc.dictionary(key, tie("value"), { minKeys: 1, maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(object, (value) => {
        expect(decodeForm(encodeForm(value))).toEqual(asText(value));
      }),
      { numRuns: 300 },
    );
  });
});
