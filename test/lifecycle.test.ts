import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./support/database.ts";
import { contactSchema } from "./support/fixtures.ts";
import { httpRequest } from "./support/server.ts";

interface Proc {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts the real entry point (what `npm start` runs) and waits for its "listening" log line. */
async function launch(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${lines.join("\n")}`)), 45_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        lines.push(line);
        const parsed = (() => {
          try {
            return JSON.parse(line);
          } catch {
            return {};
          }
        })();
        if (parsed.msg === "recordgate listening") {
          clearTimeout(timer);
          resolve(parsed.url);
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then((code) => reject(new Error(`exited with ${code}:\n${lines.join("\n")}`)));
  });
  return { child, url, lines, exited };
}

async function stop(proc: Proc): Promise<number | null> {
  proc.child.kill("SIGTERM");
  return proc.exited;
}

describe.each(backends())("the server process on %s", (backend) => {
  let dataDir: string;
  let db: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "recordgate-lifecycle-"));
    env = { RECORDGATE_DATA_DIR: dataDir };
    if (backend === "postgres") {
      db = await createTestDatabase("postgres");
      await db.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      env.DATABASE_URL = "url" in db.target ? db.target.url : "";
    }
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("generates a private admin token, keeps data across a restart, and shuts down cleanly on SIGTERM", async () => {
    const first = await launch(env);
    const tokenFile = path.join(dataDir, "admin-token");
    const token = (await readFile(tokenFile, "utf8")).trim();
    expect(token).toMatch(/^rec_[A-Za-z0-9_-]{43}$/);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(first.lines.some((l) => l.includes(tokenFile))).toBe(true);

    const auth = { token };
    await httpRequest(`${first.url}/v1/workspaces`, "POST", { ...auth, body: { id: "keep", name: "Keep" } });
    await httpRequest(`${first.url}/v1/keep/collections/contacts`, "PUT", {
      ...auth,
      body: { json_schema: contactSchema },
    });
    const written = await httpRequest(`${first.url}/v1/keep/records/contacts`, "PUT", {
      ...auth,
      body: { external_id: "k1", data: { name: "Persisted" } },
    });
    expect(written.status).toBe(201);

    // A request still in flight when SIGTERM arrives is answered before the process exits.
    const inFlight = httpRequest(`${first.url}/v1/keep/records/contacts?limit=1000`, "GET", auth);
    const firstExit = await stop(first);
    expect(firstExit, first.lines.join("\n")).toBe(0);
    expect((await inFlight).status).toBe(200);
    expect(first.lines.some((l) => l.includes('"msg":"shutdown complete"'))).toBe(true);
    expect(first.lines.filter((l) => l.includes(token))).toEqual([]);

    const second = await launch(env);
    try {
      const read = await httpRequest(`${second.url}/v1/keep/records/contacts/${written.body.id}`, "GET", auth);
      expect(read.status).toBe(200);
      expect(read.body.data).toEqual({ name: "Persisted" });
      const again = await httpRequest(`${second.url}/v1/keep/records/contacts`, "PUT", {
        ...auth,
        body: { external_id: "k1", data: { name: "Persisted" } },
      });
      expect(again.body).toMatchObject({ id: written.body.id, version: 2 });
    } finally {
      expect(await stop(second)).toBe(0);
    }
    // Two full process starts (PGlite opens its data folder in WASM each time).
  }, 120_000);

  it("refuses to start with invalid configuration, saying why", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { PATH: process.env.PATH ?? "", PORT: "not-a-port", RECORDGATE_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c.toString();
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('PORT must be an integer, got "not-a-port"');
  });
});
