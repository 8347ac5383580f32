// Recordgate as a separate process (what `npm start` runs), for benchmarks where a crash must be a real exit and
// memory must be the server's own: its RSS is read from /proc/<pid>/status.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ServerProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  /** Exit code, or the signal's name; resolves when the process is gone. */
  exited: Promise<string>;
  /** The last lines it wrote (its log), for a report of why it died. */
  tail: string[];
}

/** How long a start may take: PGlite creates its data folder in WASM on the first start (~4 s, more under load). */
const START_TIMEOUT_MS = 120_000;
const TAIL_LINES = 20;

/**
 * Starts `src/main.ts` with only `env` (plus PATH) and resolves once it logs that it listens. `heapMb` caps the V8
 * heap, so a runaway request ends in a crash within the bench's time rather than by exhausting a shared machine.
 */
export async function spawnServer(env: Record<string, string>, heapMb: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, "--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const exited = new Promise<string>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? String(code))));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within ${START_TIMEOUT_MS / 1000} s:\n${tail.join("\n")}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        if (line.includes('"recordgate listening"')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
        // Warnings, errors and anything not a log line (a V8 heap report): what tells why it died.
        if (/^\{"level":[1-3]\d,/.test(line)) continue;
        tail.push(line.slice(0, 500));
        if (tail.length > TAIL_LINES) tail.shift();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${how}) before listening:\n${tail.join("\n")}`));
    });
  });
  if (child.pid === undefined) throw new Error("the server has no pid");
  return { pid: child.pid, url, child, exited, tail };
}

/** Resident memory of a process in MiB, from /proc (Linux); NaN once it is gone or elsewhere. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** SIGTERM and the graceful shutdown's exit code; SIGKILL when it does not exit within `timeoutMs`. */
export async function stopServer(server: ServerProcess, timeoutMs = 30_000): Promise<string> {
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), timeoutMs);
  const how = await server.exited;
  clearTimeout(timer);
  return how;
}
