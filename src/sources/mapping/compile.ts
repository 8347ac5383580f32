import { isJsonObject } from "../../json-object.ts";
import { compileGetter, compileSetter, type Step } from "./path.ts";
import { locate, type Problem, parseRule, type Rule, type Scalar } from "./rules.ts";
import { describeValue, type Fail, readTransform, writeTransform } from "./transforms.ts";

/** The mapping config is invalid; `details` lists every problem with its location. The caller answers 400. */
export class MappingConfigError extends Error {
  readonly details: Problem[];

  constructor(details: Problem[]) {
    super(`Invalid field mapping (${details.length} problem${details.length === 1 ? "" : "s"})`);
    this.name = "MappingConfigError";
    this.details = details;
  }
}

/**
 * One value cannot be mapped. On write the client sent it (the caller answers 400 at `data.<field>`); on read the
 * upstream did (the caller decides; it is not the client's fault).
 */
export class MappingError extends Error {
  readonly direction: "read" | "write";
  /** The Recordgate field name, or "" when the whole external value is unusable. */
  readonly field: string;
  readonly externalPath: string;
  readonly reason: string;

  constructor(direction: "read" | "write", field: string, externalPath: string, reason: string) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = "MappingError";
    this.direction = direction;
    this.field = field;
    this.externalPath = externalPath;
    this.reason = reason;
  }

  get details(): Problem[] {
    return [{ path: this.field, message: this.reason }];
  }
}

