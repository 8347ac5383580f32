import { isJsonObject } from "../../json-object.ts";
import { type ParsedPath, parsePath } from "./path.ts";
import {
  describeValue,
  isTransformName,
  readTransform,
  TRANSFORM_NAMES,
  type Transform,
  type TransformName,
  writeTransform,
} from "./transforms.ts";

/** One configuration problem, located like the other `details` entries of a VALIDATION_ERROR. */
export interface Problem {
  path: string;
  message: string;
}

export type Scalar = string | number | boolean;

export const ARRAY_MODES = ["first", "last", "flatten"] as const;
export type ArrayMode = (typeof ARRAY_MODES)[number];

/** A validated entry of `to_external`; the shorthand `"field": "a.b"` becomes `{ path: "a.b" }`. */
export interface Rule {
  field: string;
  /** Where the path was written, for errors about it. */
  pathAt: string;
  pathText: string;
  path: ParsedPath;
  arrayMode: ArrayMode | undefined;
  transform: TransformName | undefined;
  unix: boolean;
  values: Map<string, Scalar> | undefined;
  inverse: Map<Scalar, string> | undefined;
  hasDefault: boolean;
  default: unknown;
  /** Reads many values (`[]`) or picks among them (`last`, `flatten`), so there is nothing to write back. */
  readOnly: boolean;
}

const RULE_KEYS = ["path", "array_mode", "values", "transform", "default", "external_format"];
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `parent.key`, or `parent["odd key"]` when the key would make the location ambiguous. */
export const locate = (parent: string, key: string) =>
  IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;

const oneOf = (names: readonly string[]) => `must be one of ${names.join(", ")}`;

class Rejected {
  constructor(readonly reason: string) {}
}

/** Runs a transform at save time, turning its failure into a reason instead of a MappingError. */
function attempt(transform: Transform, value: unknown): { value: unknown } | Rejected {
  try {
    return {
      value: transform(value, (reason) => {
        throw new Rejected(reason);
      }),
    };
  } catch (error) {
    if (error instanceof Rejected) return error;
    throw error;
  }
}

/** Validates one `to_external` entry, pushing every problem; returns the rule only when it has none. */
export function parseRule(field: string, raw: unknown, at: string, problems: Problem[]): Rule | undefined {
  const spec: Record<string, unknown> | undefined =
    typeof raw === "string" ? { path: raw } : isJsonObject(raw) ? raw : undefined;
  if (!spec) {
    problems.push({ path: at, message: "must be an external path or a rule object with a path" });
    return undefined;
  }
  const before = problems.length;
  const has = (key: string) => Object.hasOwn(spec, key) && spec[key] !== undefined;
  for (const key of Object.keys(spec)) {
    if (!RULE_KEYS.includes(key)) {
      problems.push({ path: locate(at, key), message: `is not a rule key; ${oneOf(RULE_KEYS)}` });
    }
  }

  const pathAt = typeof raw === "string" ? at : `${at}.path`;
  let path: ParsedPath | undefined;
  if (!has("path")) {
    problems.push({ path: pathAt, message: "is required" });
  } else if (typeof spec.path !== "string") {
    problems.push({ path: pathAt, message: "must be a string such as 'a.b[0].c'" });
  } else {
    const parsed = parsePath(spec.path);
    if (typeof parsed === "string") problems.push({ path: pathAt, message: parsed });
    else path = parsed;
  }

  const arrayMode = spec.array_mode as ArrayMode | undefined;
  if (has("array_mode") && !ARRAY_MODES.includes(arrayMode as ArrayMode)) {
    problems.push({ path: `${at}.array_mode`, message: oneOf(ARRAY_MODES) });
  }
  const transform = isTransformName(spec.transform) ? spec.transform : undefined;
  if (has("transform") && !transform) problems.push({ path: `${at}.transform`, message: oneOf(TRANSFORM_NAMES) });
  const unix = spec.external_format === "unix";
  if (has("external_format") && !unix) problems.push({ path: `${at}.external_format`, message: "must be 'unix'" });
  // An unknown transform is reported once, at `transform`, not again here.
  const knownTransform = transform !== undefined || !has("transform");
  if (unix && knownTransform && transform !== "iso_date") {
    problems.push({ path: `${at}.external_format`, message: "only applies with transform iso_date" });
  }

  const readOnly = path?.each === true || arrayMode === "last" || arrayMode === "flatten";
  const maps = has("values") ? checkValues(spec.values, `${at}.values`, transform, problems) : undefined;
  if (has("default")) checkDefault(spec.default, `${at}.default`, { transform, unix, readOnly, maps }, problems);

  if (problems.length > before || !path) return undefined;
  return {
    field,
    pathAt,
    pathText: spec.path as string,
    path,
    arrayMode,
    transform,
    unix,
    values: maps?.forward,
    inverse: maps?.inverse,
    hasDefault: has("default"),
    // A snapshot, so later edits to the config object cannot change a compiled mapping.
    default: structuredClone(spec.default),
    readOnly,
  };
}

