import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorDetail, INTERNAL_MESSAGE, payloadTooLarge, validationError } from "../errors/app-error.ts";
import { unstorableValueError } from "../errors/database-error.ts";

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Fastify's request-shape errors, reworded as our details: `body.name`, `query.limit`, … */
function shapeDetails(context: string | undefined, issues: AjvIssue[]): ErrorDetail[] {
  const prefix = context === "querystring" ? "query" : (context ?? "body");
  return issues.map((issue) => {
    const parts = [prefix, ...issue.instancePath.split("/").slice(1)];
    if (issue.keyword === "required") parts.push(String(issue.params.missingProperty));
    if (issue.keyword === "additionalProperties") {
      parts.push(String(issue.params.additionalProperty));
      return { path: parts.join("."), message: "is not a known field" };
    }
    return { path: parts.join("."), message: issue.message ?? issue.keyword };
  });
}

/** Maps any error thrown while handling a request to one deliberate AppError; unknown ones become undefined. */
export function toAppError(error: FastifyError): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error.validation) {
    return validationError("Invalid request", shapeDetails(error.validationContext, error.validation as AjvIssue[]));
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return payloadTooLarge("Request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new AppError("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be JSON (Content-Type: application/json)");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return validationError("Request body is empty but Content-Type is application/json", [
        { path: "body", message: "must be a JSON object" },
      ]);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return validationError("Malformed JSON body", [{ path: "body", message: error.message }]);
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return validationError("Malformed JSON body", [{ path: "body", message: error.message }]);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return validationError(error.message);
  }
  return undefined;
}

function errorEnvelope(error: AppError) {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/**
 * Errors raised before GraphQL runs (auth, body parsing) still answer /graphql clients in GraphQL's shape, with
 * the same code in `extensions.code`; everything else gets the REST envelope.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError, requestId?: string) {
  reply.code(error.status);
  if (request.url.startsWith("/graphql")) {
    return reply.send({
      errors: [{ message: error.message, extensions: { code: error.code, details: error.details, requestId } }],
    });
  }
  const body = errorEnvelope(error);
  return reply.send(requestId ? { error: { ...body.error, request_id: requestId } } : body);
}

/** The one REST error mapper: deliberate errors keep their code; anything else is logged and masked. */
export function restErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const known = toAppError(error);
  if (known) return sendError(request, reply, known);
  const unstorable = unstorableValueError(error);
  if (unstorable) {
    request.log.warn({ err: error }, "database refused a value no input check caught");
    return sendError(request, reply, unstorable);
  }
  request.log.error({ err: error }, "unexpected error");
  return sendError(request, reply, new AppError("INTERNAL_ERROR", INTERNAL_MESSAGE), request.id);
}
