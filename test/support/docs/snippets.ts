// The snippets of a Markdown page, cut into the units the docs runner executes (convention: docs/development.md).

/** One thing to execute: shell lines, or one GraphQL document, with the output the doc shows under it. */
export interface SnippetUnit {
  kind: "sh" | "graphql";
  /** 1-based line of the unit's first line in the Markdown file, for failure messages. */
  line: number;
  text: string;
  /** The comment lines written directly under the unit, without their `# `; undefined when there are none. */
  expected?: string;
}

export interface PageSnippets {
  units: SnippetUnit[];
  /** Blocks marked `no-run`, by their first line: counted so that nothing is skipped silently. */
  skipped: number[];
  /** Blocks the convention does not allow (a `bash` fence, an unknown attribute, a curl outside an `sh` block). */
  problems: string[];
}

interface Fence {
  lang: string;
  attributes: string[];
  line: number;
  body: string[];
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j] ?? "")) body.push(lines[j++] ?? "");
    found.push({ lang: open[1] ?? "", attributes: (open[2] ?? "").split(/\s+/).filter(Boolean), line: i + 1, body });
    i = j;
  }
  return found;
}

const isComment = (line: string) => line.trimStart().startsWith("#");
const commentText = (line: string) => line.trimStart().replace(/^# ?/, "");

/**
 * Shell blocks split at blank lines and at output comments: a run of `#` lines directly under command lines is
 * that command's expected output; a `#` line after a blank line (or at the top) is prose for the reader.
 */
function shellUnits(fence: Fence): SnippetUnit[] {
  const units: SnippetUnit[] = [];
  let command: string[] = [];
  let expected: string[] = [];
  let start = 0;
  const flush = () => {
    if (command.length > 0) {
      units.push({
        kind: "sh",
        line: start,
        text: command.join("\n"),
        expected: expected.length ? expected.join("\n") : undefined,
      });
    }
    command = [];
    expected = [];
  };
  for (const [index, line] of fence.body.entries()) {
    if (line.trim() === "") {
      flush();
    } else if (isComment(line)) {
      if (command.length > 0) expected.push(commentText(line));
    } else {
      if (expected.length > 0) flush();
      if (command.length === 0) start = fence.line + 1 + index;
      command.push(line);
    }
  }
  flush();
  return units;
}

/** A GraphQL block is one document; `#` lines after its last line are the response it shows. */
function graphqlUnit(fence: Fence): SnippetUnit {
  let end = fence.body.length;
  while (end > 0 && (isComment(fence.body[end - 1] ?? "") || (fence.body[end - 1] ?? "").trim() === "")) end--;
  const expected = fence.body.slice(end).filter(isComment).map(commentText);
  return {
    kind: "graphql",
    line: fence.line + 1,
    text: fence.body.slice(0, end).join("\n"),
    expected: expected.length ? expected.join("\n") : undefined,
  };
}

const SHELL_SPELLINGS = new Set(["bash", "shell", "console", "zsh", "shell-session"]);

/** Every runnable unit of a page in document order, plus what was skipped and what breaks the convention. */
export function pageSnippets(markdown: string): PageSnippets {
  const result: PageSnippets = { units: [], skipped: [], problems: [] };
  for (const fence of fences(markdown)) {
    const where = `line ${fence.line}`;
    if (fence.lang === "sh" || fence.lang === "graphql") {
      const unknown = fence.attributes.filter((a) => a !== "no-run");
      if (unknown.length) result.problems.push(`${where}: unknown attribute ${unknown.join(" ")} (only no-run)`);
      if (fence.attributes.includes("no-run")) result.skipped.push(fence.line);
      else if (fence.lang === "sh") result.units.push(...shellUnits(fence));
      else result.units.push(graphqlUnit(fence));
    } else if (SHELL_SPELLINGS.has(fence.lang)) {
      result.problems.push(`${where}: write \`\`\`sh (or \`\`\`sh no-run), not \`\`\`${fence.lang}`);
    } else if (fence.body.some((line) => /^\s*curl\s/.test(line))) {
      result.problems.push(`${where}: a curl command in a \`\`\`${fence.lang || "(plain)"} block; mark it \`\`\`sh`);
    }
  }
  return result;
}
