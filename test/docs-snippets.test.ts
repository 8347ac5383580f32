import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { seedExampleCustomers, startStripeLike } from "../examples/stripe-like-upstream.ts";
import { bodyMismatch, parseExpected } from "./support/docs/expected-output.ts";
import { type PageEnvironment, runPage, type UnitResult } from "./support/docs/run-page.ts";
import { pageSnippets, type SnippetUnit } from "./support/docs/snippets.ts";
import { startTestServer } from "./support/server.ts";

// Every ```sh and ```graphql block of README.md and docs/ runs, page by page, in a fresh server and compares the
// outputs the page shows (the convention is at the top of docs/development.md).

const ROOT = path.resolve(import.meta.dirname, "..");
const PAGES = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

/** A fresh Recordgate on PGlite whose data folder is `./.recordgate` of the page's working directory, the example
 * upstream seeded as `npm run example:upstream` seeds it, and loopback allowed as an outbound address. */
async function withPageEnvironment<T>(run: (env: PageEnvironment) => Promise<T>): Promise<T> {
  const cwd = await mkdtemp(path.join(tmpdir(), "recordgate-docs-"));
  const dataDir = path.join(cwd, ".recordgate");
  const upstream = await startStripeLike("sk_test_example");
  seedExampleCustomers(upstream);
  const server = await startTestServer("pglite", {
    config: { dataDir, adminToken: undefined, outboundAllow: "127.0.0.1" },
  });
  try {
    const token = (await readFile(path.join(dataDir, "admin-token"), "utf8")).trim();
    return await run({
      cwd,
      token,
      origins: { "http://127.0.0.1:4000": server.url, "http://127.0.0.1:4010": upstream.url },
    });
  } finally {
    await server.close();
    await upstream.close();
    await rm(cwd, { recursive: true, force: true });
  }
}

function report(page: string, results: UnitResult[]): string {
  return results
    .filter((result) => result.failure)
    .map(({ unit, stdout, failure }) =>
      [
        `${page}:${unit.line} (${unit.kind})`,
        indent(unit.text.split("\n").slice(0, 4).join("\n")),
        ...(unit.expected === undefined ? [] : ["  the doc shows:", indent(unit.expected, "    # ")]),
        "  it printed:",
        indent(stdout.slice(0, 2000) || "(nothing)", "    "),
        `  ${failure?.replace(/\n/g, "\n  ")}`,
      ].join("\n"),
    )
    .join("\n\n");
}

const indent = (text: string, prefix = "    ") => text.replace(/^/gm, prefix);

function describePage(units: SnippetUnit[], skipped: number[]): string {
  const compared = units.filter((u) => u.expected !== undefined).length;
  return `${units.length} snippets run, ${compared} outputs compared, ${skipped.length} no-run`;
}

describe("docs run as written, in order, against a fresh server (PGlite)", () => {
  for (const page of PAGES) {
    const snippets = pageSnippets(readFileSync(path.join(ROOT, page), "utf8"));
    it(`${page}: ${describePage(snippets.units, snippets.skipped)}`, { timeout: 60_000 }, async () => {
      expect(snippets.problems, `${page} breaks the snippet convention`).toEqual([]);
      if (snippets.units.length === 0) return;
      const results = await withPageEnvironment((env) => runPage(snippets.units, env));
      const failures = report(page, results);
      if (failures) expect.fail(`\n${failures}`);
    });
  }
});

describe("the docs runner", () => {
  it("compares JSON as a structure: key order and spacing ignored, … for anything, extra keys refused", () => {
    const actual = '{"b": [1, 2, 3], "a": {"id": "01936f3a-aa", "x": null}}';
    expect(bodyMismatch('{"a":{"id":"01936f3a-…",…},"b":[1,…]}', actual)).toBeUndefined();
    expect(bodyMismatch('{"a": {…}, "b": [1, 2, 3]}', actual)).toBeUndefined();
    expect(bodyMismatch('{"a":{…},"b":[…,3]}', actual)).toBeUndefined();
    expect(bodyMismatch('{"a":{"id":"…"},"b":[…]}', actual)).toBe('$.a: unexpected ["x"] (add … to allow more)');
    expect(bodyMismatch('{"a":{…},"b":[1,2]}', actual)).toBe("$.b: 1 more element(s) than shown (add …)");
    expect(bodyMismatch('{"a":{…},"b":[1,5,…]}', actual)).toBe("$.b[1]: expected 5, got 2");
    expect(bodyMismatch('{"c":1,…}', actual)).toMatch(/^\$\.c: missing/);
  });

  it("compares other output as text, whitespace collapsed and … for any run of characters", () => {
    expect(
      bodyMismatch("RateLimit-Limit: 6000\nRateLimit-Reset: …", "RateLimit-Limit: 6000\r\nRateLimit-Reset: 9"),
    ).toBe(undefined);
    expect(bodyMismatch("HTTP 204", "HTTP 200")).toBe("the text differs");
    expect(bodyMismatch("{…}", "HTTP 200")).toBe("expected one JSON document, but the output is not JSON");
    expect(parseExpected("201 {…}")).toEqual({ status: 201, body: "{…}" });
    expect(parseExpected("204")).toEqual({ status: 204, body: "" });
    expect(parseExpected('{"a":1}')).toEqual({ body: '{"a":1}' });
  });

  it("reports a wrong status, a wrong output, a failing command and an unset variable, and stops there", async () => {
    const page = [
      "```sh",
      'curl -s http://127.0.0.1:4000/v1/workspaces/absent -H "Authorization: Bearer $TOKEN"',
      "",
      'curl -s http://127.0.0.1:4000/healthz -H "Authorization: Bearer $TOKEN"',
      '# {"status":"down"}',
      "false",
      "echo $UNSET",
      "```",
      "```graphql",
      "{ workspaces { total } }",
      "```",
    ].join("\n");
    const { units } = pageSnippets(page);
    const results = await withPageEnvironment((env) => runPage(units, env));
    expect(results.map((r) => r.failure)).toEqual([
      "HTTP 404 where the doc shows no error status",
      'output differs: $.status: expected "down", got "ok"',
      expect.stringMatching(
        /^the shell stopped here\ncommand exited with 1: false\nstderr: .*UNSET: unbound variable$/,
      ),
      "not run: the session stopped earlier",
    ]);
  });

  it("refuses blocks outside the convention instead of skipping them", () => {
    const { problems, skipped } = pageSnippets(
      ["```bash", "ls", "```", "```sh norun", "ls", "```", "```", "curl -s x", "```", "```sh no-run", "x", "```"].join(
        "\n",
      ),
    );
    expect(problems).toEqual([
      "line 1: write ```sh (or ```sh no-run), not ```bash",
      "line 4: unknown attribute norun (only no-run)",
      "line 7: a curl command in a ```(plain) block; mark it ```sh",
    ]);
    expect(skipped).toEqual([10]);
  });
});
