import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Redis } from "ioredis";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { applyMigrations, readMigrations } from "../../src/db/migrate.ts";
import { PGLITE_EXTENSIONS } from "../../src/db/pglite-extensions.ts";
import { pgliteSession } from "../../src/db/sql-session.ts";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresUrl: string | null;
    redisUrl: string | null;
  }
}

async function postgresReachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisReachable(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs once per test run: builds one migrated PGlite data folder (initdb in WASM costs seconds; loading a dump
 * costs well under one) and decides whether the PostgreSQL half of the suite runs.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "recordgate-test-"));
  const db = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
  await applyMigrations(pgliteSession(db), await readMigrations());
  const dump = await db.dumpDataDir("none");
  await db.close();
  const template = path.join(dir, "pglite-template.tar");
  await writeFile(template, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteTemplate", template);

  const problem = await postgresReachable(ADMIN_URL);
  if (problem === null) {
    project.provide("postgresUrl", ADMIN_URL);
  } else if (process.env.RECORDGATE_TEST_REQUIRE_POSTGRES === "1") {
    throw new Error(`PostgreSQL is required for this run but unreachable at ${ADMIN_URL}: ${problem}`);
  } else {
    project.provide("postgresUrl", null);
    console.warn(
      `\n[recordgate] PostgreSQL unreachable at ${ADMIN_URL} (${problem}): running the suite on PGlite ONLY.\n`,
    );
  }
  const redisProblem = await redisReachable(REDIS_URL);
  if (redisProblem === null) {
    project.provide("redisUrl", REDIS_URL);
  } else if (process.env.RECORDGATE_TEST_REQUIRE_REDIS === "1") {
    throw new Error(`Redis is required for this run but unreachable at ${REDIS_URL}: ${redisProblem}`);
  } else {
    project.provide("redisUrl", null);
    console.warn(`\n[recordgate] Redis unreachable at ${REDIS_URL} (${redisProblem}): shared rate limits untested.\n`);
  }
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
