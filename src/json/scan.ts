import { numberTokenProblem } from "./number-token.ts";
import { joinPath } from "./path.ts";

interface Level {
  /** The key being read or last read (objects), or the current index (arrays). */
  at: string | number;
  array: boolean;
  expectingKey: boolean;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Walks JSON text that JSON.parse has accepted and calls `visit` with each scalar token's span and its path, until
 * `visit` returns true. Iterative, so documents nested ten thousand deep cost a loop, not a stack overflow. Only
 * used when something is wrong (or looks wrong), never on the common path.
 */
function walkTokens(
  text: string,
  visit: (kind: "number" | "string" | "key", start: number, end: number, path: () => string) => boolean,
): void {
  const stack: Level[] = [];
  const path = () => joinPath(stack.map((level) => level.at));
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (top && !top.array && top.expectingKey) {
        top.at = JSON.parse(text.slice(i, end + 1)) as string;
        if (visit("key", i, end + 1, path)) return;
      } else if (visit("string", i, end + 1, path)) return;
      i = end;
    } else if (c === 0x7b /* { */) {
      stack.push({ at: "", array: false, expectingKey: true });
    } else if (c === 0x5b /* [ */) {
      stack.push({ at: 0, array: true, expectingKey: false });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x3a /* : */ && top) {
      top.expectingKey = false;
    } else if (c === 0x2c /* , */ && top) {
      if (top.array) top.at = (top.at as number) + 1;
      else top.expectingKey = true;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      const end = i + (match?.[0].length ?? 1);
      if (visit("number", i, end, path)) return;
      i = end - 1;
    }
  }
}

/** The first number in valid JSON text that would not be stored as written (see number-token.ts), with its path. */
export function firstUnfaithfulNumber(text: string): { path: string; message: string } | undefined {
  let found: { path: string; message: string } | undefined;
  walkTokens(text, (kind, start, end, path) => {
    if (kind !== "number") return false;
    const message = numberTokenProblem(text.slice(start, end));
    if (message) found = { path: path(), message };
    return found !== undefined;
  });
  return found;
}

/**
 * The path of the key or string covering character `index` of JSON text, if the text is JSON; used to say where
 * invalid bytes were once they are decoded as U+FFFD.
 */
export function pathAtIndex(text: string, index: number): string | undefined {
  let found: string | undefined;
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  walkTokens(text, (_kind, start, end, path) => {
    if (index >= start && index < end) found = path();
    return found !== undefined || start > index;
  });
  return found;
}
