import type { ErrorObject, ValidateFunction } from "ajv";
import { type ErrorDetail, validationError } from "../errors/app-error.ts";
import { type CompiledSchema, compileJsonSchema, validateSafely } from "./json-schema/engine.ts";
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits, STORED_SCHEMA_LIMITS } from "./json-schema/limits.ts";

export type { SchemaWarning } from "./json-schema/engine.ts";

const MAX_DETAILS = 100;

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

/** Compiles a collection's JSON Schema (any JSON Schema whose root describes an object), or explains why not. */
export function compileSchema(schema: unknown, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): CompiledSchema {
  const compiled = compileJsonSchema(schema, limits);
  if ((schema as Record<string, unknown>).type !== "object") {
    throw validationError("json_schema must describe an object", [
      { path: "json_schema.type", message: 'must be "object"' },
    ]);
  }
  return compiled;
}

interface CollectionVersion {
  workspaceId: string;
  id: string;
  version: number;
  updatedAt: Date;
  jsonSchema: unknown;
}

interface CachedValidator {
  stamp: string;
  validate: ValidateFunction;
}

/**
 * Compiled validators per collection version, reused until the collection changes. The stamp (version + update
 * time) tells a stale entry from a fresh one even when a collection is deleted and recreated with the same id.
 * A save leaves its compiled validator here, so the first write after it compiles nothing.
 */
export class SchemaRegistry {
  private readonly cache = new Map<string, CachedValidator>();
  /** Schema compilations so far; tests use it to prove validators are reused across requests. */
  compilations = 0;
  readonly limits: SchemaLimits;

  constructor(options: { maxEntries?: number; limits?: SchemaLimits } = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.limits = options.limits ?? DEFAULT_SCHEMA_LIMITS;
  }

  private readonly maxEntries: number;

  /** Compiles a schema about to be saved (counted like any compilation); `remember` keeps it once saved. */
  compile(schema: unknown): CompiledSchema {
    this.compilations++;
    return compileSchema(schema, this.limits);
  }

  /** Keeps the validator compiled for a save under the version that save produced. */
  remember(collection: CollectionVersion, validate: ValidateFunction): void {
    const key = `${collection.workspaceId}/${collection.id}`;
    this.cache.delete(key);
    this.cache.set(key, { stamp: stampOf(collection), validate });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  validatorFor(collection: CollectionVersion): ValidateFunction {
    const key = `${collection.workspaceId}/${collection.id}`;
    const hit = this.cache.get(key);
    if (hit?.stamp === stampOf(collection)) {
      // Re-insert so Map order tracks recency and eviction drops the least recently used.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.validate;
    }
    // A stored schema passed the limits of its save; limits lowered since must not make its collection unwritable.
    this.compilations++;
    const { validate } = compileSchema(collection.jsonSchema, {
      ...STORED_SCHEMA_LIMITS,
      maxDepth: this.limits.maxDepth,
    });
    this.remember(collection, validate);
    return validate;
  }

  /** The record's problems against its collection's schema, or null when it is valid; never throws past a 4xx. */
  validate(collection: CollectionVersion, data: unknown): ErrorDetail[] | null {
    const errors = validateSafely(this.validatorFor(collection), data);
    return errors ? toDetails(errors) : null;
  }
}

const stampOf = (c: CollectionVersion) => `${c.version}@${c.updatedAt.getTime()}`;