export interface CompiledMapping {
  toExternal(data: Record<string, unknown>): Record<string, unknown>;
  fromExternal(ext: unknown): Record<string, unknown>;
  /** Fields read through `[]` or array_mode last/flatten; toExternal skips them. */
  readOnly: string[];
  /** Every field is written back and round-trips values of its domain (not so for read-only or unix dates). */
  invertible: boolean;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates a `field_mapping` config once and compiles it into closures (semantics in ./index.ts). */
export function compileMapping(config: unknown, at = "field_mapping"): CompiledMapping {
  const problems: Problem[] = [];
  const rules = collectRules(config, at, problems);
  checkWriteTargets(rules, problems);
  if (problems.length > 0) throw new MappingConfigError(problems);
  return build(rules);
}

function collectRules(config: unknown, at: string, problems: Problem[]): Rule[] {
  if (!isJsonObject(config)) {
    problems.push({ path: at, message: "must be an object with to_external" });
    return [];
  }
  for (const key of Object.keys(config)) {
    if (key !== "to_external") {
      problems.push({ path: locate(at, key), message: "is not a field_mapping key; use to_external" });
    }
  }
  const toAt = `${at}.to_external`;
  const entries = config.to_external;
  if (!isJsonObject(entries)) {
    const message = entries === undefined ? "is required" : "must be an object of Recordgate field → path or rule";
    problems.push({ path: toAt, message });
    return [];
  }
  const rules: Rule[] = [];
  for (const [field, raw] of Object.entries(entries)) {
    const where = locate(toAt, field);
    // `__proto__` matches the pattern but would set the prototype of the record data it is written into.
    const named = FIELD.test(field) && field !== "__proto__";
    if (!named) problems.push({ path: where, message: "must be a field name matching ^[A-Za-z_][A-Za-z0-9_]*$" });
    const rule = parseRule(field, raw, where, problems);
    if (rule && named) rules.push(rule);
  }
  return rules;
}

interface Claim {
  /** The field whose path ends here. */
  owner?: string;
  /** The field that first went through here, and whether it used this node as an object or an array. */
  via?: { field: string; container: "object" | "array" };
  children: Map<string | number, Claim>;
}

/** Two writable fields may not write the same external location, nor one inside the other's value. */
function checkWriteTargets(rules: Rule[], problems: Problem[]) {
  const root: Claim = { children: new Map() };
  for (const rule of rules) {
    if (rule.readOnly) continue;
    const conflict = findConflict(root, rule.path.steps);
    if (conflict) problems.push({ path: rule.pathAt, message: conflict });
    else claim(root, rule.path.steps, rule.field);
  }
}

const slotOf = (step: Step) => (step.kind === "key" ? step.name : step.kind === "index" ? step.index : -1);

function findConflict(root: Claim, steps: Step[]): string | undefined {
  let node: Claim | undefined = root;
  for (const step of steps) {
    if (node.owner) return `writes inside the value of '${node.owner}'`;
    const container = step.kind === "key" ? "object" : "array";
    if (node.via && node.via.container !== container) {
      return `uses an ${container} where '${node.via.field}' uses an ${node.via.container}`;
    }
    node = node.children.get(slotOf(step));
    if (!node) return undefined;
  }
  if (node.owner) return `is already written by '${node.owner}'`;
  return `would overwrite the value '${node.via?.field}' writes inside it`;
}

function claim(root: Claim, steps: Step[], field: string) {
  let node = root;
  for (const step of steps) {
    node.via ??= { field, container: step.kind === "key" ? "object" : "array" };
    const slot = slotOf(step);
    const child = node.children.get(slot) ?? { children: new Map() };
    node.children.set(slot, child);
    node = child;
  }
  node.owner = field;
}

type Reader = (ext: Record<string, unknown>) => unknown;
type Writer = (data: Record<string, unknown>, out: Record<string, unknown>) => void;

const PICK = {
  first: (v: unknown) => (Array.isArray(v) ? v[0] : v),
  last: (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v),
  flatten: (v: unknown) => (Array.isArray(v) ? v.flat() : v),
};

/** Object and array defaults are copied per use so callers mutating one record cannot change the next. */
function defaultOf(rule: Rule): () => unknown {
  const value = rule.default;
  return typeof value === "object" && value !== null ? () => structuredClone(value) : () => value;
}

function compileReader(rule: Rule): Reader {
  const { field, pathText, hasDefault, inverse } = rule;
  const get = compileGetter(rule.path.steps);
  const pick = rule.arrayMode ? PICK[rule.arrayMode] : undefined;
  const fallback = defaultOf(rule);
  const fail: Fail = (reason) => {
    throw new MappingError("read", field, pathText, reason);
  };
  const transform = rule.transform ? readTransform(rule.transform) : undefined;
  const convert =
    transform || inverse
      ? (value: unknown) => {
          if (value === null) return value;
          const external = transform ? transform(value, fail) : value;
          return inverse?.get(external as Scalar) ?? external;
        }
      : undefined;
  const perElement = rule.arrayMode === "flatten" || (rule.path.each && rule.arrayMode === undefined);
  return (ext) => {
    let value = get(ext);
    if (pick) value = pick(value);
    if ((value === undefined || value === null) && hasDefault) value = fallback();
    if (value === undefined || !convert) return value;
    return perElement && Array.isArray(value) ? value.map(convert) : convert(value);
  };
}

function compileWriter(rule: Rule): Writer {
  const { field, pathText, hasDefault, values } = rule;
  const set = compileSetter(rule.path.steps);
  const fallback = defaultOf(rule);
  const fail: Fail = (reason) => {
    throw new MappingError("write", field, pathText, reason);
  };
  const transform = rule.transform ? writeTransform(rule.transform, rule.unix) : undefined;
  const wrap = rule.arrayMode === "first";
  const allowed = values ? [...values.keys()].map((key) => `'${key}'`).join(", ") : "";
  return (data, out) => {
    let value = Object.hasOwn(data, field) ? data[field] : undefined;
    if (value === undefined) {
      if (!hasDefault) return;
      value = fallback();
    }
    if (value !== null) {
      if (values) {
        const external = typeof value === "string" ? values.get(value) : undefined;
        value = external ?? fail(`${describeValue(value)} is not one of ${allowed}`);
      }
      if (transform) value = transform(value, fail);
      if (wrap) value = [value];
    }
    set(out, value);
  };
}

/** Plain assignment of `__proto__` would set the prototype instead of copying the key. */
function copyKey(target: Record<string, unknown>, key: string, value: unknown) {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function build(rules: Rule[]): CompiledMapping {
  const readers = rules.map((rule) => ({ field: rule.field, read: compileReader(rule) }));
  const writers = rules.filter((rule) => !rule.readOnly).map(compileWriter);
  const reserved = new Set(rules.flatMap((rule) => [rule.field, rule.path.root]));
  return {
    readOnly: rules.filter((rule) => rule.readOnly).map((rule) => rule.field),
    invertible: rules.every((rule) => !rule.readOnly && !rule.unix),
    toExternal(data) {
      const out: Record<string, unknown> = {};
      for (const write of writers) write(data, out);
      for (const key of Object.keys(data)) {
        const value = data[key];
        if (value !== undefined && !reserved.has(key)) copyKey(out, key, value);
      }
      return out;
    },
    fromExternal(ext) {
      if (!isJsonObject(ext)) throw new MappingError("read", "", "", "the external value must be a JSON object");
      const data: Record<string, unknown> = {};
      for (const { field, read } of readers) {
        const value = read(ext);
        if (value !== undefined) data[field] = value;
      }
      for (const key of Object.keys(ext)) {
        const value = ext[key];
        if (value !== undefined && !reserved.has(key)) copyKey(data, key, value);
      }
      return data;
    },
  };
}
