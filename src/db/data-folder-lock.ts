import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, readFile, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { StartupError } from "../errors/startup-error.ts";

/**
 * PGlite has no cross-process lock and Node has no flock, so a second process on the same data folder would open it
 * and both would write. The lock is a file created atomically (link(2) of a complete temporary file: it never exists
 * half-written) holding the owner's pid and its start identity. A lock whose owner is gone (kill -9, a crash, a
 * reboot) is stale and is taken over at the next start; the start identity tells a live owner from an unrelated
 * process that reused its pid.
 */
export const LOCK_FILE = "recordgate.lock";
/** Held only while a stale lock is being replaced, so two starts cannot both remove it and both win. */
const TAKEOVER_FILE = "recordgate.lock.takeover";
/** A takeover file older than this was left by a process that died in the middle of the few calls a takeover is. */
const TAKEOVER_STALE_MS = 10_000;

interface Owner {
  pid: number;
  /** Kernel boot id and the process start time in clock ticks since boot (Linux); absent where /proc is not. */
  boot?: string;
  start?: string;
}

export interface DataFolderLock {
  path: string;
  release(): Promise<void>;
}

/** This machine's boot and the process's start, from /proc (Linux); undefined elsewhere. */
function identityOf(pid: number): { boot?: string; start?: string } {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (the command) is in parentheses and may hold spaces: count fields after its closing one.
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return { boot, start };
  } catch {
    return {};
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: alive, owned by another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (owner.start === undefined) return true;
  const now = identityOf(owner.pid);
  if (now.start === undefined) return true;
  // Another boot, or the pid now belongs to a process started at another time: the owner is gone.
  return now.boot === owner.boot && now.start === owner.start;
}

function parseOwner(text: string): Owner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Owner>;
    return Number.isInteger(value.pid) ? (value as Owner) : undefined;
  } catch {
    return undefined;
  }
}

function inUse(dataDir: string, lockPath: string, owner: Owner | undefined): StartupError {
  const who = owner ? `another Recordgate process (pid ${owner.pid})` : "another Recordgate process";
  return new StartupError(
    `the data folder ${dataDir} is in use by ${who}; stop it first, or set RECORDGATE_DATA_DIR to another folder ` +
      `(if no such process runs, delete ${lockPath})`,
  );
}

/** Takes the data folder's lock or throws a StartupError naming its owner. */
export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const takeoverPath = path.join(dataDir, TAKEOVER_FILE);
  const content = `${JSON.stringify({ pid: process.pid, ...identityOf(process.pid) })}\n`;
  const temporary = path.join(dataDir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}`);
  await writeFile(temporary, content, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temporary, lockPath);
        return {
          path: lockPath,
          async release() {
            // Only our own lock: never one a later process took over.
            if ((await readFile(lockPath, "utf8").catch(() => "")) === content) await unlink(lockPath).catch(() => {});
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const held = await readFile(lockPath, "utf8").catch(() => undefined);
      if (held === undefined) continue;
      const owner = parseOwner(held);
      // A lock we cannot read was not written by this code (it never exists half-written): respect it.
      if (!owner || isAlive(owner)) throw inUse(dataDir, lockPath, owner);
      await replaceStale(lockPath, takeoverPath, held);
    }
    throw inUse(dataDir, lockPath, undefined);
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** Removes a stale lock unless another start is doing so or has already replaced it. */
async function replaceStale(lockPath: string, takeoverPath: string, stale: string): Promise<void> {
  try {
    await writeFile(takeoverPath, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = Date.now() - (await stat(takeoverPath).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > TAKEOVER_STALE_MS) await unlink(takeoverPath).catch(() => {});
    else await new Promise((resolve) => setTimeout(resolve, 100));
    return;
  }
  try {
    if ((await readFile(lockPath, "utf8").catch(() => undefined)) === stale) await unlink(lockPath);
  } finally {
    await unlink(takeoverPath).catch(() => {});
  }
}
