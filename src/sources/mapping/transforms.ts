export const TRANSFORM_NAMES = [
  "lowercase",
  "uppercase",
  "trim",
  "to_string",
  "to_number",
  "to_boolean",
  "iso_date",
] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

/** Reports a value the transform cannot convert; the caller throws with the field's location. */
export type Fail = (reason: string) => never;

/** Converts one non-null value; null never reaches a transform (it means "no value" in both directions). */
export type Transform = (value: unknown, fail: Fail) => unknown;

export const isTransformName = (name: unknown): name is TransformName =>
  (TRANSFORM_NAMES as readonly unknown[]).includes(name);

// Strict on purpose: Number() would also accept "", " ", "0x1f" and "Infinity".
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// Date-only (UTC midnight per ECMAScript) or a date-time with an explicit zone: a zone-less date-time would be read
// in the server's local time zone.
const ISO = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
// The form toISOString produces for years 0000–9999; such input is returned as is once its day is checked.
const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const describeValue = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Epoch milliseconds of an ISO-8601 string with a zone (or a bare date), or NaN. */
function parseIsoDate(text: string): number {
  const match = ISO.exec(text);
  return match && isCalendarDay(match) ? Date.parse(text) : Number.NaN;
}

/** V8 rolls 2021-02-30 over to March 1st; checking the day keeps that an error. */
function isCalendarDay([, y, m, d]: RegExpExecArray): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && !leap ? 28 : DAYS[month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

function isoFromMs(ms: number, value: unknown, fail: Fail): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) fail(`${describeValue(value)} is outside the range of dates`);
  return date.toISOString();
}

const lower: Transform = (v) => (typeof v === "string" ? v.toLowerCase() : v);
const upper: Transform = (v) => (typeof v === "string" ? v.toUpperCase() : v);
const trim: Transform = (v) => (typeof v === "string" ? v.trim() : v);

const READ: Record<TransformName, Transform> = {
  lowercase: lower,
  uppercase: upper,
  trim,
  to_string: (v) =>
    typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v),
  to_number: (v, fail) => {
    const n = typeof v === "number" ? v : typeof v === "string" && NUMERIC.test(v) ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : fail(`${describeValue(v)} is not a number`);
  },
  to_boolean: (v, fail) => {
    if (v === true || v === "true" || v === 1 || v === "1") return true;
    if (v === false || v === "false" || v === 0 || v === "0") return false;
    return fail(`${describeValue(v)} is not a boolean (true/false, "true"/"false", 1/0, "1"/"0")`);
  },
  iso_date: (v, fail) => {
    if (typeof v === "number") return isoFromMs(Math.round(v * 1000), v, fail);
    if (typeof v === "string") {
      // Most upstreams already send this form; checking it is several times cheaper than a Date round trip.
      const canonical = CANONICAL.exec(v);
      if (canonical && isCalendarDay(canonical)) return v;
      const ms = parseIsoDate(v);
      if (!Number.isNaN(ms)) return isoFromMs(ms, v, fail);
    }
    return fail(`${describeValue(v)} is not unix seconds or an ISO-8601 date with a time zone`);
  },
};

const toUnixSeconds: Transform = (v, fail) => {
  const ms = typeof v === "string" ? parseIsoDate(v) : Number.NaN;
  return Number.isNaN(ms)
    ? fail(`${describeValue(v)} is not an ISO-8601 date with a time zone`)
    : Math.floor(ms / 1000);
};

/** External → Recordgate conversion. */
export const readTransform = (name: TransformName): Transform => READ[name];

/**
 * Recordgate → external conversion, or undefined when the value is sent as is. Normalisations apply both ways;
 * conversions are not inverted, except iso_date with `external_format: "unix"` (sub-second precision is dropped).
 */
export function writeTransform(name: TransformName, unix: boolean): Transform | undefined {
  if (name === "lowercase" || name === "uppercase" || name === "trim") return READ[name];
  if (name === "iso_date" && unix) return toUnixSeconds;
  return undefined;
}
