import { fieldType } from "./field-types.ts";
import { type FieldRef, type PathSegment, SYSTEM_FIELDS, type SystemField } from "./model.ts";
import type { Problems } from "./problems.ts";

/** Keys become part of SQL text (as JSON path literals), so only this alphabet is accepted. */
export const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const MAX_PATH_DEPTH = 10;

/** `data.a.b[0].c` → ["a","b",0,"c"]; undefined when any segment is not a plain key or index. */
function parsePath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  for (const part of text.split(".")) {
    const match = /^([^[\]]+)((?:\[\d{1,6}\])*)$/.exec(part);
    if (!match?.[1] || !KEY.test(match[1])) return undefined;
    segments.push(match[1]);
    for (const index of match[2]?.matchAll(/\[(\d+)\]/g) ?? []) segments.push(Number(index[1]));
  }
  return segments.length <= MAX_PATH_DEPTH ? segments : undefined;
}

/** Resolves a field name against the system fields and the collection's schema. */
export function parseField(value: unknown, schema: unknown, at: string, problems: Problems): FieldRef | undefined {
  if (typeof value !== "string") return problems.add(at, "must be a field name such as 'data.status' or 'created_at'");
  if (value in SYSTEM_FIELDS) {
    const name = value as SystemField;
    return { kind: "system", name, type: SYSTEM_FIELDS[name], label: value };
  }
  if (!value.startsWith("data.")) {
    return problems.add(
      at,
      `unknown field '${value}': use 'data.<path>' or one of ${Object.keys(SYSTEM_FIELDS).join(", ")}`,
    );
  }
  const path = parsePath(value.slice(5));
  if (!path) {
    return problems.add(
      at,
      `invalid field path '${value}': keys are letters, digits, '_' or '-' (starting with a letter or '_'), array elements are [n], at most ${MAX_PATH_DEPTH} levels`,
    );
  }
  return { kind: "data", path, type: fieldType(schema, path), label: value };
}
