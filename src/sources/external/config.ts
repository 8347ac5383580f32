import type { ErrorDetail } from "../../errors/app-error.ts";
import { isJsonObject } from "../../json-object.ts";
import type { AddressPolicy } from "../../outbound/address-policy.ts";
import { compileMapping, MappingConfigError } from "../mapping/index.ts";

/**
 * A collection's `sources`: external REST APIs its records may live in (docs/sources.md). Validated when the
 * collection is saved, so a broken config is a 400 with its exact location rather than a failure on first use.
 */

export const OPERATIONS = ["get", "get_many", "list", "create", "update", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface EndpointConfig {
  url: string;
  method: string;
  /** Dot path to the record (get/create/update) or the list of records (list) in the response. */
  response_path?: string;
  /** Dot path to the total in a list response. */
  total_path?: string;
  /** How write bodies are encoded: JSON (default) or form-urlencoded with `a[b]` keys, as Stripe takes them. */
  body?: "json" | "form";
  /** get_many only: at most this many ids per request (default 100). */
  max_ids?: number;
}

export interface SourceConfig {
  name: string;
  mode: "proxy";
  auth?: { header: string; value_template: string; secret: string };
  field_mapping: { to_external: Record<string, unknown> };
  /** Dot path of the upstream's id in a record; default: the first of id, _id, Id, ID, uuid, key. */
  id_path?: string;
  /** Most requests in flight to this source at once (default 8). */
  concurrency?: number;
  get: EndpointConfig;
  /** A list-by-ids endpoint (`{{external_ids}}`: comma-separated): many gets in one request. */
  get_many?: EndpointConfig;
  list?: EndpointConfig;
  create?: EndpointConfig;
  update?: EndpointConfig;
  delete?: EndpointConfig;
}

/** A secret given inline: stored in the vault under `vaultName`, and the config keeps `vault:<vaultName>`. */
export interface InlineSecret {
  source: string;
  value: string;
}

export const VAULT_PREFIX = "vault:";
const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const DOT_PATH = /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z_$][A-Za-z0-9_$-]*)*$/;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/** Placeholders an endpoint URL may use, each only in its path or query (never in the host: SSRF). */
const URL_TOKENS: Record<Operation, string[]> = {
  get: ["external_id"],
  get_many: ["external_ids"],
  list: ["query.limit", "query.offset"],
  create: [],
  update: ["external_id"],
  delete: ["external_id"],
};
const DEFAULT_METHOD: Record<Operation, string> = {
  get: "GET",
  get_many: "GET",
  list: "GET",
  create: "POST",
  update: "POST",
  delete: "DELETE",
};
const SOURCE_KEYS = new Set(["name", "mode", "auth", "field_mapping", "id_path", "concurrency", ...OPERATIONS]);
const ENDPOINT_KEYS = new Set(["url", "method", "response_path", "total_path", "body", "max_ids"]);
export const MAX_SOURCES = 10;
export const DEFAULT_CONCURRENCY = 8;
const MAX_CONCURRENCY = 64;
export const DEFAULT_MAX_IDS = 100;
const MAX_MAX_IDS = 1000;

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

