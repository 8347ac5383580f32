import type { RegExpEngine, RegExpLike } from "ajv/dist/types/index.js";
import { RE2JS } from "re2js";

/*
 * Every pattern in a client's schema (`pattern`, `patternProperties`) runs on RE2 (re2js, pure JS): matching time
 * is linear in the input, so `^(a+)+$` against "aaaa…!" answers in microseconds instead of blocking the event loop
 * for seconds. RE2 has no backreferences and no lookaround; such patterns are refused when the schema is saved.
 *
 * JSON Schema patterns are ECMA-262 regular expressions. RE2's syntax is close; the differences that change what
 * a pattern matches are translated below (`\s`, `.`, `\p{Long_Name}`, surrogate pairs), the rest by re2js'
 * own translateRegExp (named groups, `\u` escapes, `\cX`).
 */

/** ECMA-262 WhiteSpace and LineTerminator, which `\s` means there (RE2's `\s` is only `[\t\n\f\r ]`). */
const SPACE =
  "\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";

/** ECMA `.` without the `s` flag: anything but a line terminator (RE2's `.` only excludes `\n`). */
const DOT = "[^\\n\\r\\x{2028}\\x{2029}]";

/** ECMA's long General_Category names and aliases for the short ones RE2 knows. */
const CATEGORIES: Record<string, string> = {
  Letter: "L",
  Cased_Letter: "L",
  Uppercase_Letter: "Lu",
  Lowercase_Letter: "Ll",
  Titlecase_Letter: "Lt",
  Modifier_Letter: "Lm",
  Other_Letter: "Lo",
  Mark: "M",
  Nonspacing_Mark: "Mn",
  Spacing_Mark: "Mc",
  Enclosing_Mark: "Me",
  Number: "N",
  Decimal_Number: "Nd",
  digit: "Nd",
  Letter_Number: "Nl",
  Other_Number: "No",
  Punctuation: "P",
  punct: "P",
  Connector_Punctuation: "Pc",
  Dash_Punctuation: "Pd",
  Open_Punctuation: "Ps",
  Close_Punctuation: "Pe",
  Initial_Punctuation: "Pi",
  Final_Punctuation: "Pf",
  Other_Punctuation: "Po",
  Symbol: "S",
  Math_Symbol: "Sm",
  Currency_Symbol: "Sc",
  Modifier_Symbol: "Sk",
  Other_Symbol: "So",
  Separator: "Z",
  Space_Separator: "Zs",
  Line_Separator: "Zl",
  Paragraph_Separator: "Zp",
  Other: "C",
  Control: "Cc",
  cntrl: "Cc",
  Format: "Cf",
  Surrogate: "Cs",
  Private_Use: "Co",
  Unassigned: "Cn",
};

function property(body: string): string {
  const [name, value] = body.includes("=") ? body.split("=", 2) : [undefined, body];
  if (name === "Script" || name === "sc" || name === "Script_Extensions" || name === "scx") return value ?? "";
  return CATEGORIES[value ?? ""] ?? value ?? "";
}

const HIGH = /^\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/i;

/** Rewrites the ECMA-only meanings into RE2 syntax; everything else is passed through for re2js to translate. */
export function ecmaToRe2(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1];
      const pair = HIGH.exec(pattern.slice(i, i + 12));
      if (pair?.[1] && pair[2]) {
        const code =
          (Number.parseInt(pair[1], 16) - 0xd800) * 0x400 + (Number.parseInt(pair[2], 16) - 0xdc00) + 0x10000;
        out += `\\x{${code.toString(16)}}`;
        i += 11;
      } else if (next === "s") {
        out += inClass ? SPACE : `[${SPACE}]`;
        i++;
      } else if (next === "S" && !inClass) {
        out += `[^${SPACE}]`;
        i++;
      } else if ((next === "p" || next === "P") && pattern[i + 2] === "{") {
        const end = pattern.indexOf("}", i + 3);
        if (end < 0) return pattern;
        out += `\\${next}{${property(pattern.slice(i + 3, end))}}`;
        i = end;
      } else {
        out += c + (next ?? "");
        i++;
      }
    } else if (c === "[" && !inClass) {
      inClass = true;
      out += c;
      // A leading `]` or `^]` is a literal in RE2 but an empty class in ECMA: keep it escaped either way.
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") {
        out += "\\]";
        i++;
      }
    } else if (c === "]" && inClass) {
      inClass = false;
      out += c;
    } else if (c === "." && !inClass) {
      out += DOT;
    } else {
      out += c;
    }
  }
  return out;
}

/** Compiles a client's pattern for linear-time matching, or throws a RE2JS syntax error saying why it cannot. */
export function compilePattern(pattern: string): RegExpLike {
  return RE2JS.compile(RE2JS.translateRegExp(ecmaToRe2(pattern)));
}

const LINEAR = " (backreferences and lookaround are not supported: patterns run on a linear-time engine)";
/** A `\1`…`\9` or `\k<name>` that is not itself escaped. */
const BACKREFERENCE = /(?:^|[^\\])(?:\\\\)*\\(?:k<|[1-9])/;

/** A client's pattern compiled for RE2, or why it cannot run in linear time. */
export type CompiledPattern = { regexp: RE2JS; problem?: undefined } | { regexp?: undefined; problem: string };

/** Compiles a pattern, or says why it cannot run in linear time. */
export function tryPattern(pattern: string): CompiledPattern {
  // re2js reads `\k<name>` as a literal and would silently match something else than the client meant.
  if (BACKREFERENCE.test(pattern)) return { problem: `is not a supported regular expression: backreference${LINEAR}` };
  try {
    return { regexp: RE2JS.compile(RE2JS.translateRegExp(ecmaToRe2(pattern))) };
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, "");
    const hint = /\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern) ? LINEAR : "";
    return { problem: `is not a supported regular expression: ${reason}${hint}` };
  }
}

/** Why a pattern cannot run in linear time, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  return tryPattern(pattern).problem;
}

/**
 * ajv's `code.regExp`: every `pattern` and `patternProperties` key goes through RE2. The `u` flag is RE2's default.
 * `compiled` holds the patterns already compiled while checking the schema: ajv asks for some patterns several
 * times (a patternProperties key once per use in the generated code), and each RE2 compilation costs up to
 * milliseconds, so each distinct pattern is compiled once per schema.
 */
export function re2EngineWith(compiled: Map<string, RegExpLike>): RegExpEngine {
  const engine = (pattern: string, _flags: string) => {
    let regexp = compiled.get(pattern);
    if (!regexp) {
      regexp = compilePattern(pattern);
      compiled.set(pattern, regexp);
    }
    return regexp;
  };
  return Object.assign(engine, { code: "re2" });
}
