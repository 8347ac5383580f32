import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export const ADMIN_TOKEN_FILE = "admin-token";

export interface AdminTokenSource {
  token: string;
  /** Where the token came from, safe to log: never the token itself. */
  origin: { kind: "env" } | { kind: "file"; path: string; created: boolean };
}

/**
 * The root credential: RECORDGATE_ADMIN_TOKEN when set, otherwise a random token generated on first start and kept
 * in the data folder with mode 0600 so only the server's user can read it.
 */
export async function loadAdminToken(configured: string | undefined, dataDir: string): Promise<AdminTokenSource> {
  if (configured) return { token: configured, origin: { kind: "env" } };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    return { token: (await readFile(file, "utf8")).trim(), origin: { kind: "file", path: file, created: false } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = `rec_${randomBytes(32).toString("base64url")}`;
  try {
    // "wx": if another instance wrote it first, use theirs instead of overwriting.
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return { token: (await readFile(file, "utf8")).trim(), origin: { kind: "file", path: file, created: false } };
  }
  return { token, origin: { kind: "file", path: file, created: true } };
}
