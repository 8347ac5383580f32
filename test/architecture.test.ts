import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of docs/architecture.md, top to bottom. A file may import from its own layer or any layer below it,
 * never from one above: transports reach storage only through the domain, and vocabulary (the query model, ids,
 * errors) is shared by both sides without belonging to either. A new top-level folder must be placed here first.
 */
const LAYERS: { name: string; places: string[] }[] = [
  { name: "entry", places: ["main.ts", "server.ts", "startup-failure.ts"] },
  // It checks values by the rules of the parts it configures (address policy, vault keys), so it sits above them.
  { name: "configuration", places: ["config.ts"] },
  { name: "transports", places: ["http", "rest", "schema"] },
  { name: "domain", places: ["resolvers", "auth"] },
  { name: "storage", places: ["sources", "db", "vault", "outbound", "limits"] },
  {
    name: "vocabulary",
    places: [
      "query",
      "changes",
      "identifiers.ts",
      "errors",
      "json",
      "json-object.ts",
      "logger.ts",
      "recent-map.ts",
      "generated",
    ],
  },
];

const SRC = path.resolve(import.meta.dirname, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every relative import of a file, type-only ones included: a type is a dependency of the design too. */
function importsOf(file: string): string[] {
  // Comments are removed first so a commented-out import does not count; string contents cannot hold `from "./x"`
  // in this code base without a test noticing (the last test below checks the extraction itself).
  const code = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] ?? "",
  );
  return specifiers.map((name) => path.resolve(path.dirname(file), name));
}

function place(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] ?? "";
}

function layerOf(file: string): number {
  return LAYERS.findIndex((layer) => layer.places.includes(place(file)));
}

// Prisma's generated client is not ours to arrange (its own files import each other in circles).
const files = sourceFiles(SRC).filter((file) => place(file) !== "generated");
const graph = new Map(
  files.map((file) => [
    file,
    importsOf(file).filter((target) => target.startsWith(SRC) && place(target) !== "generated"),
  ]),
);
const rel = (file: string) => path.relative(SRC, file);

describe("the dependency direction of docs/architecture.md", () => {
  it("places every file of src/ in a layer", () => {
    const unplaced = [...new Set(files.filter((file) => layerOf(file) < 0).map(place))];
    expect(unplaced, "add these to LAYERS in test/architecture.test.ts").toEqual([]);
  });

  it("never imports from a layer above", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        if (layerOf(target) < layerOf(file)) {
          upward.push(
            `${rel(file)} (${LAYERS[layerOf(file)]?.name}) → ${rel(target)} (${LAYERS[layerOf(target)]?.name})`,
          );
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import cycles", () => {
    // Tarjan's strongly connected components: any component of more than one file is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (file: string) => {
      index.set(file, counter);
      low.set(file, counter);
      counter += 1;
      stack.push(file);
      onStack.add(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
        } else if (onStack.has(target)) {
          low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
        }
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(rel(member));
        } while (member !== file);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("sees the imports it checks", () => {
    // Guards the checker itself: a parser that found nothing would pass the tests above vacuously.
    const resolvers = graph.get(path.join(SRC, "resolvers/records.ts")) ?? [];
    expect(resolvers.map(rel)).toContain("sources/record-source.ts");
    expect(files.length).toBeGreaterThan(100);
  });
});
