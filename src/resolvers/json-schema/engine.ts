import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { RegExpLike } from "ajv/dist/types/index.js";
import addFormatsModule from "ajv-formats";
import { type ErrorDetail, validationError } from "../../errors/app-error.ts";
import { checkSchemaLimits, DEFAULT_SCHEMA_LIMITS, refuse as refuseLimit, type SchemaLimits } from "./limits.ts";
import { inPlaceRefCycle } from "./ref-cycles.ts";
import { re2EngineWith, tryPattern } from "./regexp.ts";
import { detailPath, schemaNodes } from "./subschemas.ts";

// ajv-formats is CommonJS with only a default export; under NodeNext that arrives as `.default`.
const addFormats = addFormatsModule.default;

export const DRAFTS = {
  "https://json-schema.org/draft/2020-12/schema": Ajv2020,
  "https://json-schema.org/draft/2019-09/schema": Ajv2019,
  "http://json-schema.org/draft-07/schema": Ajv,
} as const;
type Dialect = keyof typeof DRAFTS;
const DRAFT_07: Dialect = "http://json-schema.org/draft-07/schema";

/** Root keyword choosing whether `format` is asserted (true) or only an annotation (false); see docs/schemas.md. */
export const FORMAT_ASSERTION = "x-format-assertion";
/** What an empty `enum` becomes: ajv refuses `enum: []` although the spec allows it (nothing is valid). */
const EMPTY_ENUM = "x-recordgate-empty-enum";

const OPTIONS: Options = {
  allErrors: true,
  // Spec-valid schemas are accepted; what strict mode would refuse comes back as warnings (logger below).
  strictSchema: "log",
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  // `required: ["constructor"]` must not be satisfied by Object.prototype.
  ownProperties: true,
  // Inlining a referenced schema at every use multiplies generated code (45 uses of a 40-property definition took
  // seconds to compile); only small definitions are inlined, the others compile once as functions.
  inlineRefs: 8,
  // User schemas must not make the server fetch anything.
  loadSchema: undefined,
};

const MAX_DETAILS = 100;

export interface SchemaWarning {
  path: string;
  message: string;
}

export interface CompiledSchema {
  validate: ValidateFunction;
  warnings: SchemaWarning[];
}

export function dialectOf(schema: object | boolean): Dialect {
  const declared = typeof schema === "object" ? (schema as Record<string, unknown>).$schema : undefined;
  if (declared === undefined) return "https://json-schema.org/draft/2020-12/schema";
  const normalised = typeof declared === "string" ? declared.replace(/#$/, "") : declared;
  if (typeof normalised === "string" && normalised in DRAFTS) return normalised as Dialect;
  throw validationError("Unsupported JSON Schema dialect", [
    {
      path: "json_schema.$schema",
      message: `must be one of ${Object.keys(DRAFTS).join(", ")} (or omitted for 2020-12)`,
    },
  ]);
}

/** The spec's default: an annotation since 2019-09, asserted by draft-07 (as the official test suite expects). */
export function assertsFormats(schema: object | boolean, dialect: Dialect): boolean {
  const choice = typeof schema === "object" ? (schema as Record<string, unknown>)[FORMAT_ASSERTION] : undefined;
  return typeof choice === "boolean" ? choice : dialect === DRAFT_07;
}

function refuse(message: string, details: ErrorDetail[]): never {
  throw validationError(message, details.slice(0, MAX_DETAILS));
}

/** Draft-07 ignores every keyword beside `$ref` (ajv applies them); `definitions` stay, as refs point into them. */
function ignoreRefSiblings(node: Record<string, unknown>): void {
  for (const key of Object.keys(node)) if (key !== "$ref" && key !== "definitions") delete node[key];
}

/**
 * ajv skips a property named `__proto__` in `properties` (a guard of its code generator), so such a schema would
 * accept anything there. The same constraint as an anchored pattern property is evaluated like any other key,
 * including by `additionalProperties`.
 */
const PROTO = "__proto__";

function movePrototypeProperty(node: Record<string, unknown>): void {
  const properties = node.properties as Record<string, unknown> | undefined;
  if (!properties || typeof properties !== "object" || !Object.hasOwn(properties, PROTO)) return;
  const schema = properties[PROTO];
  delete properties[PROTO];
  const key = "^__proto__$";
  const patterns = { ...(node.patternProperties as Record<string, unknown> | undefined) };
  patterns[key] = Object.hasOwn(patterns, key) ? { allOf: [patterns[key], schema] } : schema;
  node.patternProperties = patterns;
}

/**
 * Compiles each distinct pattern once, within the pattern limits: RE2 compilation is the costliest part of a
 * schema (up to 10 ms for one counted repeat of a Unicode class), so the limits stop the walk as soon as they are
 * crossed, before the rest is compiled. What RE2 cannot run is collected in `problems`.
 */
class PatternBudget {
  readonly compiled = new Map<string, RegExpLike>();
  readonly problems: ErrorDetail[] = [];
  private instructions = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly limits: SchemaLimits) {}

  check(pattern: string, path: string): void {
    if (this.seen.has(pattern)) return;
    this.seen.add(pattern);
    const { maxPatterns, maxPatternLength, maxPatternProgram } = this.limits;
    if (this.seen.size > maxPatterns) refuseLimit(`json_schema has more than ${maxPatterns} distinct patterns`, path);
    if (pattern.length > maxPatternLength) {
      refuseLimit(`json_schema has a pattern of ${pattern.length} characters; the limit is ${maxPatternLength}`, path);
    }
    const { regexp, problem } = tryPattern(pattern);
    if (problem !== undefined) {
      this.problems.push({ path, message: problem });
      return;
    }
    this.instructions += regexp.programSize();
    if (this.instructions > maxPatternProgram) {
      refuseLimit(
        `json_schema's patterns compile to more than ${maxPatternProgram} RE2 instructions (counted repeats multiply them)`,
        path,
      );
    }
    this.compiled.set(pattern, regexp);
  }
}

