import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import { Agent, type Dispatcher, interceptors } from "undici";
import type { AddressPolicy } from "./address-policy.ts";

export interface OutboundOptions {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  /** Until the response's headers arrive, and then between body chunks. */
  responseTimeoutMs: number;
  maxResponseBytes: number;
  /** Retries of idempotent requests after a network error or a 502/503/504 (with backoff). */
  retries: number;
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  status: number;
  /** The body as text, at most `maxResponseBytes`. */
  text: string;
  latencyMs: number;
}

/** Why an outbound request produced no response; `kind` decides the client's status (docs/sources.md). */
export class OutboundError extends Error {
  constructor(
    readonly kind: "refused" | "timeout" | "too_large" | "network",
    message: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"];
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * Resolves like the system resolver, then keeps only the addresses the policy allows. Connecting is what is checked,
 * so a name that resolves to a private address (or is re-pointed there later: DNS rebinding) never gets a socket.
 */
function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const allowed = addresses.filter((a) => policy.allows(hostname, a.address));
      if (allowed.length === 0) {
        const refused = new Error(`${hostname} resolves only to addresses outbound requests may not reach`);
        (refused as NodeJS.ErrnoException).code = "RG_OUTBOUND_REFUSED";
        return callback(refused, "", 0);
      }
      if (options.all) return callback(null, allowed as unknown as string, 0);
      const [first] = allowed as [LookupAddress];
      return callback(null, first.address, first.family);
    });
  };
}

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The one HTTP client for requests to URLs that users configure. undici keeps a keep-alive pool per origin; every
 * connection passes the address policy; redirects are not followed (a 3xx is the upstream's answer).
 */
export class OutboundClient {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: OutboundOptions) {
    const agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, lookup: guardedLookup(options.policy) },
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.responseTimeoutMs,
      keepAliveTimeout: 10_000,
      connections: 32,
    });
    this.dispatcher = agent.compose(
      interceptors.retry({
        maxRetries: options.retries,
        minTimeout: 100,
        maxTimeout: 1000,
        methods: IDEMPOTENT as Dispatcher.HttpMethod[],
        statusCodes: [502, 503, 504],
        // Hand the last answer back (a 503 after the retries, or a POST's first 503) instead of an error.
        throwOnError: false,
      }),
    );
  }

  async request(req: OutboundRequest): Promise<OutboundResponse> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    // An IP literal is connected to without a lookup: check it here.
    if (isIP(host) && !this.options.policy.allows(host, host)) {
      throw new OutboundError("refused", `${host} is not an address outbound requests may reach`, elapsed());
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
      });
    } catch (error) {
      throw this.failure(error, url.host, elapsed());
    }
    const declared = Number(response.headers["content-length"]);
    // Aborting the body makes it emit an error nobody else listens for.
    response.body.on("error", () => {});
    if (declared > this.options.maxResponseBytes) {
      response.body.destroy();
      throw new OutboundError("too_large", `${url.host} answered ${declared} bytes`, elapsed());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxResponseBytes) {
          response.body.destroy();
          throw new OutboundError(
            "too_large",
            `${url.host} answered more than ${this.options.maxResponseBytes} bytes`,
            elapsed(),
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      throw this.failure(error, url.host, elapsed());
    }
    return { status: response.statusCode, text: Buffer.concat(chunks).toString("utf8"), latencyMs: elapsed() };
  }

  private failure(error: unknown, host: string, latencyMs: number): OutboundError {
    const code = codeOf(error);
    if (code === "RG_OUTBOUND_REFUSED") {
      return new OutboundError("refused", (error as Error).message, latencyMs);
    }
    if (code && TIMEOUT_CODES.has(code))
      return new OutboundError("timeout", `${host} did not answer in time`, latencyMs);
    return new OutboundError("network", `${host} could not be reached (${code ?? "error"})`, latencyMs);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
