import { createHash, timingSafeEqual } from "node:crypto";
import { unauthorized } from "../errors/app-error.ts";

/** Who is calling. Only the root admin exists until scoped tokens arrive. */
export type Principal = { kind: "admin" };

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Builds the check for one admin token; comparing fixed-length digests keeps the comparison constant-time. */
export function createAuthenticator(adminToken: string): (authorization: string | undefined) => Principal {
  const expected = digest(adminToken);
  return (authorization) => {
    if (!authorization) throw unauthorized("Missing bearer token: send 'Authorization: Bearer <token>'");
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) throw unauthorized("Malformed Authorization header: expected 'Bearer <token>'");
    if (!timingSafeEqual(digest(match[1]), expected)) throw unauthorized("Invalid bearer token");
    return { kind: "admin" };
  };
}
