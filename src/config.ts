import path from "node:path";
import type { GraphqlLimits } from "./http/graphql-limit-settings.ts";
import { AddressPolicy } from "./outbound/address-policy.ts";
import type { SchemaLimits } from "./resolvers/json-schema/limits.ts";
import { parseKey } from "./vault/crypto.ts";

/** Everything Recordgate reads from the environment, parsed once at boot. Nothing else touches process.env. */
export interface Config {
  host: string;
  port: number;
  /** PostgreSQL when set; otherwise the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  adminToken: string | undefined;
  maxBodyBytes: number;
  /** How deeply record data, relationship data and query input may nest (RECORDGATE_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** How long collection definitions live here while the invalidation channel is down (0: no cache). */
  collectionCacheMs: number;
  /** The vault's AES-256 key (base64 or hex); generated into `dataDir` when unset. */
  secretKey: string | undefined;
  /** The key before a rotation: what it still protects is re-encrypted under `secretKey` at start. */
  previousSecretKey: string | undefined;
  /** Per-workspace request limit for API tokens (docs/security.md); `points` 0 turns it off. */
  rateLimit: { points: number; windowSeconds: number; burst: number };
  /** Rate-limit counters live here when set, shared by every instance. */
  redisUrl: string | undefined;
  /** Non-public hosts, addresses and CIDR ranges outbound requests may reach anyway (RECORDGATE_OUTBOUND_ALLOW). */
  outboundAllow: string;
  /** How long an external source may take to answer (RECORDGATE_OUTBOUND_TIMEOUT_MS). */
  outboundTimeoutMs: number;
  /** How large a collection's JSON Schema may be (docs/schemas.md): bytes, nesting, keys, patterns. */
  schemaLimits: SchemaLimits;
  /** What one GraphQL request may ask for and produce (docs/api.md, "Limits"). */
  graphql: GraphqlLimits;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Checked at boot so a typo stops the start instead of silently allowing nothing. */
function outboundAllow(value: string): string {
  try {
    new AddressPolicy(value);
  } catch (error) {
    throw new ConfigError(`RECORDGATE_OUTBOUND_ALLOW: ${(error as Error).message}`);
  }
  return value;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  const adminToken = env.RECORDGATE_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError("RECORDGATE_ADMIN_TOKEN must be at least 16 characters");
  }
  for (const name of ["RECORDGATE_SECRET_KEY", "RECORDGATE_SECRET_KEY_PREVIOUS"]) {
    const value = env[name];
    if (!value) continue;
    try {
      parseKey(value);
    } catch {
      throw new ConfigError(`${name} must be 32 bytes, base64- or hex-encoded (e.g. openssl rand -base64 32)`);
    }
  }
  return {
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 4000, 0, 65535),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.RECORDGATE_DATA_DIR || ".recordgate"),
    adminToken,
    maxBodyBytes: integer(env, "RECORDGATE_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxJsonDepth: integer(env, "RECORDGATE_MAX_JSON_DEPTH", 64, 1, 1000),
    logLevel,
    shutdownTimeoutMs: integer(env, "RECORDGATE_SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    collectionCacheMs: integer(env, "RECORDGATE_COLLECTION_CACHE_MS", 2000, 0, 3_600_000),
    secretKey: env.RECORDGATE_SECRET_KEY || undefined,
    previousSecretKey: env.RECORDGATE_SECRET_KEY_PREVIOUS || undefined,
    rateLimit: {
      points: integer(env, "RECORDGATE_RATE_LIMIT", 6000, 0, 10_000_000),
      windowSeconds: integer(env, "RECORDGATE_RATE_LIMIT_WINDOW_S", 60, 1, 86_400),
      burst: integer(env, "RECORDGATE_RATE_LIMIT_BURST", 1000, 0, 10_000_000),
    },
    redisUrl: env.REDIS_URL || undefined,
    outboundAllow: outboundAllow(env.RECORDGATE_OUTBOUND_ALLOW ?? ""),
    outboundTimeoutMs: integer(env, "RECORDGATE_OUTBOUND_TIMEOUT_MS", 10_000, 100, 30_000),
    graphql: {
      maxChars: integer(env, "RECORDGATE_GRAPHQL_MAX_CHARS", 100_000, 100, 64 * 1024 * 1024),
      maxTokens: integer(env, "RECORDGATE_GRAPHQL_MAX_TOKENS", 10_000, 10, 1_000_000),
      // The parser recurses once per bracket and overflows the stack near 1,500 levels.
      maxNesting: integer(env, "RECORDGATE_GRAPHQL_MAX_NESTING", 128, 2, 1000),
      maxDepth: integer(env, "RECORDGATE_GRAPHQL_MAX_DEPTH", 15, 1, 1000),
      maxAliases: integer(env, "RECORDGATE_GRAPHQL_MAX_ALIASES", 100, 0, 100_000),
      maxDirectives: integer(env, "RECORDGATE_GRAPHQL_MAX_DIRECTIVES", 50, 0, 100_000),
      maxFields: integer(env, "RECORDGATE_GRAPHQL_MAX_FIELDS", 1000, 1, 1_000_000),
      maxCost: integer(env, "RECORDGATE_GRAPHQL_MAX_COST", 50_000, 1, 1_000_000_000),
      maxRows: integer(env, "RECORDGATE_GRAPHQL_MAX_ROWS", 20_000, 1, 100_000_000),
      maxBytes: integer(env, "RECORDGATE_GRAPHQL_MAX_BYTES", 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      timeoutMs: integer(env, "RECORDGATE_GRAPHQL_TIMEOUT_MS", 5_000, 10, 600_000),
    },
    // Bounds what one save may cost to compile; the slowest shapes within them are measured in docs/schemas.md.
    schemaLimits: {
      maxBytes: integer(env, "RECORDGATE_SCHEMA_MAX_BYTES", 32 * 1024, 1024, 1024 * 1024),
      maxDepth: integer(env, "RECORDGATE_SCHEMA_MAX_DEPTH", 32, 4, 256),
      maxProperties: integer(env, "RECORDGATE_SCHEMA_MAX_PROPERTIES", 1_000, 10, 50_000),
      maxPatterns: integer(env, "RECORDGATE_SCHEMA_MAX_PATTERNS", 200, 0, 10_000),
      maxPatternLength: integer(env, "RECORDGATE_SCHEMA_MAX_PATTERN_LENGTH", 256, 1, 32 * 1024),
      maxPatternProgram: integer(env, "RECORDGATE_SCHEMA_MAX_PATTERN_PROGRAM", 10_000, 1, 10_000_000),
    },
  };
}