interface Maps {
  forward: Map<string, Scalar>;
  inverse: Map<Scalar, string>;
}

function checkValues(raw: unknown, at: string, transform: TransformName | undefined, problems: Problem[]): Maps {
  const maps: Maps = { forward: new Map(), inverse: new Map() };
  if (!isJsonObject(raw) || Object.keys(raw).length === 0) {
    problems.push({ path: at, message: "must be a non-empty object of Recordgate value → external value" });
    return maps;
  }
  for (const [key, external] of Object.entries(raw)) {
    const where = locate(at, key);
    const scalar = typeof external === "string" || typeof external === "boolean" || Number.isFinite(external);
    if (!scalar) {
      problems.push({ path: where, message: "must be a string, a number or a boolean" });
      continue;
    }
    const earlier = maps.inverse.get(external as Scalar);
    if (earlier !== undefined) {
      problems.push({
        path: where,
        message: `maps to the same external value as '${earlier}', so reads are ambiguous`,
      });
      continue;
    }
    // Reads transform before the inverse lookup, so an external value the transform changes could never match.
    if (transform) {
      const read = attempt(readTransform(transform), external);
      if (read instanceof Rejected) {
        problems.push({ path: where, message: `is rejected by transform ${transform}: ${read.reason}` });
      } else if (read.value !== external) {
        problems.push({
          path: where,
          message: `is never read back: transform ${transform} turns it into ${describeValue(read.value)}`,
        });
      }
    }
    maps.forward.set(key, external as Scalar);
    maps.inverse.set(external as Scalar, key);
  }
  return maps;
}

interface DefaultContext {
  transform: TransformName | undefined;
  unix: boolean;
  readOnly: boolean;
  maps: Maps | undefined;
}

/** The default goes through the read pipeline on read and the write pipeline on write; both must accept it. */
function checkDefault(value: unknown, at: string, context: DefaultContext, problems: Problem[]) {
  if (value === null) return;
  const { transform, unix, readOnly, maps } = context;
  const read = transform ? attempt(readTransform(transform), value) : { value };
  if (read instanceof Rejected) {
    problems.push({ path: at, message: `is rejected by transform ${transform}: ${read.reason}` });
    return;
  }
  if (readOnly) return;
  if (maps) {
    if (typeof value !== "string" || !maps.forward.has(value)) {
      problems.push({ path: at, message: "must be one of the values keys, because writes send it through values" });
      return;
    }
    // On read the default is an external value; a key comes back unchanged only if nothing maps it elsewhere.
    const back = maps.inverse.get(read.value as Scalar) ?? read.value;
    if (back !== value) problems.push({ path: at, message: `reads back as ${describeValue(back)}, not as itself` });
  }
  const write = transform ? writeTransform(transform, unix) : undefined;
  if (write) {
    const sent = attempt(write, maps ? maps.forward.get(value as string) : value);
    if (sent instanceof Rejected) problems.push({ path: at, message: `cannot be written: ${sent.reason}` });
  }
}
