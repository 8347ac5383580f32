// Reading the benchmarks' settings from the environment.

/** Where each benchmark creates its own database, unless BENCH_DATABASE_URL names another server. */
export const DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test";

/** The admin URL (BENCH_DATABASE_URL): a fresh database is created next to it and dropped afterwards. */
export function adminUrl(env: NodeJS.ProcessEnv): string {
  return env.BENCH_DATABASE_URL || DEFAULT_ADMIN_URL;
}

/** A whole number from the environment: `fallback` when unset or empty, an error when not a number ≥ `min`. */
export function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return Number(raw);
}
