// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are untyped JSON that tests assert with exact toEqual.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { request } from "undici";
import { type Config, loadConfig } from "../../src/config.ts";
import type { DatabaseTarget } from "../../src/db/database.ts";
import { createLogger } from "../../src/logger.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { type BackendName, createTestDatabase, type TestDatabase } from "./database.ts";

export const TEST_TOKEN = "rec_test_admin_token_0123456789abcdef";

export interface HttpResult<Body = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, for malformed-input tests. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  token?: string | null;
}

/** A running Recordgate on an ephemeral port, with a client for each transport. */
export interface TestServer {
  url: string;
  db: TestDatabase;
  server: RunningServer;
  logs: string[];
  rest<Body = any>(method: string, pathname: string, options?: RequestOptions): Promise<HttpResult<Body>>;
  gql<Data = any>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<HttpResult<{ data?: Data; errors?: { message: string; extensions?: any; path?: string[] }[] }>>;
  close(): Promise<void>;
}

export async function httpRequest(url: string, method: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization ??= `Bearer ${options.token ?? TEST_TOKEN}`;
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await request(url, { method: method as "GET", headers, body });
  const text = await response.body.text();
  let parsed: unknown = text;
  if ((response.headers["content-type"] ?? "").toString().includes("json") && text) parsed = JSON.parse(text);
  return { status: response.statusCode, headers: response.headers, body: parsed, text };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), host: "127.0.0.1", port: 0, adminToken: TEST_TOKEN, logLevel: "info", ...overrides };
}

/** Starts a server on the given database target (a fresh one for the backend when omitted). */
export async function startTestServer(
  backend: BackendName,
  options: { config?: Partial<Config>; db?: TestDatabase; target?: DatabaseTarget } = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase(backend));
  const dataDir = await mkdtemp(path.join(tmpdir(), "recordgate-data-"));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const config = testConfig({ dataDir, ...options.config });
  const server = await startServer(config, createLogger(config.logLevel, sink), options.target ?? db.target);
  const url = server.url;
  return {
    url,
    db,
    server,
    logs,
    rest: (method, pathname, opts) => httpRequest(`${url}${pathname}`, method, opts),
    gql: (query, variables, opts) =>
      httpRequest(`${url}/graphql`, "POST", { ...opts, body: { query, variables } }) as never,
    async close() {
      await server.close();
      if (!options.db) await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