function checkUrl(url: unknown, op: Operation, at: string, policy: AddressPolicy, details: ErrorDetail[]): void {
  if (typeof url !== "string" || url.length > 2000) {
    details.push({ path: at, message: "must be an absolute URL" });
    return;
  }
  let parsed: URL;
  try {
    // Placeholders become harmless text so the URL parses; their positions are checked below.
    parsed = new URL(url.replace(/\{\{[^}]*\}\}/g, "x"));
  } catch {
    details.push({ path: at, message: "must be an absolute URL" });
    return;
  }
  const host = url.slice(url.indexOf("//") + 2).split(/[/?#]/)[0] ?? "";
  if (host.includes("{{")) details.push({ path: at, message: "placeholders may not appear in the host" });
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && policy.allowsHost(parsed.hostname))) {
    details.push({
      path: at,
      message: "must use https (plain http only for hosts RECORDGATE_OUTBOUND_ALLOW lists)",
    });
  }
  if (parsed.username || parsed.password) details.push({ path: at, message: "must not carry credentials" });
  for (const [, token] of url.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!URL_TOKENS[op].includes(token ?? "")) {
      const allowed = URL_TOKENS[op].map((t) => `{{${t}}}`).join(", ") || "none";
      details.push({ path: at, message: `unknown placeholder '{{${token}}}' (${op} allows ${allowed})` });
    }
  }
  if ((op === "get" || op === "update" || op === "delete") && !url.includes("{{external_id}}")) {
    details.push({ path: at, message: "must contain {{external_id}}" });
  }
  if (op === "get_many" && !url.includes("{{external_ids}}")) {
    details.push({ path: at, message: "must contain {{external_ids}}" });
  }
}

function parseEndpoint(
  value: unknown,
  op: Operation,
  at: string,
  policy: AddressPolicy,
  details: ErrorDetail[],
): EndpointConfig | undefined {
  if (!isJsonObject(value)) {
    details.push({ path: at, message: "must be {url, method, response_path?, total_path?, body?}" });
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!ENDPOINT_KEYS.has(key)) details.push({ path: `${at}.${key}`, message: "is not an endpoint setting" });
  }
  checkUrl(value.url, op, `${at}.url`, policy, details);
  const method = value.method ?? DEFAULT_METHOD[op];
  if (typeof method !== "string" || !METHODS.includes(method)) {
    details.push({ path: `${at}.method`, message: `must be one of ${METHODS.join(", ")}` });
  }
  for (const key of ["response_path", "total_path"] as const) {
    const path = value[key];
    if (path !== undefined && (typeof path !== "string" || !DOT_PATH.test(path))) {
      details.push({ path: `${at}.${key}`, message: "must be a dot path such as data or meta.total" });
    }
  }
  if (value.total_path !== undefined && op !== "list") {
    details.push({ path: `${at}.total_path`, message: "only a list endpoint has a total" });
  }
  if (value.max_ids !== undefined && (op !== "get_many" || !isIntegerIn(value.max_ids, 1, MAX_MAX_IDS))) {
    details.push({ path: `${at}.max_ids`, message: `only get_many has it: an integer from 1 to ${MAX_MAX_IDS}` });
  }
  if (value.body !== undefined && value.body !== "json" && value.body !== "form") {
    details.push({ path: `${at}.body`, message: 'must be "json" or "form"' });
  }
  return {
    url: value.url as string,
    method: method as string,
    ...(value.response_path !== undefined ? { response_path: value.response_path as string } : {}),
    ...(value.total_path !== undefined ? { total_path: value.total_path as string } : {}),
    ...(value.body !== undefined ? { body: value.body as "json" | "form" } : {}),
    ...(value.max_ids !== undefined ? { max_ids: value.max_ids as number } : {}),
  };
}

function parseAuth(
  value: unknown,
  at: string,
  source: string,
  details: ErrorDetail[],
  secrets: InlineSecret[],
): SourceConfig["auth"] {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) {
    details.push({ path: at, message: "must be {header, value_template, secret}" });
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!["header", "value_template", "secret"].includes(key)) {
      details.push({ path: `${at}.${key}`, message: "is not an auth setting" });
    }
  }
  const { header, value_template: template, secret } = value;
  if (typeof header !== "string" || !HEADER.test(header))
    details.push({ path: `${at}.header`, message: "must be an HTTP header name" });
  if (
    typeof template !== "string" ||
    !template.includes("{{secret}}") ||
    /[\r\n]/.test(template) ||
    template.length > 500
  ) {
    details.push({ path: `${at}.value_template`, message: "must contain {{secret}}, such as 'Bearer {{secret}}'" });
  }
  if (typeof secret !== "string" || secret.length === 0 || secret.length > 4096 || /[\r\n]/.test(secret)) {
    details.push({ path: `${at}.secret`, message: "must be the secret, or vault:<name> of a vault secret" });
    return undefined;
  }
  if (!secret.startsWith(VAULT_PREFIX)) secrets.push({ source, value: secret });
  return { header: header as string, value_template: template as string, secret };
}

