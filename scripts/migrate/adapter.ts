import type { SqlDriverAdapter, SqlQuery } from "@prisma/driver-adapter-utils";

function trace(role: string, kind: string, sql: string): void {
  if (process.env.MIGRATE_DEBUG) process.stderr.write(`[${role} ${kind}] ${sql.replace(/\s+/g, " ").slice(0, 300)}\n`);
}

/**
 * Delegates to a stock adapter but replaces `executeScript`, which both stock adapters get wrong for
 * migrations (see the PGlite and pg modules). A plain object rather than a subclass, because the stock
 * adapter classes are not exported.
 */
export function withScriptRunner(
  inner: SqlDriverAdapter,
  role: string,
  runScript: (script: string) => Promise<void>,
): SqlDriverAdapter {
  const adapter: SqlDriverAdapter = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw(query: SqlQuery) {
      trace(role, "query", query.sql);
      return inner.queryRaw(query);
    },
    executeRaw(query: SqlQuery) {
      trace(role, "execute", query.sql);
      return inner.executeRaw(query);
    },
    async executeScript(script: string) {
      trace(role, "script", script);
      await runScript(script);
    },
    startTransaction(isolationLevel) {
      trace(role, "transaction", isolationLevel ?? "");
      return inner.startTransaction(isolationLevel);
    },
    dispose() {
      return inner.dispose();
    },
  };
  if (inner.getConnectionInfo) adapter.getConnectionInfo = inner.getConnectionInfo.bind(inner);
  return adapter;
}
