// Recordgate started in-process on the bench database, and the HTTP client the benchmarks talk to it with.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Pool as HttpPool } from "undici";
import { type Config, loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startServer } from "../../src/server.ts";
import { createBenchDatabase } from "./database.ts";
import type { Closer } from "./lifecycle.ts";

/** Index builds at a million rows take a while; anything beyond this is a hang, not a slow build. */
const REQUEST_TIMEOUT_MS = 30 * 60_000;

/** `overrides` replaces any of the config's defaults, e.g. `outboundAllow` for an upstream on loopback. */
export async function startRecordgate(
  databaseUrl: string,
  token: string,
  overrides: Partial<Config> = {},
): Promise<{ url: string; closers: Closer[] }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "recordgate-bench-"));
  const config = {
    ...loadConfig({}),
    host: "127.0.0.1",
    port: 0,
    adminToken: token,
    dataDir,
    logLevel: "warn",
    ...overrides,
  };
  const server = await startServer(config, createLogger(config.logLevel), { url: databaseUrl });
  return {
    url: server.url,
    closers: [
      { what: "Recordgate data dir", close: () => rm(dataDir, { recursive: true, force: true }) },
      { what: "Recordgate server and database", close: () => server.close() },
    ],
  };
}

/** Keep-alive HTTP client for Recordgate; sequential requests reuse one connection, like an application would. */
export class RestClient {
  private readonly pool: HttpPool;

  constructor(
    readonly base: string,
    private readonly token: string,
  ) {
    this.pool = new HttpPool(base, {
      connections: 2,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
  }

  async send(method: string, pathname: string, body?: string): Promise<{ status: number; text: string }> {
    const response = await this.pool.request({
      method: method as "POST",
      path: pathname,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body,
    });
    return { status: response.statusCode, text: await response.body.text() };
  }

  async json(method: string, pathname: string, body?: unknown): Promise<unknown> {
    const { status, text } = await this.send(method, pathname, body === undefined ? undefined : JSON.stringify(body));
    if (status < 200 || status >= 300) throw new Error(`${method} ${pathname} answered ${status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * What every benchmark starts from: a fresh database, Recordgate on it with a random admin token, and a client for
 * its API (config `overrides` as for startRecordgate); each is registered in `closers`, so an interrupted run still
 * cleans up.
 */
export async function startBenchStack(adminUrl: string, closers: Closer[], overrides: Partial<Config> = {}) {
  const token = `bench_${randomBytes(16).toString("hex")}`;
  const db = await createBenchDatabase(adminUrl);
  closers.push({ what: "bench database", close: db.close });
  const recordgate = await startRecordgate(db.url, token, overrides);
  closers.push(...recordgate.closers);
  const rest = new RestClient(recordgate.url, token);
  closers.push({ what: "HTTP client", close: () => rest.close() });
  return { token, db, rest };
}
