import { type ChildProcess, spawn } from "node:child_process";

/** The real entry point (what `npm start` runs) as a child process, with only the environment given. */
export interface ServerProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let rest = "";
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      into.push(...lines.filter((line) => line.trim() !== ""));
    };
  };
  child.stdout.on("data", collect(stdout));
  child.stderr.on("data", collect(stderr));
  // "close" rather than "exit": every line the child wrote has been read by then.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/** Resolves with the URL once the server logs that it listens; rejects if it exits first. */
export async function listening(proc: ServerProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${proc.stdout.join("\n")}`)), timeoutMs);
    const check = () => {
      for (const line of proc.stdout) {
        if (!line.includes('"recordgate listening"')) continue;
        clearTimeout(timer);
        proc.child.stdout?.off("data", check);
        resolve((JSON.parse(line) as { url: string }).url);
        return;
      }
    };
    proc.child.stdout?.on("data", () => setImmediate(check));
    proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${[...proc.stdout, ...proc.stderr].join("\n")}`));
    });
  });
}
