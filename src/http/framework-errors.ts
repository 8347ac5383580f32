import type { FastifyError } from "fastify";
import { AppError, validationError } from "../errors/app-error.ts";

/** Fastify's own pre-routing errors, as our error set (they never reach the route's error handler). */
export function frameworkError(error: FastifyError): AppError {
  if (error.code === "FST_ERR_BAD_URL") {
    return validationError("The URL is not valid", [
      { path: "url", message: "is not valid percent-encoding of UTF-8 (e.g. a lone '%')" },
    ]);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return validationError(error.message);
  return new AppError("INTERNAL_ERROR", "Unexpected server error");
}
