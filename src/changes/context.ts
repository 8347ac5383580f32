/**
 * Where a write came from, recorded with its change and sent as a trigger payload's `source`: `api` (a REST or
 * GraphQL call), `batch` (one operation of a batch), `hook` (an inbound hook's ingest). Cascades are recorded by
 * the database itself as `cascade`.
 */
export type ChangeOrigin = "api" | "batch" | "hook";

/** Who caused a write, carried into the change row the database writes beside it (docs/events.md). */
export interface ChangeContext {
  /** Token id, or "admin" for the admin token. */
  actor: string;
  requestId: string;
  origin: ChangeOrigin;
}
