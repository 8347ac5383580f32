import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface SecretFile {
  value: string;
  path: string;
  created: boolean;
}

/**
 * A secret kept in the data folder (mode 0600, folder 0700): read when present, else generated once. Several
 * instances starting together agree on one value ("wx": the first writer wins, the others read it).
 */
export async function loadOrCreateSecretFile(
  dataDir: string,
  name: string,
  generate: () => string,
): Promise<SecretFile> {
  const file = path.join(dataDir, name);
  const read = async (created: boolean) => ({ value: (await readFile(file, "utf8")).trim(), path: file, created });
  try {
    return await read(false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = generate();
  try {
    await writeFile(file, `${value}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return read(false);
  }
  return { value, path: file, created: true };
}
