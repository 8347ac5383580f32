import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { type ErrorDetail, validationError } from "../errors/app-error.ts";

// ajv-formats is CommonJS with only a default export; under NodeNext that arrives as `.default`.
const addFormats = addFormatsModule.default;

const DRAFTS = {
  "https://json-schema.org/draft/2020-12/schema": Ajv2020,
  "https://json-schema.org/draft/2019-09/schema": Ajv2019,
  "http://json-schema.org/draft-07/schema": Ajv,
} as const;

const OPTIONS: Options = {
  allErrors: true,
  // Unknown keywords are usually typos ("requried"); x-* display and behaviour hints are registered below.
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  // User schemas must not make the server fetch anything.
  loadSchema: undefined,
};

const MAX_DETAILS = 100;

function draftOf(schema: Record<string, unknown>): keyof typeof DRAFTS {
  const declared = schema.$schema;
  if (declared === undefined) return "https://json-schema.org/draft/2020-12/schema";
  const normalised = typeof declared === "string" ? declared.replace(/#$/, "") : declared;
  if (typeof normalised === "string" && normalised in DRAFTS) return normalised as keyof typeof DRAFTS;
  throw validationError("Unsupported JSON Schema dialect", [
    {
      path: "json_schema.$schema",
      message: `must be one of ${Object.keys(DRAFTS).join(", ")} (or omitted for 2020-12)`,
    },
  ]);
}

/** Every `x-…` key used anywhere in the schema, so strict mode accepts annotations and still rejects typos. */
function extensionKeywords(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) extensionKeywords(item, found);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-")) found.add(key);
      extensionKeywords(value, found);
    }
  }
  return found;
}

function schemaPath(error: ErrorObject): string {
  const base = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "required") base.push(String(error.params.missingProperty));
  if (error.keyword === "additionalProperties") base.push(String(error.params.additionalProperty));
  return ["data", ...base].join(".");
}

/** Turns ajv's errors into the contract's `details[]`, one per failing JSON path. */
export function toDetails(errors: ErrorObject[] | null | undefined): ErrorDetail[] {
  return (errors ?? []).slice(0, MAX_DETAILS).map((e) => ({ path: schemaPath(e), message: e.message ?? e.keyword }));
}

/** Compiles a collection's JSON Schema, or explains exactly why it is not one. */
export function compileSchema(schema: unknown): ValidateFunction {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    throw validationError("json_schema must be a JSON object", [{ path: "json_schema", message: "must be an object" }]);
  }
  const record = schema as Record<string, unknown>;
  const AjvClass = DRAFTS[draftOf(record)];
  // A fresh instance per collection: schemas may carry an $id, and two collections with one $id must not clash.
  const ajv = new AjvClass(OPTIONS);
  addFormats(ajv);
  for (const keyword of extensionKeywords(schema)) ajv.addKeyword(keyword);
  if (!ajv.validateSchema(record)) {
    const details = (ajv.errors ?? []).slice(0, MAX_DETAILS).map((e) => ({
      path: `json_schema${e.instancePath.replace(/\//g, ".")}`,
      message: e.message ?? e.keyword,
    }));
    throw validationError("json_schema is not a valid JSON Schema", details);
  }
  if (record.type !== "object") {
    throw validationError("json_schema must describe an object", [
      { path: "json_schema.type", message: 'must be "object"' },
    ]);
  }
  try {
    return ajv.compile(record);
  } catch (error) {
    throw validationError("json_schema cannot be compiled", [
      { path: "json_schema", message: (error as Error).message },
    ]);
  }
}

interface CachedValidator {
  stamp: string;
  validate: ValidateFunction;
}

/**
 * Compiled validators per collection, reused until the collection changes. The stamp (version + update time)
 * tells a stale entry from a fresh one even when a collection is deleted and recreated with the same id.
 */
export class SchemaRegistry {
  private readonly cache = new Map<string, CachedValidator>();
  /** Schema compilations so far; tests use it to prove validators are reused across requests. */
  compilations = 0;

  constructor(private readonly maxEntries = 1000) {}

  validatorFor(collection: {
    workspaceId: string;
    id: string;
    version: number;
    updatedAt: Date;
    jsonSchema: unknown;
  }): ValidateFunction {
    const key = `${collection.workspaceId}/${collection.id}`;
    const stamp = `${collection.version}@${collection.updatedAt.getTime()}`;
    const hit = this.cache.get(key);
    if (hit?.stamp === stamp) {
      // Re-insert so Map order tracks recency and eviction drops the least recently used.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.validate;
    }
    const validate = compileSchema(collection.jsonSchema);
    this.compilations++;
    this.cache.delete(key);
    this.cache.set(key, { stamp, validate });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return validate;
  }
}