/**
 * Validates `sources`; returns them with defaults filled in, and the secrets given inline (the caller stores those
 * in the vault and replaces them by `vault:` references before anything is saved or returned).
 */
export function parseSources(
  input: unknown,
  policy: AddressPolicy,
  at = "sources",
): { sources: SourceConfig[]; details: ErrorDetail[]; inlineSecrets: InlineSecret[] } {
  const details: ErrorDetail[] = [];
  const inlineSecrets: InlineSecret[] = [];
  if (input === undefined || input === null) return { sources: [], details, inlineSecrets };
  if (!Array.isArray(input) || input.length > MAX_SOURCES) {
    details.push({ path: at, message: `must be a list of at most ${MAX_SOURCES} sources` });
    return { sources: [], details, inlineSecrets };
  }
  const seen = new Set<string>();
  const sources = input.flatMap((value, i): SourceConfig[] => {
    const here = `${at}[${i}]`;
    if (!isJsonObject(value)) {
      details.push({ path: here, message: "must be a source object" });
      return [];
    }
    for (const key of Object.keys(value)) {
      if (!SOURCE_KEYS.has(key)) details.push({ path: `${here}.${key}`, message: "is not a source setting" });
    }
    const name = value.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      details.push({
        path: `${here}.name`,
        message: "must be 1-63 characters of a-z, 0-9, '_' or '-', starting with a letter",
      });
    } else if (seen.has(name)) {
      details.push({ path: `${here}.name`, message: `another source is named '${name}'` });
    } else {
      seen.add(name);
    }
    if (value.mode !== undefined && value.mode !== "proxy") {
      details.push({ path: `${here}.mode`, message: 'only "proxy" is supported' });
    }
    if (value.id_path !== undefined && (typeof value.id_path !== "string" || !DOT_PATH.test(value.id_path))) {
      details.push({ path: `${here}.id_path`, message: "must be a dot path" });
    }
    if (value.concurrency !== undefined && !isIntegerIn(value.concurrency, 1, MAX_CONCURRENCY)) {
      details.push({ path: `${here}.concurrency`, message: `must be an integer from 1 to ${MAX_CONCURRENCY}` });
    }
    const mapping = value.field_mapping ?? { to_external: {} };
    try {
      compileMapping(mapping, `${here}.field_mapping`);
    } catch (error) {
      if (!(error instanceof MappingConfigError)) throw error;
      details.push(...error.details.map((p) => ({ path: p.path, message: p.message })));
    }
    const auth = parseAuth(value.auth, `${here}.auth`, String(name), details, inlineSecrets);
    if (value.get === undefined) details.push({ path: `${here}.get`, message: "is required" });
    const endpoints: Partial<Record<Operation, EndpointConfig>> = {};
    for (const op of OPERATIONS) {
      if (value[op] === undefined) continue;
      const endpoint = parseEndpoint(value[op], op, `${here}.${op}`, policy, details);
      if (endpoint) endpoints[op] = endpoint;
    }
    return [
      {
        name: String(name),
        mode: "proxy",
        ...(auth ? { auth } : {}),
        field_mapping: mapping as SourceConfig["field_mapping"],
        ...(value.id_path !== undefined ? { id_path: value.id_path as string } : {}),
        ...(value.concurrency !== undefined ? { concurrency: value.concurrency as number } : {}),
        ...(endpoints as Pick<SourceConfig, "get"> & Partial<Record<Operation, EndpointConfig>>),
      },
    ];
  });
  return { sources, details, inlineSecrets };
}
