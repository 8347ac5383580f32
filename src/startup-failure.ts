import path from "node:path";
import type { Config } from "./config.ts";
import { StartupError } from "./errors/startup-error.ts";

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  errors?: unknown[];
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);
const FILE_PROBLEMS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a path in it is a file, not a folder",
  EEXIST: "it is a file, not a folder",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EISDIR: "a folder stands where a file is expected",
};

/** The PostgreSQL server DATABASE_URL names, without its credentials. */
function postgresAt(url: string): { where: string; database: string; user: string } {
  try {
    const parsed = new URL(url);
    return {
      where: `${parsed.hostname || "localhost"}:${parsed.port || "5432"}`,
      database: decodeURIComponent(parsed.pathname.slice(1)) || "postgres",
      user: decodeURIComponent(parsed.username) || "the default user",
    };
  } catch {
    return { where: "the DATABASE_URL server", database: "the DATABASE_URL database", user: "the DATABASE_URL user" };
  }
}

/** Node reports a refused localhost as an AggregateError of one error per address tried. */
function systemCode(error: SystemError): string | undefined {
  if (error.code) return error.code;
  const first = error.errors?.[0] as SystemError | undefined;
  return first?.code;
}

function within(dir: string, file: string): boolean {
  const relative = path.relative(dir, path.resolve(file));
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Why the start failed, as one line saying what to do (no stack: that goes to the debug log). Covers what an
 * operator can get wrong: the data folder, the PostgreSQL server and database, the port; anything else is named by
 * its message with a pointer to the debug log.
 */
export function describeStartupFailure(error: unknown, config: Config): string {
  if (error instanceof StartupError) return error.message;
  if (!(error instanceof Error)) return `failed to start: ${String(error)}; run with LOG_LEVEL=debug for details`;
  const failure = error as SystemError;
  const code = systemCode(failure);
  const address = `${config.host}:${config.port}`;

  if (failure.syscall === "listen" || failure.message.includes("listen")) {
    if (code === "EADDRINUSE") {
      return `port ${config.port} on ${config.host} is already in use; stop what listens there or set PORT to another port`;
    }
    if (code === "EACCES") return `not allowed to listen on ${address}; set PORT to 1024 or above`;
    if (code === "EADDRNOTAVAIL")
      return `HOST ${config.host} is not an address of this machine; set HOST to one that is`;
  }

  if (config.databaseUrl) {
    const pg = postgresAt(config.databaseUrl);
    if (code === "3D000") {
      return `database "${pg.database}" does not exist on PostgreSQL at ${pg.where}; create it (createdb ${pg.database}) or fix DATABASE_URL`;
    }
    if (code === "28P01" || code === "28000") {
      return `PostgreSQL at ${pg.where} refused user ${pg.user}; fix the credentials in DATABASE_URL`;
    }
    if (code && UNREACHABLE.has(code)) {
      return `cannot reach PostgreSQL at ${pg.where} (${code}); start it or fix DATABASE_URL`;
    }
  }

  if (code && FILE_PROBLEMS[code] && failure.path && within(config.dataDir, failure.path)) {
    return (
      `cannot use the data folder ${config.dataDir}: ${FILE_PROBLEMS[code]} (${failure.path}); make it a folder ` +
      "this user can read and write, or set RECORDGATE_DATA_DIR to another"
    );
  }

  const firstLine = failure.message.split("\n")[0] || failure.name;
  return `failed to start: ${firstLine}; run with LOG_LEVEL=debug for details`;
}
