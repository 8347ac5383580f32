// Runs a page's snippets in order in one bash session against a running server and says where the page is wrong.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { bodyMismatch, parseExpected } from "./expected-output.ts";
import type { SnippetUnit } from "./snippets.ts";

/** Where the page's addresses really are: the docs say 127.0.0.1:4000 (Recordgate) and 127.0.0.1:4010 (upstream). */
export interface PageEnvironment {
  /** Working directory, holding `.recordgate/admin-token` as after the README's quick start. */
  cwd: string;
  token: string;
  /** Documented origin → real origin, e.g. `http://127.0.0.1:4000` → `http://127.0.0.1:38211`. */
  origins: Record<string, string>;
  timeoutMs?: number;
}

export interface UnitResult {
  unit: SnippetUnit;
  stdout: string;
  statuses: number[];
  failure?: string;
}

const UNIT_MARK = "@@RG-UNIT";

// The session behind every page. `curl` is wrapped to report each answer's status on stderr (after the page's own
// `-w` format, so what the page prints is unchanged) and to give up after 15 s; the ERR trap reports every command
// that fails, including inside loops and `$(…)` assignments; `set -u` makes an unset variable a failure.
const PRELUDE = String.raw`set -u
curl() {
  local args=() format=""
  while (($#)); do
    case $1 in
      -w | --write-out) format=$2; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  command curl --max-time 15 "${"$"}{args[@]}" -w "${"$"}{format}%{stderr}\n@@RG-HTTP %{http_code}\n"
}
__rg_graphql() {
  command curl -sS --max-time 15 -X POST "$RG_DOCS_URL/graphql" -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: application/json" --data-binary "@$1" -w "%{stderr}\n@@RG-HTTP %{http_code}\n"
}
trap 'printf "\n@@RG-ERR %s %s\n" "$?" "$BASH_COMMAND" >&2' ERR
`;

/** Longest first, so that an origin which is a prefix of another cannot rewrite part of it. */
function replaceAll(text: string, replacements: Record<string, string>): string {
  let out = text;
  const pairs = Object.entries(replacements).sort(([a], [b]) => b.length - a.length);
  for (const [from, to] of pairs) out = out.split(from).join(to);
  return out;
}

function chunks(output: string): Map<string, string> {
  const parts = output.split(new RegExp(`\\n${UNIT_MARK} (\\S+)\\n`));
  const byUnit = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) byUnit.set(parts[i] ?? "", parts[i + 1] ?? "");
  return byUnit;
}

/** Runs every unit in order; each result carries what was printed and, when the page is wrong, why. */
export async function runPage(units: SnippetUnit[], env: PageEnvironment): Promise<UnitResult[]> {
  const lines = [PRELUDE];
  const mark = (id: string) => lines.push(`printf '\\n${UNIT_MARK} ${id}\\n'; printf '\\n${UNIT_MARK} ${id}\\n' >&2`);
  for (const [index, unit] of units.entries()) {
    mark(String(index));
    if (unit.kind === "sh") {
      lines.push(replaceAll(unit.text, env.origins));
    } else {
      const file = path.join(env.cwd, `.graphql-${index}.json`);
      await writeFile(file, JSON.stringify({ query: unit.text }));
      lines.push(`__rg_graphql ${JSON.stringify(file)}`);
    }
  }
  mark("end");
  const script = path.join(env.cwd, ".page.sh");
  await writeFile(script, `${lines.join("\n")}\n`);

  const server = env.origins["http://127.0.0.1:4000"] ?? "";
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(
      "bash",
      ["--noprofile", "--norc", script],
      {
        cwd: env.cwd,
        timeout: env.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? "", HOME: env.cwd, LANG: "C.UTF-8", TOKEN: env.token, RG_DOCS_URL: server },
      },
      (error, out, err) => resolve({ stdout: out, stderr: `${err}${error?.killed ? "\n(killed: timed out)" : ""}` }),
    );
  });
  const outs = chunks(stdout);
  const errs = chunks(stderr);
  const back = Object.fromEntries(Object.entries(env.origins).map(([doc, real]) => [real, doc]));
  let stopped = false;
  return units.map((unit, index) => {
    const id = String(index);
    const out = replaceAll(outs.get(id) ?? "", back).replace(/^\n+|\n+$/g, "");
    const err = errs.get(id) ?? "";
    const statuses = [...err.matchAll(/@@RG-HTTP (\d{3})/g)].map((m) => Number(m[1]));
    const result: UnitResult = { unit, stdout: out, statuses };
    if (stopped || !outs.has(id)) {
      result.failure = stopped ? "not run: the session stopped earlier" : "not run";
      return result;
    }
    if (!outs.has(String(index + 1)) && !outs.has("end")) stopped = true;
    const said = err
      .replace(/\n?@@RG-HTTP \d{3}\n?/g, "")
      .replace(/\n?@@RG-ERR .*\n?/g, "")
      .trim();
    const problems: string[] = [];
    if (stopped) problems.push("the shell stopped here");
    for (const failed of err.matchAll(/@@RG-ERR (\d+) (.*)/g)) {
      problems.push(`command exited with ${failed[1]}: ${failed[2]}`);
    }
    if (said) problems.push(`stderr: ${said}`);
    const expected = unit.expected === undefined ? undefined : parseExpected(unit.expected);
    const last = statuses.at(-1);
    const earlier = expected?.status === undefined ? statuses : statuses.slice(0, -1);
    const failing = earlier.filter((status) => status < 200 || status >= 400);
    if (failing.length) problems.push(`HTTP ${failing.join(", ")} where the doc shows no error status`);
    if (expected?.status !== undefined && last !== expected.status) {
      problems.push(`HTTP ${last ?? "(no request)"} where the doc shows ${expected.status}`);
    }
    if (expected) {
      const body = bodyMismatch(expected.body, out);
      if (body) problems.push(`output differs: ${body}`);
    }
    if (unit.kind === "graphql" && !/"errors"/.test(expected?.body ?? "") && /^\{"errors"|"errors":\[/.test(out)) {
      problems.push("the GraphQL answer has errors the doc does not show");
    }
    if (problems.length) result.failure = problems.join("\n");
    return result;
  });
}
