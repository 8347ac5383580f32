import { isJsonObject } from "../../json-object.ts";

/** One step into an external object: an own key, an array index, or every element of an array (`[]`). */
export type Step = { kind: "key"; name: string } | { kind: "index"; index: number } | { kind: "each" };

export interface ParsedPath {
  steps: Step[];
  /** The top-level external key the path starts at; pass-through leaves it alone. */
  root: string;
  /** The path goes through `[]`, so it reads many values and cannot be written. */
  each: boolean;
}

/** Writing `a[n]` materialises n + 1 slots, so a typo such as `[1000000000]` would build a huge array. */
export const MAX_INDEX = 9999;

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const SEGMENT = /^([^[\]]*)(?:\[([^[\]]*)\])?$/;

/** Parses `a.b[0].c` / `items[].name`; returns the reason as a string when the text is not a valid path. */
export function parsePath(text: string): ParsedPath | string {
  if (text === "") return "must not be empty";
  const steps: Step[] = [];
  let each = false;
  const segments = text.split(".");
  for (const [i, segment] of segments.entries()) {
    if (segment === "") return `has an empty segment at position ${i + 1}`;
    const match = SEGMENT.exec(segment);
    if (!match) return `segment '${segment}' must be a name followed by at most one [n] or []`;
    const [, name = "", bracket] = match;
    if (name === "") return `segment '${segment}' must start with a name`;
    if (!NAME.test(name)) return `segment '${segment}' has an invalid name (letters, digits, _, $ and -)`;
    // Assigning `__proto__` would replace the prototype of the object being built instead of adding a key.
    if (name === "__proto__") return `segment '${segment}' uses the reserved name __proto__`;
    steps.push({ kind: "key", name });
    if (bracket === undefined) continue;
    if (bracket === "") {
      steps.push({ kind: "each" });
      each = true;
    } else if (/^\d+$/.test(bracket) && Number(bracket) <= MAX_INDEX) {
      steps.push({ kind: "index", index: Number(bracket) });
    } else {
      return `segment '${segment}' must use [] or an index from 0 to ${MAX_INDEX}`;
    }
  }
  return { steps, root: (steps[0] as { name: string }).name, each };
}

function walk(value: unknown, steps: readonly Step[], from: number): unknown {
  let current = value;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i] as Step;
    if (step.kind === "key") {
      // Own keys only: `constructor` or `toString` must not find Object.prototype members.
      if (!isJsonObject(current) || !Object.hasOwn(current, step.name)) return undefined;
      current = current[step.name];
    } else if (!Array.isArray(current)) {
      return undefined;
    } else if (step.kind === "index") {
      current = current[step.index];
    } else {
      const all: unknown[] = [];
      for (const element of current) {
        const found = walk(element, steps, i + 1);
        if (found !== undefined) all.push(found);
      }
      return all;
    }
  }
  return current;
}

/** Compiles a reader; a missing key, a wrong container type or an index out of range reads as undefined. */
export function compileGetter(steps: readonly Step[]): (root: unknown) => unknown {
  const only = steps.length === 1 ? steps[0] : undefined;
  if (only?.kind === "key") {
    const { name } = only;
    return (root) => (isJsonObject(root) && Object.hasOwn(root, name) ? root[name] : undefined);
  }
  return (root) => walk(root, steps, 0);
}

/**
 * Compiles a writer for a path without `[]`. Missing or mistyped containers on the way are replaced by a fresh
 * object or array; array slots skipped by an index are filled with null so the JSON has no holes.
 */
export function compileSetter(steps: readonly Step[]): (target: Record<string, unknown>, value: unknown) => void {
  const last = steps.length - 1;
  return (target, value) => {
    let container: Record<string, unknown> | unknown[] = target;
    for (let i = 0; i <= last; i++) {
      const step = steps[i] as Step;
      // Paths with `[]` are read-only and never compiled into a setter.
      if (step.kind === "each") return;
      const slot: string | number = step.kind === "key" ? step.name : step.index;
      const holder = container as Record<string | number, unknown>;
      if (Array.isArray(container)) while (container.length < (slot as number)) container.push(null);
      if (i === last) holder[slot] = value;
      // An inherited member (e.g. `toString`) is a function, so childOf replaces it with an own container.
      else container = holder[slot] = childOf(holder[slot], steps[i + 1] as Step);
    }
  };
}

function childOf(existing: unknown, next: Step): Record<string, unknown> | unknown[] {
  if (next.kind === "key") return isJsonObject(existing) ? existing : {};
  return Array.isArray(existing) ? existing : [];
}
