// Everything a run opens is closed again, in reverse order, on success, failure or Ctrl-C.
import { progress } from "./stats.ts";

export interface Closer {
  what: string;
  close: () => Promise<void>;
}

/**
 * Last opened, first closed: servers before their pools, everything before the database is dropped. Takes the
 * closers out of the list, so an interrupt during cleanup cannot close anything twice.
 */
export async function closeAll(closers: Closer[]): Promise<boolean> {
  let clean = true;
  for (const { what, close } of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      clean = false;
      console.error(`cleanup: closing ${what} failed:`, error);
    }
  }
  return clean;
}

/**
 * A run takes many minutes, so Ctrl-C is likely; it must not leave a database of a million rows behind. Nor may a
 * reader that stops early (`… | head`): the EPIPE would otherwise crash the process before its cleanup.
 */
export function cleanUpOnInterrupt(closers: Closer[]): void {
  process.stdout.on("error", () => {});
  // Ctrl-C reaches npm and tsx too, which pass on SIGINT or SIGTERM: later signals wait for the first cleanup.
  let cleanup: Promise<unknown> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!cleanup) progress(`${signal}: cleaning up…`);
    cleanup ??= closeAll(closers).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/**
 * Runs a benchmark: `run` pushes what it opens onto `closers` and returns how many problems it saw (failed requests,
 * mismatched answers), described as `problems` when there were any. Exit code 0 only when there were none, nothing
 * threw and everything closed cleanly.
 */
export async function runMain(
  run: (closers: Closer[]) => Promise<number>,
  problems = "failed requests or mismatched answers",
): Promise<void> {
  const closers: Closer[] = [];
  cleanUpOnInterrupt(closers);
  let exitCode = 1;
  try {
    const count = await run(closers);
    if (count > 0) console.error(`${count} ${problems}`);
    exitCode = count > 0 ? 1 : 0;
  } catch (error) {
    console.error(error);
  } finally {
    if (!(await closeAll(closers))) exitCode = 1;
  }
  // Exit on our own rather than force it: a leaked handle would show up as a hang, which we want to notice.
  process.exitCode = exitCode;
}
