import { randomBytes } from "node:crypto";
import { loadOrCreateSecretFile } from "./secret-file.ts";

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
  const file = await loadOrCreateSecretFile(
    dataDir,
    ADMIN_TOKEN_FILE,
    () => `rec_${randomBytes(32).toString("base64url")}`,
  );
  return { token: file.value, origin: { kind: "file", path: file.path, created: file.created } };
}