/**
 * Checks what ajv would otherwise find out too late or too slowly (patterns RE2 cannot run or that cost too much to
 * compile, in-place `$ref` loops), and rewrites what ajv refuses although the spec allows it (empty `enum`). Works
 * on a copy.
 */
function prepare(schema: object, dialect: Dialect, knownFormats: Set<string>, budget: PatternBudget) {
  const copy = structuredClone(schema);
  const problems = budget.problems;
  const unknownFormats = new Map<string, string>();
  for (const { node, tokens } of schemaNodes(copy)) {
    if (typeof node.pattern === "string") budget.check(node.pattern, detailPath([...tokens, "pattern"]));
    const patterns = node.patternProperties;
    if (patterns && typeof patterns === "object" && !Array.isArray(patterns)) {
      for (const key of Object.keys(patterns)) budget.check(key, detailPath([...tokens, "patternProperties", key]));
    }
    if (typeof node.format === "string" && !knownFormats.has(node.format) && !unknownFormats.has(node.format)) {
      unknownFormats.set(node.format, detailPath([...tokens, "format"]));
    }
    if (dialect === DRAFT_07 && typeof node.$ref === "string") ignoreRefSiblings(node);
    movePrototypeProperty(node);
    if (Array.isArray(node.enum) && node.enum.length === 0) {
      delete node.enum;
      node[EMPTY_ENUM] = true;
    }
  }
  if (problems.length) refuse("json_schema has patterns that cannot run in linear time", problems);
  const cycle = inPlaceRefCycle(copy, dialect === DRAFT_07);
  if (cycle) {
    refuse("json_schema references itself without descending into the record", [
      { path: cycle.path, message: `$ref loop that never reaches a property or item: ${cycle.loop}` },
    ]);
  }
  return { copy, unknownFormats };
}

/**
 * Compiles any JSON Schema (draft 2020-12, 2019-09 or 07) the way the server validates records, or explains why it
 * is not one. This is the engine the conformance test (test/json-schema-conformance.test.ts) runs the suite on.
 */
