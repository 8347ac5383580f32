import type fc from "fast-check";
import type { ErrorCode } from "../../../src/errors/app-error.ts";

/**
 * One request a hostile client sends, over REST or GraphQL (`path: "/graphql"`), and what Recordgate must answer.
 * The runner (test/hostile.test.ts) and the load bench (bench/hostile.ts) both replay these.
 */
export interface HostileCase {
  label: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** With its query string. Paths refer to the fixture below. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (bytes that JSON.stringify cannot produce: invalid UTF-8, `1e400`, duplicated keys…). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** Who sends it (default: the admin token). */
  as?: keyof HostileTokens;
  expect: {
    status: number;
    code: ErrorCode;
    /** A `details[].path` the answer must carry (REST `error.details`, GraphQL `extensions.details`). */
    detailPath?: string;
  };
}

export interface HostileFamily {
  name: string;
  cases: fc.Arbitrary<HostileCase>;
  /** Cases per database in `npm test` (the runner's default when omitted). */
  runs?: number;
}

/** Bearer tokens the fixture mints; `reader` may only read records of `hostile/items`. */
export interface HostileTokens {
  admin: string;
  reader: string;
}

/** What the fixture creates (test/support/hostile/fixture.ts); cases address these names. */
export const FIXTURE = {
  workspace: "hostile",
  /** `{ "type": "object" }`: any document is valid, so only storability decides. */
  open: "items",
  /** contactSchema: name required, additionalProperties false. */
  typed: "contacts",
  /** Patterns that backtrack exponentially on a regex engine (hostile/schemas.ts sends the attack strings). */
  patterned: "patterned",
  /** A collection `reader` may not read. */
  hidden: "secrets",
  record: "0b6f3c1e-0000-4000-8000-000000000001",
  externalId: "ext-1",
  hiddenRecord: "0b6f3c1e-0000-4000-8000-000000000002",
} as const;

/** `/v1/hostile/records/{collection}` (upsert, list) and, with an id, one record. */
export const recordsPath = (collection: string, id?: string) =>
  `/v1/${FIXTURE.workspace}/records/${collection}${id === undefined ? "" : `/${id}`}`;
