import { isUtf8 } from "node:buffer";
import type { IncomingHttpHeaders } from "node:http";
import { AppError, validationError } from "../errors/app-error.ts";
import { MAY_HOLD_UNFAITHFUL_NUMBER } from "../json/number-token.ts";
import { firstUnfaithfulNumber, pathAtIndex } from "../json/scan.ts";
import { firstInvalidUtf8 } from "../json/utf8.ts";

const UTF8_CHARSET = /^utf-?8$/i;

/** The body as text, or why it is not UTF-8 and where (RFC 8259: JSON exchanged between systems is UTF-8). */
function decodeUtf8(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString("utf8");
  const offset = firstInvalidUtf8(bytes);
  // The bytes before the bad one are valid, so their decoded length is where the U+FFFD lands in the lossy text.
  const index = bytes.subarray(0, offset).toString("utf8").length;
  const path = pathAtIndex(bytes.toString("utf8"), index) ?? "body";
  throw validationError("Request body is not valid UTF-8", [
    { path, message: `holds bytes that are not UTF-8 (at byte ${offset}); send text as UTF-8` },
  ]);
}

/**
 * Parses a JSON request body for both /v1 and /graphql (yoga reads the parsed `req.body`). Bytes that would be
 * silently changed are refused here, where the raw text still exists: invalid UTF-8 (it would become U+FFFD) and
 * numbers a double cannot hold (1e309 → null, 1e-400 → 0, integers beyond 2^53 losing digits). `__proto__` and
 * `constructor` are ordinary keys: JSON.parse makes them own properties, so they are stored like any other key
 * (Fastify's default parser refuses them, which refused valid JSON). Values that cannot be stored (NUL, lone
 * surrogates, depth) are the domain's rule (src/resolvers/storable.ts), checked for both transports.
 */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) {
    throw validationError("Request body is empty but Content-Type is application/json", [
      { path: "body", message: "must be a JSON object" },
    ]);
  }
  const text = decodeUtf8(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw validationError("Malformed JSON body", [{ path: "body", message: (error as Error).message }]);
  }
  if (MAY_HOLD_UNFAITHFUL_NUMBER.test(text)) {
    const problem = firstUnfaithfulNumber(text);
    if (problem) {
      throw validationError("Request body holds a number that cannot be stored as written", [
        { path: problem.path || "body", message: problem.message },
      ]);
    }
  }
  return value;
}

/**
 * Fastify's content-type parser for application/json (app.ts removes every other parser, text/plain included, so
 * a JSON body sent as text/plain is a 415 with the error envelope rather than a string that fails the shape check
 * on REST and a bare 415 from yoga on GraphQL). JSON is UTF-8: another declared charset is a 415 too.
 */
export function jsonBodyParser(
  req: { headers: IncomingHttpHeaders },
  body: Buffer,
  done: (error: Error | null, value?: unknown) => void,
): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
  if (charset !== undefined && !UTF8_CHARSET.test(charset)) {
    done(new AppError("UNSUPPORTED_MEDIA_TYPE", `JSON bodies must be UTF-8, not charset=${charset.slice(0, 40)}`));
    return;
  }
  try {
    done(null, parseJsonBody(body));
  } catch (error) {
    done(error as Error);
  }
}