export function compileJsonSchema(schema: unknown, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): CompiledSchema {
  if (typeof schema !== "boolean" && (!schema || typeof schema !== "object" || Array.isArray(schema))) {
    refuse("json_schema must be a JSON object", [{ path: "json_schema", message: "must be an object" }]);
  }
  checkSchemaLimits(schema, limits);
  const dialect = dialectOf(schema);
  const warnings: SchemaWarning[] = [];
  const note = (message: unknown) => {
    if (warnings.length < MAX_DETAILS) {
      warnings.push({ path: "json_schema", message: String(message).replace(/^strict mode: /, "") });
    }
  };
  const AjvClass = DRAFTS[dialect];
  const formats = assertsFormats(schema, dialect);
  // A fresh instance per schema: schemas may carry an $id, and two collections with one $id must not clash.
  const budget = new PatternBudget(limits);
  const ajv = new AjvClass({
    ...OPTIONS,
    // Linear-time matching for every client pattern, each compiled once (while checking the budget).
    code: { regExp: re2EngineWith(budget.compiled) },
    validateFormats: formats,
    // Checked once below against the shared meta-schema validator: compiling the meta-schema per save costs more
    // than most schemas.
    validateSchema: false,
    logger: { log() {}, warn: note, error: note },
  });
  addFormats(ajv);
  // Annotations the spec defines but ajv's vocabularies lack, and the empty-enum stand-in.
  ajv.addKeyword({ keyword: "$anchor" });
  ajv.addKeyword({ keyword: EMPTY_ENUM, macro: () => false });
  if (typeof schema === "boolean") return { validate: ajv.compile(schema), warnings };

  const { copy, unknownFormats } = prepare(schema, dialect, new Set(Object.keys(ajv.formats)), budget);
  for (const keyword of extensionKeywords(copy)) if (!ajv.getKeyword(keyword)) ajv.addKeyword(keyword);
  for (const [format, path] of unknownFormats) {
    ajv.addFormat(format, true);
    if (formats) warnings.push({ path, message: `unknown format "${format}" is not checked` });
  }
  const meta = metaValidator(dialect);
  if (!meta.validateSchema(copy)) {
    const details = (meta.errors ?? []).map((e) => ({
      path: `json_schema${e.instancePath.replace(/\//g, ".")}`,
      message: e.message ?? e.keyword,
    }));
    refuse("json_schema is not a valid JSON Schema", details);
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(copy);
  } catch (error) {
    const message = error instanceof RangeError ? "references nest too deeply to compile" : (error as Error).message;
    refuse("json_schema cannot be compiled", [{ path: "json_schema", message }]);
  }
  refuseIfProbesThrow(validate);
  return { validate, warnings };
}

/** One instance of each JSON type: enough to reach every in-place reference of a schema. */
const PROBES: unknown[] = [{}, [], "", "ab", 0, null, true, ["a", "b"]];

/**
 * ajv's `$dynamicRef` resolution can recurse forever on schemas the spec calls valid (dynamicRef.json in the official
 * suite): such a schema would make every write fail, so it is refused now, when one of these probes trips it.
 */
function refuseIfProbesThrow(validate: ValidateFunction): void {
  for (const probe of PROBES) {
    try {
      validate(probe);
    } catch (error) {
      const reason = error instanceof RangeError ? "recurses without end" : (error as Error).message;
      refuse("json_schema cannot be used to validate records", [
        { path: "json_schema", message: `validating ${JSON.stringify(probe)} against it ${reason}` },
      ]);
    }
  }
}

const metaValidators = new Map<Dialect, Ajv>();

/** One instance per dialect that only checks schemas against the dialect's meta-schema (it holds no user schema). */
function metaValidator(dialect: Dialect): Ajv {
  let ajv = metaValidators.get(dialect);
  if (!ajv) {
    ajv = new DRAFTS[dialect]({ allErrors: true, strict: false, logger: false });
    metaValidators.set(dialect, ajv);
  }
  return ajv;
}

/** Every `x-…` key used anywhere in the schema, registered as an annotation so it draws no warning. */
function extensionKeywords(schema: object): Set<string> {
  const found = new Set<string>();
  for (const { node } of schemaNodes(schema))
    for (const key of Object.keys(node)) if (key.startsWith("x-")) found.add(key);
  return found;
}

/**
 * Runs a compiled validator so that nothing it throws escapes as a 500: a schema that recurses through dynamic
 * scope, or a record nested deeper than the stack, becomes a validation error on the record.
 */
export function validateSafely(validate: ValidateFunction, data: unknown): ErrorObject[] | null {
  try {
    return validate(data) ? null : (validate.errors ?? []);
  } catch (error) {
    const message =
      error instanceof RangeError
        ? "could not be validated: the record or the schema nests too deeply"
        : "could not be validated against the collection's schema";
    return [{ keyword: "schema", instancePath: "", schemaPath: "#", params: {}, message }];
  }
}
