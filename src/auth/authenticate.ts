import { createHash, timingSafeEqual } from "node:crypto";
import { unauthorized } from "../errors/app-error.ts";
import type { Grant } from "./grants.ts";

/** Who is calling: the root admin (configuration's token) or an API token with its grants. */
export type Principal = { kind: "admin" } | { kind: "token"; id: string; type: "user" | "service"; grants: Grant[] };

/** What authentication needs to know about a stored token. */
export interface StoredToken {
  id: string;
  type: string;
  grants: unknown;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface TokenLookup {
  byHash(hash: string): Promise<StoredToken | null>;
  /** Records use; called at most once a minute per token, never awaited by the request. */
  touch(id: string): Promise<void>;
}

/** API tokens start with this (the contract's prefix), so a leaked one is recognisable. */
export const TOKEN_PREFIX = "rec_";
const TOUCH_EVERY_MS = 60_000;

export const hashToken = (secret: string) => createHash("sha256").update(secret).digest("hex");
const digest = (value: string) => createHash("sha256").update(value).digest();

export type Authenticate = (authorization: string | undefined) => Promise<Principal>;

/**
 * Builds the check: the admin token compares as fixed-length digests (constant time); an API token is looked up by
 * the SHA-256 of its secret, so the secret itself is never stored or compared.
 */
export function createAuthenticator(adminToken: string, tokens: TokenLookup): Authenticate {
  const expected = digest(adminToken);
  return async (authorization) => {
    if (!authorization) throw unauthorized("Missing bearer token: send 'Authorization: Bearer <token>'");
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    const secret = match?.[1];
    if (!secret) throw unauthorized("Malformed Authorization header: expected 'Bearer <token>'");
    if (timingSafeEqual(digest(secret), expected)) return { kind: "admin" };
    const token = secret.startsWith(TOKEN_PREFIX) ? await tokens.byHash(hashToken(secret)) : null;
    if (!token) throw unauthorized("Invalid bearer token");
    if (token.revokedAt) throw unauthorized("This token was revoked");
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) throw unauthorized("This token has expired");
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      tokens.touch(token.id).catch(() => {});
    }
    return {
      kind: "token",
      id: token.id,
      type: token.type === "user" ? "user" : "service",
      grants: token.grants as Grant[],
    };
  };
}
