import { AppError, conflict } from "./app-error.ts";

/** SQLSTATE or Prisma codes we can explain to a client; everything else stays an internal error. */
const UNIQUE_VIOLATION = new Set(["23505", "P2002"]);
const FOREIGN_KEY_VIOLATION = new Set(["23503", "P2003"]);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  // Driver adapters wrap the database error (Prisma → DriverAdapterError → pg/PGlite error); walk the chain.
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const { code, cause, meta } = current as {
      code?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    if (typeof code === "string") codes.push(code);
    const originalCode = (cause as { originalCode?: unknown } | undefined)?.originalCode;
    if (typeof originalCode === "string") codes.push(originalCode);
    current = meta?.driverAdapterError ?? cause;
  }
  return codes;
}

export interface Explanations {
  /** A unique constraint refused the write: usually a duplicate id or external identity. */
  unique?: () => AppError;
  /** A foreign key refused the write: the parent vanished between our check and the write. */
  foreignKey?: () => AppError;
}

/** Translates the few database failures that are the client's doing into our error set; rethrows the rest. */
export function translateDatabaseError(error: unknown, explain: Explanations): never {
  if (error instanceof AppError) throw error;
  const codes = codesOf(error);
  if (codes.some((c) => UNIQUE_VIOLATION.has(c))) throw explain.unique?.() ?? conflict("Duplicate value");
  if (codes.some((c) => FOREIGN_KEY_VIOLATION.has(c))) {
    throw explain.foreignKey?.() ?? conflict("A referenced resource no longer exists");
  }
  throw error;
}

/**
 * SQLSTATEs for a value the database cannot hold: NUL or invalid text (22021, 22P05), a number out of a column's
 * range (22003). Input checks refuse these first (src/resolvers/storable.ts, src/http/json-body.ts); this is the
 * net for an input no check names yet, so it answers 400 rather than 500.
 */
const UNSTORABLE_VALUE = new Set(["22021", "22P05", "22003"]);

/** The client's error for a value the database refused to store, or undefined when `error` is something else. */
export function unstorableValueError(error: unknown): AppError | undefined {
  if (!codesOf(error).some((c) => UNSTORABLE_VALUE.has(c))) return undefined;
  return new AppError("VALIDATION_ERROR", "The request holds a value that cannot be stored", [
    { path: "request", message: "holds text with NUL or invalid Unicode, or a number out of range" },
  ]);
}
