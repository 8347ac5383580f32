import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { TestServer } from "./server.ts";

/**
 * Counts every statement the server sends while `fn` runs. The server is in-process, so wrapping the driver's
 * query method sees Prisma's statements and the record source's alike.
 */
export async function countStatements(t: TestServer, fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const target = "pglite" in t.db.target ? (t.db.target.pglite as PGlite) : (pg.Client.prototype as pg.Client);
  const original = target.query;
  // biome-ignore lint/suspicious/noExplicitAny: a transparent wrapper over an overloaded driver method.
  (target as any).query = function (this: unknown, ...args: unknown[]) {
    count++;
    // biome-ignore lint/suspicious/noExplicitAny: forwards the same overloaded call.
    return (original as any).apply(this, args);
  };
  try {
    await fn();
  } finally {
    target.query = original;
  }
  return count;
}
