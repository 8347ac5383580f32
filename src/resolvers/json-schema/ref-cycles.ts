import { detailPath, escapeToken, type SchemaNode, schemaNodes } from "./subschemas.ts";

/** The base of a schema without `$id`: only used to resolve its own references. */
const DEFAULT_BASE = "https://recordgate.invalid/schema.json";

function resolve(reference: string, base: string): string | undefined {
  try {
    const url = new URL(reference, base);
    const fragment = decodeURIComponent(url.hash.slice(1));
    url.hash = "";
    return `${url.href}#${fragment}`;
  } catch {
    return undefined;
  }
}

interface Resource {
  uri: string;
  depth: number;
}

/**
 * A `$ref` loop that never descends into the instance (`{"$ref": "#"}` at the root, `a → b → a` through `allOf`)
 * makes validation recurse forever on every record. Returns the loop as a readable path, or undefined.
 * Dynamic references count every anchor they might reach, so a schema refused here might have terminated at run
 * time only through dynamic scope; such schemas are rare and the refusal names the loop.
 */
export function inPlaceRefCycle(schema: unknown, draft7: boolean): { path: string; loop: string } | undefined {
  const nodes = schemaNodes(schema);
  const bases: string[] = [];
  const resources: Resource[][] = [];
  const index = new Map<string, number>();
  const dynamicAnchors = new Map<string, number[]>();
  const recursiveAnchors: number[] = [];
  nodes.forEach((n, i) => {
    const parentBase = n.parent === undefined ? DEFAULT_BASE : (bases[n.parent] as string);
    let enclosing = n.parent === undefined ? [{ uri: DEFAULT_BASE, depth: 0 }] : (resources[n.parent] as Resource[]);
    let base = parentBase;
    const id = n.node.$id;
    if (typeof id === "string" && !(draft7 && id.startsWith("#"))) {
      const uri = resolve(id, parentBase);
      if (uri) {
        base = uri.replace(/#.*$/, "");
        enclosing = [...enclosing, { uri: base, depth: n.tokens.length }];
      }
    }
    bases.push(base);
    resources.push(enclosing);
    for (const r of enclosing) {
      index.set(
        `${r.uri}#${n.tokens
          .slice(r.depth)
          .map((t) => `/${escapeToken(t)}`)
          .join("")}`,
        i,
      );
    }
    const anchors = [n.node.$anchor, n.node.$dynamicAnchor, draft7 && typeof id === "string" ? id.slice(1) : undefined];
    for (const anchor of anchors) if (typeof anchor === "string" && anchor) index.set(`${base}#${anchor}`, i);
    if (typeof n.node.$dynamicAnchor === "string") {
      dynamicAnchors.set(n.node.$dynamicAnchor, [...(dynamicAnchors.get(n.node.$dynamicAnchor) ?? []), i]);
    }
    if (n.node.$recursiveAnchor === true) recursiveAnchors.push(i);
  });

  const edges: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    if (n.parent !== undefined && n.inPlace) edges[n.parent]?.push(i);
    const base = bases[i] as string;
    const to = (reference: unknown) => {
      const key = typeof reference === "string" ? resolve(reference, base) : undefined;
      const target = key === undefined ? undefined : index.get(key);
      if (target !== undefined) edges[i]?.push(target);
    };
    to(n.node.$ref);
    const dynamic = n.node.$dynamicRef;
    if (typeof dynamic === "string") {
      to(dynamic);
      const name = dynamic.includes("#") ? dynamic.slice(dynamic.indexOf("#") + 1) : "";
      for (const target of dynamicAnchors.get(name) ?? []) edges[i]?.push(target);
    }
    if (typeof n.node.$recursiveRef === "string") {
      to(n.node.$recursiveRef);
      edges[i]?.push(...recursiveAnchors);
    }
  });
  return findCycle(nodes, edges);
}

/** Iterative depth-first search for a cycle; the answer names the first node of the loop and the loop itself. */
function findCycle(nodes: SchemaNode[], edges: number[][]): { path: string; loop: string } | undefined {
  const state = new Uint8Array(nodes.length); // 0 unseen, 1 on the current path, 2 done
  for (let start = 0; start < nodes.length; start++) {
    if (state[start]) continue;
    const path: number[] = [start];
    const next: number[] = [0];
    state[start] = 1;
    while (path.length) {
      const top = path.length - 1;
      const node = path[top] as number;
      const out = edges[node] as number[];
      const k = next[top] as number;
      if (k >= out.length) {
        state[node] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const target = out[k] as number;
      if (state[target] === 1) {
        const loop = path.slice(path.indexOf(target)).concat(target);
        const pointer = (i: number) => `#${(nodes[i] as SchemaNode).tokens.map((t) => `/${escapeToken(t)}`).join("")}`;
        return { path: detailPath((nodes[target] as SchemaNode).tokens), loop: loop.map(pointer).join(" → ") };
      }
      if (state[target] === 0) {
        state[target] = 1;
        path.push(target);
        next.push(0);
      }
    }
  }
  return undefined;
}
