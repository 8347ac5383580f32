import { isJsonObject } from "../../json-object.ts";

/**
 * Why an external source's operation did not succeed; `src/resolvers/external.ts` turns `kind` into the client's
 * status (docs/sources.md, Failures).
 *
 * - `not_found`: the upstream has no such record (its 404 on an update).
 * - `rejected`: its other 4xx: the request was refused, `upstreamMessage` says why.
 * - `failed`: a 5xx, a 3xx, an unreadable or oversized answer, a record that cannot be mapped, the network, or an
 *   address the outbound policy refuses.
 * - `timeout`: no answer in time.
 * - `unsupported`: the source has no endpoint for the operation.
 *
 * Messages are shown to clients and logged: whatever they take from the upstream has the secret stripped first.
 */
export type UpstreamErrorKind = "not_found" | "rejected" | "failed" | "timeout" | "unsupported";

export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  /** The upstream's HTTP status, when it answered. */
  readonly status?: number;
  /** The upstream's own explanation, secret stripped, at most MAX_UPSTREAM_MESSAGE characters. */
  readonly upstreamMessage?: string;
  readonly latencyMs: number;

  constructor(
    kind: UpstreamErrorKind,
    message: string,
    facts: { status?: number; upstreamMessage?: string; latencyMs?: number } = {},
  ) {
    super(message);
    this.name = "UpstreamError";
    this.kind = kind;
    if (facts.status !== undefined) this.status = facts.status;
    if (facts.upstreamMessage !== undefined) this.upstreamMessage = facts.upstreamMessage;
    this.latencyMs = facts.latencyMs ?? 0;
  }
}

export const MAX_UPSTREAM_MESSAGE = 500;
const MASK = "[secret]";

/**
 * `text` with every occurrence of `secret` masked, also percent-encoded (an upstream may echo a URL or a form).
 * Apply it before truncating: a cut could otherwise leave a prefix of the secret behind.
 */
export function stripSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text.split(secret).join(MASK);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) out = out.split(encoded).join(MASK);
  return out;
}

function messageIn(body: unknown): string | undefined {
  if (!isJsonObject(body)) return undefined;
  const { error, message, errors } = body;
  if (isJsonObject(error) && typeof error.message === "string") return error.message;
  if (typeof error === "string") return error;
  if (typeof message === "string") return message;
  // GraphQL and JSON:API style: the first of a list.
  if (Array.isArray(errors) && isJsonObject(errors[0])) {
    const first = errors[0];
    if (typeof first.message === "string") return first.message;
    if (typeof first.detail === "string") return first.detail;
  }
  return undefined;
}

/**
 * The upstream's explanation in an error answer: `{error: {message}}` (Stripe), `{error: "…"}`, `{message}`, or
 * `{errors: [{message | detail}]}`; else short plain text. Secret stripped, whitespace collapsed, capped.
 */
export function upstreamMessageOf(text: string, secret: string | undefined): string | undefined {
  let found: string | undefined;
  try {
    found = messageIn(JSON.parse(text));
  } catch {
    // Not JSON: plain text is an explanation, an HTML error page is not.
    const trimmed = text.trim();
    if (trimmed && !trimmed.startsWith("<")) found = trimmed;
  }
  if (found === undefined) return undefined;
  // Stripped again after collapsing whitespace, in case that is what made the secret appear.
  const clean = stripSecret(stripSecret(found, secret).replace(/\s+/g, " ").trim(), secret);
  if (!clean) return undefined;
  return clean.length > MAX_UPSTREAM_MESSAGE ? `${clean.slice(0, MAX_UPSTREAM_MESSAGE - 1)}…` : clean;
}

/**
 * Whatever an operation against a collection's source threw (an UpstreamError, or a MappingError of the data), with
 * the source's name: `src/resolvers/external.ts` decides what it means for the client.
 */
export class SourceFailure extends Error {
  constructor(
    readonly source: string,
    override readonly cause: unknown,
  ) {
    super(`source '${source}': ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "SourceFailure";
  }
}
