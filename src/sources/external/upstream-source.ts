import pLimit, { type LimitFunction } from "p-limit";
import { isJsonObject } from "../../json-object.ts";
import { type OutboundClient, OutboundError } from "../../outbound/http-client.ts";
import { type CompiledMapping, compileMapping, MappingError } from "../mapping/index.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_IDS,
  type EndpointConfig,
  type Operation,
  type SourceConfig,
} from "./config.ts";
import { encodeForm } from "./form-body.ts";
import { stripSecret, UpstreamError, upstreamMessageOf } from "./upstream-error.ts";

/** A record as an external source holds it: its id there, and its data mapped to Recordgate's fields. */
export interface ExternalItem {
  externalId: string;
  data: Record<string, unknown>;
}

export interface UpstreamDeps {
  client: OutboundClient;
  /** Resolves the source's `vault:` reference at call time; undefined when there is none. */
  secret: () => Promise<string | undefined>;
}

/** An answer the operation handles itself: a 2xx, or a 404 (each operation decides what that means). */
interface Answer {
  status: number;
  text: string;
  latencyMs: number;
  secret: string | undefined;
}

/** What fills an endpoint URL's placeholders; a list (external_ids) is joined by commas. */
type Values = Record<string, string | string[]>;

const DEFAULT_ID_KEYS = ["id", "_id", "Id", "ID", "uuid", "key"];
const TOKEN = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The value at a dot path (own properties only, so `constructor` is not found on every object). */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (!isJsonObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * An id a URL path can address. "." and ".." would be resolved away by URL parsing even percent-encoded (WHATWG
 * treats %2e as a dot), and "" would leave the collection's URL: each would reach another endpoint, with the secret.
 */
const addressable = (externalId: string) => externalId !== "" && externalId !== "." && externalId !== "..";

/**
 * One external REST source (docs/sources.md, Proxying): builds each operation's request from the config, sends it
 * with the outbound client, and maps the answer. Everything it throws is an UpstreamError, except a MappingError of
 * the data a write was given (the client's 400).
 */
export class UpstreamSource {
  private readonly mapping: CompiledMapping;
  /** Every request to this source waits its turn here: a burst of reads never opens more than `concurrency`. */
  private readonly limit: LimitFunction;

  constructor(
    private readonly config: SourceConfig,
    private readonly deps: UpstreamDeps,
  ) {
    this.mapping = compileMapping(config.field_mapping);
    this.limit = pLimit(config.concurrency ?? DEFAULT_CONCURRENCY);
  }

  /**
   * The records among `externalIds` that the upstream has (missing ones are absent). With a get_many endpoint,
   * one request per `max_ids` ids; without, one get per id, all sent at once and bounded by `concurrency`.
   */
  async getMany(externalIds: string[]): Promise<ExternalItem[]> {
    const ids = [...new Set(externalIds)].filter(addressable);
    const endpoint = this.config.get_many;
    if (!endpoint || ids.length === 1) {
      const found = await Promise.all(ids.map((id) => this.get(id)));
      return found.filter((item): item is ExternalItem => item !== null);
    }
    const size = endpoint.max_ids ?? DEFAULT_MAX_IDS;
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
    const pages = await Promise.all(
      chunks.map(async (chunk) => {
        const answer = await this.send("get_many", { external_ids: chunk });
        // A list-by-ids endpoint answers 404 when it has none of them (some do); that is an empty list.
        if (answer.status === 404) return [];
        return this.itemsIn("get_many", this.json("get_many", answer), answer);
      }),
    );
    // Only what was asked for: an upstream that ignores the ids filter must not put other records in the answer.
    const asked = new Set(ids);
    return pages.flat().filter((item) => asked.has(item.externalId));
  }

  /** null when the upstream has no such record. */
  async get(externalId: string): Promise<ExternalItem | null> {
    if (!addressable(externalId)) return null;
    const answer = await this.send("get", { external_id: externalId });
    if (answer.status === 404) return null;
    return this.item("get", this.recordIn("get", answer), answer);
  }

  /** One page; `total` is null when the source has no total_path. */
  async list(page: { limit: number; offset: number }): Promise<{ items: ExternalItem[]; total: number | null }> {
    const endpoint = this.endpoint("list");
    const answer = await this.send("list", {
      "query.limit": String(page.limit),
      "query.offset": String(page.offset),
    });
    if (answer.status === 404) throw this.failure("list", "the list endpoint answered 404", answer);
    const body = this.json("list", answer);
    const items = this.itemsIn("list", body, answer);
    const total = endpoint.total_path === undefined ? null : this.total(body, endpoint.total_path, answer);
    return { items, total };
  }

  async create(data: Record<string, unknown>): Promise<ExternalItem> {
    // A source without the endpoint answers unsupported before the data is even looked at.
    this.endpoint("create");
    const body = this.mapping.toExternal(data);
    const answer = await this.send("create", {}, body);
    if (answer.status === 404) throw this.failure("create", "the create endpoint answered 404", answer);
    return this.item("create", this.recordIn("create", answer), answer);
  }

  async update(externalId: string, data: Record<string, unknown>): Promise<ExternalItem> {
    this.endpoint("update");
    const body = this.mapping.toExternal(data);
    if (!addressable(externalId)) throw new UpstreamError("not_found", "update: no record has this id upstream");
    const answer = await this.send("update", { external_id: externalId }, body);
    if (answer.status === 404) {
      throw new UpstreamError("not_found", "update: the upstream has no such record", {
        status: 404,
        latencyMs: answer.latencyMs,
      });
    }
    return this.item("update", this.recordIn("update", answer), answer);
  }

  /** false when the upstream has no such record. */
  async delete(externalId: string): Promise<boolean> {
    this.endpoint("delete");
    if (!addressable(externalId)) return false;
    const answer = await this.send("delete", { external_id: externalId });
    return answer.status !== 404;
  }

  private endpoint(op: Operation): EndpointConfig {
    const endpoint = this.config[op];
    if (!endpoint) throw new UpstreamError("unsupported", `Source '${this.config.name}' has no ${op} endpoint`);
    return endpoint;
  }

  /** The records of a list answer (list, get_many): the body, or the list at its response_path. */
  private itemsIn(op: "list" | "get_many", body: unknown, answer: Answer): ExternalItem[] {
    const endpoint = this.endpoint(op);
    const records = endpoint.response_path === undefined ? body : this.path(op, body, endpoint.response_path, answer);
    if (!Array.isArray(records)) throw this.failure(op, this.where(endpoint, "is not a list"), answer);
    return records.map((record, i) => {
      if (!isJsonObject(record)) throw this.failure(op, `item ${i} of the list is not an object`, answer);
      return this.item(op, record, answer, i);
    });
  }

  /** Sends the operation's request when `concurrency` allows; returns a 2xx or 404 answer, throws otherwise. */
  private send(op: Operation, values: Values, body?: Record<string, unknown>): Promise<Answer> {
    return this.limit(() => this.sendNow(op, values, body));
  }

  private async sendNow(op: Operation, values: Values, body?: Record<string, unknown>): Promise<Answer> {
    const endpoint = this.endpoint(op);
    const secret = await this.resolveSecret(op);
    const headers: Record<string, string> = { accept: "application/json" };
    let payload: string | undefined;
    if (body !== undefined) {
      const form = endpoint.body === "form";
      headers["content-type"] = form ? "application/x-www-form-urlencoded" : "application/json";
      payload = form ? encodeForm(body) : JSON.stringify(body);
    }
    const auth = this.config.auth;
    // split/join rather than replace: a "$&" in a secret would otherwise be a replacement pattern.
    if (auth && secret !== undefined) headers[auth.header] = auth.value_template.split("{{secret}}").join(secret);
    const url = this.url(op, endpoint.url, values);

    let response: { status: number; text: string; latencyMs: number };
    try {
      response = await this.deps.client.request({ method: endpoint.method, url, headers, body: payload });
    } catch (error) {
      if (error instanceof OutboundError) {
        const facts = { latencyMs: error.latencyMs };
        if (error.kind === "timeout")
          throw new UpstreamError("timeout", `${op}: the upstream did not answer in time`, facts);
        throw new UpstreamError("failed", `${op}: ${stripSecret(error.message, secret)}`, facts);
      }
      // Not expected from the client (an invalid header value, say); its text is stripped like any other.
      const message = error instanceof Error ? error.message : String(error);
      throw new UpstreamError("failed", `${op}: the request could not be sent (${stripSecret(message, secret)})`);
    }
    const answer: Answer = { ...response, secret };
    const { status } = answer;
    if ((status >= 200 && status < 300) || status === 404) return answer;
    const upstreamMessage = upstreamMessageOf(answer.text, secret);
    const facts = { status, latencyMs: answer.latencyMs, ...(upstreamMessage ? { upstreamMessage } : {}) };
    if (status >= 400 && status < 500) {
      const why = upstreamMessage ? `: ${upstreamMessage}` : "";
      throw new UpstreamError("rejected", `${op}: the upstream refused the request (${status})${why}`, facts);
    }
    const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
    throw new UpstreamError("failed", `${op}: the upstream answered ${status}${redirect}`, facts);
  }

  private async resolveSecret(op: Operation): Promise<string | undefined> {
    if (!this.config.auth) return undefined;
    let secret: string | undefined;
    try {
      secret = await this.deps.secret();
    } catch {
      // The vault's failure is not the upstream's; its text stays out of a message clients see.
      throw new UpstreamError("failed", `${op}: the source's secret could not be read`);
    }
    if (secret === undefined) throw new UpstreamError("failed", `${op}: the source's secret is not in the vault`);
    return secret;
  }

  /** The endpoint URL with its placeholders filled, each value percent-encoded (never raw); lists joined by ",". */
  private url(op: Operation, template: string, values: Values): string {
    return template.replace(TOKEN, (_, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new UpstreamError("failed", `${op}: the URL uses {{${name}}}, which ${op} does not provide`);
      }
      return Array.isArray(value) ? value.map(encodeURIComponent).join(",") : encodeURIComponent(value);
    });
  }

  private json(op: Operation, answer: Answer): unknown {
    if (answer.text.trim() === "") throw this.failure(op, "the upstream answered an empty body", answer);
    try {
      return JSON.parse(answer.text);
    } catch {
      throw this.failure(op, "the upstream answered invalid JSON", answer);
    }
  }

  private path(op: Operation, body: unknown, path: string, answer: Answer): unknown {
    const value = at(body, path);
    if (value === undefined || value === null) {
      throw this.failure(op, `the upstream's answer has nothing at '${path}'`, answer);
    }
    return value;
  }

  /** The record a get, create or update answered: the body, or what is at its response_path. */
  private recordIn(op: "get" | "create" | "update", answer: Answer): Record<string, unknown> {
    const endpoint = this.endpoint(op);
    const body = this.json(op, answer);
    const record = endpoint.response_path === undefined ? body : this.path(op, body, endpoint.response_path, answer);
    if (!isJsonObject(record)) throw this.failure(op, this.where(endpoint, "is not an object"), answer);
    return record;
  }

  private item(op: Operation, record: Record<string, unknown>, answer: Answer, index?: number): ExternalItem {
    const which = index === undefined ? "the record" : `item ${index} of the list`;
    const externalId = this.idOf(op, record, which, answer);
    try {
      return { externalId, data: this.mapping.fromExternal(record) };
    } catch (error) {
      // The upstream sent something the mapping cannot read: its fault, not the client's.
      const reason = error instanceof MappingError ? error.message : "it could not be read";
      throw this.failure(op, `${which} cannot be mapped: ${stripSecret(reason, answer.secret)}`, answer);
    }
  }

  private idOf(op: Operation, record: Record<string, unknown>, which: string, answer: Answer): string {
    const idPath = this.config.id_path;
    const key =
      idPath ?? DEFAULT_ID_KEYS.find((k) => Object.hasOwn(record, k) && record[k] !== undefined && record[k] !== null);
    const id = key === undefined ? undefined : at(record, key);
    if (id === undefined || id === null) {
      const looked = idPath ? `'${idPath}'` : DEFAULT_ID_KEYS.join(", ");
      throw this.failure(op, `${which} has no id (looked for ${looked})`, answer);
    }
    if ((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id))) return String(id);
    throw this.failure(op, `${which} has an id at '${key}' that is not a string or a number`, answer);
  }

  private total(body: unknown, path: string, answer: Answer): number {
    const value = this.path("list", body, path, answer);
    const total = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 0) {
      throw this.failure("list", `the total at '${path}' is not a count`, answer);
    }
    return total;
  }

  private where(endpoint: EndpointConfig, what: string): string {
    const place = endpoint.response_path === undefined ? "the upstream's answer" : `'${endpoint.response_path}'`;
    return `${place} ${what}`;
  }

  private failure(op: Operation, message: string, answer: Answer): UpstreamError {
    return new UpstreamError("failed", `${op}: ${message}`, { status: answer.status, latencyMs: answer.latencyMs });
  }
}
