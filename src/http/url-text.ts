import type { FastifyRequest } from "fastify";
import { type ErrorDetail, validationError } from "../errors/app-error.ts";
import { textProblem } from "../resolvers/storable.ts";

/** Control characters (C0 and DEL): no id, slug or name in a path may hold one, whatever the route does with it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

function problemsOf(values: unknown, prefix: string, rule: (text: string) => string | undefined): ErrorDetail[] {
  if (!values || typeof values !== "object") return [];
  const details: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(values)) {
    for (const text of Array.isArray(value) ? value : [value]) {
      const problem = typeof text === "string" ? rule(text) : undefined;
      if (problem) {
        details.push({ path: `${prefix}.${name}`, message: problem });
        break;
      }
    }
  }
  return details;
}

const segmentProblem = (text: string) =>
  CONTROL.test(text) ? "contains a control character (such as %00), which no path segment may hold" : textProblem(text);

/**
 * Decoded path segments and query parameters that no route can use: control characters in a segment (`%00` in an
 * id), NUL or lone surrogates in a query value. Refused before any handler passes them to the database.
 */
export function assertUrlText(req: FastifyRequest): void {
  const details = [...problemsOf(req.params, "params", segmentProblem), ...problemsOf(req.query, "query", textProblem)];
  if (details.length) throw validationError("The URL holds characters that cannot be used", details);
}
