// How an output shown in the docs is compared with what the command printed (convention: docs/development.md).
// JSON is compared as a structure (key order and spacing do not matter) in which `…` stands for "anything here";
// other output as text, with whitespace runs collapsed and `…` matching any run of characters.

export const ELLIPSIS = "…";

/** A doc's expected output: an optional leading HTTP status, then the body (empty: only the status is compared). */
export interface Expected {
  status?: number;
  body: string;
}

export function parseExpected(text: string): Expected {
  const match = /^(\d{3})(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (match) return { status: Number(match[1]), body: (match[2] ?? "").trim() };
  return { body: text.trim() };
}

type Pattern =
  | { kind: "any" }
  | { kind: "string"; value: string }
  | { kind: "literal"; value: number | boolean | null }
  | { kind: "array"; items: Pattern[] }
  | { kind: "object"; members: Map<string, Pattern>; open: boolean };

class PatternSyntaxError extends Error {}

/** Parses JSON in which `…` may stand for a value, an array's further elements or an object's other members. */
export function parsePattern(text: string): Pattern | undefined {
  let at = 0;
  const space = () => {
    while (/\s/.test(text[at] ?? "")) at++;
  };
  const fail = (what: string): never => {
    throw new PatternSyntaxError(`${what} at ${at}`);
  };
  const eat = (token: string) => {
    space();
    if (!text.startsWith(token, at)) fail(`expected ${token}`);
    at += token.length;
  };
  const peek = (token: string) => {
    space();
    return text.startsWith(token, at);
  };
  const string = (): string => {
    space();
    const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(at));
    if (!match) return fail("expected a string");
    at += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const list = <T>(close: string, item: () => T): T[] => {
    const items: T[] = [];
    if (peek(close)) {
      eat(close);
      return items;
    }
    for (;;) {
      items.push(item());
      if (peek(",")) eat(",");
      else break;
    }
    eat(close);
    return items;
  };
  const value = (): Pattern => {
    space();
    if (peek(ELLIPSIS)) {
      eat(ELLIPSIS);
      return { kind: "any" };
    }
    if (peek("{")) {
      eat("{");
      const members = new Map<string, Pattern>();
      let open = false;
      list("}", () => {
        if (peek(ELLIPSIS)) {
          eat(ELLIPSIS);
          open = true;
          return;
        }
        const key = string();
        eat(":");
        members.set(key, value());
      });
      return { kind: "object", members, open };
    }
    if (peek("[")) {
      eat("[");
      return { kind: "array", items: list("]", value) };
    }
    if (peek('"')) return { kind: "string", value: string() };
    const literal = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(at));
    if (!literal) return fail("expected a value");
    at += literal[0].length;
    return { kind: "literal", value: JSON.parse(literal[0]) as number | boolean | null };
  };
  try {
    const pattern = value();
    space();
    return at === text.length ? pattern : undefined;
  } catch (error) {
    if (error instanceof PatternSyntaxError) return undefined;
    throw error;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const wildcard = (text: string) => new RegExp(`^${text.split(ELLIPSIS).map(escapeRegExp).join("[\\s\\S]*")}$`);
const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

/** Where the value first differs from the pattern (a JSON path and what differs), or undefined when it matches. */
export function mismatch(pattern: Pattern, actual: unknown, path = "$"): string | undefined {
  switch (pattern.kind) {
    case "any":
      return actual === undefined ? `${path}: missing` : undefined;
    case "literal":
      return actual === pattern.value ? undefined : `${path}: expected ${show(pattern.value)}, got ${show(actual)}`;
    case "string":
      return typeof actual === "string" && wildcard(pattern.value).test(actual)
        ? undefined
        : `${path}: expected ${show(pattern.value)}, got ${show(actual)}`;
    case "array":
      if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
      return arrayMismatch(pattern.items, actual, 0, 0, path);
    case "object": {
      if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
        return `${path}: expected an object, got ${show(actual)}`;
      }
      const record = actual as Record<string, unknown>;
      for (const [key, member] of pattern.members) {
        if (!Object.hasOwn(record, key)) return `${path}.${key}: missing (the object has ${show(Object.keys(record))})`;
        const inner = mismatch(member, record[key], `${path}.${key}`);
        if (inner) return inner;
      }
      const extra = Object.keys(record).filter((key) => !pattern.members.has(key));
      return !pattern.open && extra.length ? `${path}: unexpected ${show(extra)} (add … to allow more)` : undefined;
    }
  }
}

/** An `…` element matches any number of elements, so try each split (doc examples are a handful long). */
function arrayMismatch(items: Pattern[], actual: unknown[], i: number, j: number, path: string): string | undefined {
  const item = items[i];
  if (item === undefined) {
    return j === actual.length ? undefined : `${path}: ${actual.length - j} more element(s) than shown (add …)`;
  }
  if (item.kind === "any") {
    let first: string | undefined;
    for (let k = j; k <= actual.length; k++) {
      const rest = arrayMismatch(items, actual, i + 1, k, path);
      if (rest === undefined) return undefined;
      first ??= rest;
    }
    return first;
  }
  if (j >= actual.length) return `${path}[${j}]: missing`;
  return mismatch(item, actual[j], `${path}[${j}]`) ?? arrayMismatch(items, actual, i + 1, j + 1, path);
}

const squeeze = (text: string) =>
  text
    .replace(/\r/g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{}[\]:,])\s*/g, "$1")
    .trim();

/** Compares a body the docs show with what was printed; undefined when they agree, else why not. */
export function bodyMismatch(expected: string, actual: string): string | undefined {
  if (expected === "") return undefined;
  const pattern = parsePattern(expected);
  if (pattern) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(actual);
    } catch {
      return "expected one JSON document, but the output is not JSON";
    }
    return mismatch(pattern, parsed);
  }
  return wildcard(squeeze(expected)).test(squeeze(actual)) ? undefined : "the text differs";
}
