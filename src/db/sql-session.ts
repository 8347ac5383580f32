import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";

/** One database session that can run parameterised queries and multi-statement scripts (used by migrations). */
export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Rows as arrays in SELECT order: no object per row, for statements returning thousands of wide rows. */
  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /** Runs a script of several statements as one simple-protocol call, like psql would. */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. Inside,
   * each statement sees what earlier ones committed (READ COMMITTED), which is what lock-then-check writes rely on.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
}

function pgliteTransactionSession(tx: Transaction): SqlSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await tx.query<Row>(sql, params)).rows;
    },
    async queryArrays(sql: string, params: unknown[] = []) {
      return (await tx.query<unknown[]>(sql, params, { rowMode: "array" })).rows;
    },
    async exec(script: string) {
      await tx.exec(script);
    },
    // Already in one: a nested call joins it (a savepoint is not what any caller here needs).
    transaction: (fn) => fn(pgliteTransactionSession(tx)),
  };
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await db.query<Row>(sql, params)).rows;
    },
    async queryArrays(sql: string, params: unknown[] = []) {
      return (await db.query<unknown[]>(sql, params, { rowMode: "array" })).rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
    // PGlite queues every other query (Prisma's too) until the transaction ends.
    transaction: (fn) => db.transaction((tx) => fn(pgliteTransactionSession(tx))),
  };
}

export function pgPoolSession(pool: pg.Pool): SqlSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as Row[];
    },
    async queryArrays(sql: string, params: unknown[] = []) {
      return (await pool.query({ text: sql, values: params, rowMode: "array" })).rows as unknown[][];
    },
    async exec(script: string) {
      await pool.query(script);
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await inTransaction(client, fn);
      } catch (error) {
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than return it to the pool.
        if ((error as { rollbackFailed?: boolean }).rollbackFailed) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

export function pgSession(client: pg.PoolClient | pg.Client): SqlSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async queryArrays(sql: string, params: unknown[] = []) {
      return (await client.query({ text: sql, values: params, rowMode: "array" })).rows as unknown[][];
    },
    async exec(script: string) {
      await client.query(script);
    },
    transaction: (fn) => inTransaction(client, fn),
  };
}

async function inTransaction<T>(client: pg.PoolClient | pg.Client, fn: (tx: SqlSession) => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const session: SqlSession = { ...pgSession(client), transaction: (inner) => inner(session) };
    const result = await fn(session);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {
      Object.assign(error as object, { rollbackFailed: true });
    });
    throw error;
  }
}
