import { Ajv, type Options } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Query strings and path params arrive as text, so they are coerced ("50" → 50). Bodies are JSON and are checked
 * as sent: a string where a number belongs is an error, not a silent conversion, and unknown fields are refused
 * rather than stripped.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<object> {
  const common: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: true };
  const coercing = new Ajv({ ...common, coerceTypes: "array" });
  const exact = new Ajv({ ...common, coerceTypes: false });
  return ({ schema, httpPart }) => (httpPart === "body" ? exact : coercing).compile(schema);
}
