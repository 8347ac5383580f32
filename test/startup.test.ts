import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LOCK_FILE, lockDataFolder } from "../src/db/data-folder-lock.ts";
import { StartupError } from "../src/errors/startup-error.ts";
import { createLogger } from "../src/logger.ts";
import { startServer } from "../src/server.ts";
import { createTestDatabase } from "./support/database.ts";
import { listening, type ServerProcess, spawnServer } from "./support/process.ts";
import { testConfig } from "./support/server.ts";

/** Runs the server until it exits on its own (a start-up failure), at most a minute. */
async function failedStart(env: Record<string, string>) {
  const proc = spawnServer(env);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), 60_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

/**
 * What every failed start must look like: exit code 1, exactly one line on stderr saying what to do, no stack trace
 * anywhere, and nothing on stdout but ordinary (below error level) log lines.
 */
function expectOneLine(run: Awaited<ReturnType<typeof failedStart>>, pattern: RegExp) {
  const seen = [...run.stdout, "--- stderr", ...run.stderr].join("\n");
  expect(run.code, seen).toBe(1);
  expect(run.stderr, seen).toHaveLength(1);
  expect(run.stderr[0], seen).toMatch(/^recordgate: .+; .+/);
  expect(run.stderr[0], seen).toMatch(pattern);
  expect(seen).not.toMatch(/\n\s+at /);
  for (const line of run.stdout) expect((JSON.parse(line) as { level: number }).level, line).toBeLessThan(50);
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

let dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "recordgate-startup-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

describe("one process per embedded data folder", () => {
  it("refuses a second process on a folder in use, and starts again after the first is killed with -9", async () => {
    const dataDir = await tempDir();
    const first: ServerProcess = spawnServer({ RECORDGATE_DATA_DIR: dataDir });
    try {
      await listening(first);
      const lock = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE), "utf8")) as { pid: number };
      expect(lock.pid).toBe(first.child.pid);

      const second = await failedStart({ RECORDGATE_DATA_DIR: dataDir });
      expectOneLine(second, new RegExp(`is in use by another Recordgate process \\(pid ${first.child.pid}\\)`));
    } finally {
      first.child.kill("SIGKILL");
      await first.exited;
    }

    // The lock file is still there (nothing ran at exit), but its owner is gone: no manual cleanup needed.
    const third = spawnServer({ RECORDGATE_DATA_DIR: dataDir });
    try {
      await listening(third);
      const lock = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE), "utf8")) as { pid: number };
      expect(lock.pid).toBe(third.child.pid);
    } finally {
      third.child.kill("SIGTERM");
      expect(await third.exited).toBe(0);
    }
    // A clean shutdown removes the lock.
    await expect(readFile(path.join(dataDir, LOCK_FILE))).rejects.toMatchObject({ code: "ENOENT" });
  }, 180_000);

  it("refuses a second startServer on the same folder in one process, and frees it on close", async () => {
    const dataDir = await tempDir();
    const config = testConfig({ dataDir, logLevel: "silent" });
    const logger = createLogger("silent");
    const first = await startServer(config, logger, { dataDir });
    try {
      const second = startServer(config, logger, { dataDir });
      await expect(second).rejects.toBeInstanceOf(StartupError);
      await expect(second).rejects.toThrow(`is in use by another Recordgate process (pid ${process.pid})`);
    } finally {
      await first.close();
    }
    const again = await startServer(config, logger, { dataDir });
    await again.close();
  }, 120_000);

  it("takes over a lock whose pid is now another process (pid reuse) or no process at all", async () => {
    const dataDir = await tempDir();
    const lockPath = path.join(dataDir, LOCK_FILE);
    const own = await lockDataFolder(dataDir);
    const live = await readFile(lockPath, "utf8");
    await expect(lockDataFolder(dataDir)).rejects.toThrow(StartupError);
    await own.release();

    // Our own pid, alive, but started at another time: the process that wrote it is gone.
    const reused = { ...(JSON.parse(live) as object), start: "1" };
    for (const stale of [reused, { pid: 2 ** 22 + 1 }]) {
      await writeFile(lockPath, JSON.stringify(stale));
      const taken = await lockDataFolder(dataDir);
      expect(await readFile(lockPath, "utf8")).toBe(live);
      await taken.release();
    }
  });

  it("never releases a lock another process took over", async () => {
    const dataDir = await tempDir();
    const lockPath = path.join(dataDir, LOCK_FILE);
    const lock = await lockDataFolder(dataDir);
    await writeFile(lockPath, JSON.stringify({ pid: 1 }));
    await lock.release();
    expect(await readFile(lockPath, "utf8")).toBe(JSON.stringify({ pid: 1 }));
  });
});

describe("a failed start is one line saying what to do", () => {
  let pgBase: URL | undefined;
  beforeAll(() => {
    const url = inject("postgresUrl");
    pgBase = url ? new URL(url) : undefined;
  });

  it("names a PostgreSQL database that does not exist", async (context) => {
    if (!pgBase) return context.skip("PostgreSQL is not available in this run");
    const url = new URL(pgBase);
    url.pathname = "/recordgate_no_such_database";
    const run = await failedStart({ DATABASE_URL: url.toString(), RECORDGATE_DATA_DIR: await tempDir() });
    expectOneLine(run, /database "recordgate_no_such_database" does not exist .* create it/);
  });

  it("names a PostgreSQL server that does not answer", async () => {
    const port = await freePort();
    const url = `postgresql://postgres@127.0.0.1:${port}/recordgate`;
    const run = await failedStart({ DATABASE_URL: url, RECORDGATE_DATA_DIR: await tempDir() });
    expectOneLine(run, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });

  it("names a port in use", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const { port } = blocker.address() as net.AddressInfo;
    const db = pgBase ? await createTestDatabase("postgres") : undefined;
    try {
      const env: Record<string, string> = { PORT: String(port), RECORDGATE_DATA_DIR: await tempDir() };
      if (db && "url" in db.target) env.DATABASE_URL = db.target.url;
      const run = await failedStart(env);
      expectOneLine(run, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
      await db?.drop();
    }
  }, 90_000);

  it("names a data folder it cannot use", async () => {
    const file = path.join(await tempDir(), "not-a-folder");
    await writeFile(file, "");
    const run = await failedStart({ RECORDGATE_DATA_DIR: file });
    expectOneLine(run, new RegExp(`cannot use the data folder ${file}: .*RECORDGATE_DATA_DIR`));
  });

  it("names a data folder it may not write", async (context) => {
    if (process.getuid?.() === 0) return context.skip("root may write anywhere");
    const dir = await tempDir();
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o500);
    try {
      const run = await failedStart({ RECORDGATE_DATA_DIR: path.join(dir, "data") });
      expectOneLine(run, /cannot use the data folder .*: permission denied/);
    } finally {
      await chmod(dir, 0o700);
    }
  });
});
