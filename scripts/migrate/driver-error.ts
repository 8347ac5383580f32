import { DriverAdapterError } from "@prisma/driver-adapter-utils";

type PgLikeError = {
  code: string;
  message: string;
  severity?: string;
  detail?: string;
  column?: string;
  hint?: string;
  position?: string;
};

function isPgLikeError(error: unknown): error is PgLikeError {
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  return typeof e.code === "string" && typeof e.message === "string";
}

/**
 * Both node-postgres and PGlite raise server errors with the same fields. Converting them to the adapter error
 * shape lets the engine print "Database error code: …" with the SQL state instead of an opaque JS error.
 */
export function toDriverError(error: unknown): unknown {
  if (!isPgLikeError(error)) return error;
  const where = error.position ? ` (at character ${error.position} of the script)` : "";
  return new DriverAdapterError({
    kind: "postgres",
    code: error.code,
    severity: error.severity ?? "ERROR",
    message: `${error.message}${where}`,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}
