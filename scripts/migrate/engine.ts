import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";
// The package root imports a `.wasm` file as an ES module, which Node refuses; this deep path is the only
// exported entry that loads, so the WASM is instantiated by hand below.
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";

export type { SchemaEngine };

type PanicRegistry = { set_message(message: string): void };
declare global {
  // The wasm-bindgen glue reports engine panics through this global before it throws.
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined;
}

// tsconfig's lib is ES2023 without DOM and @types/node 20 has no WebAssembly typings; declaring the one call
// used keeps this file from depending on some other package happening to pull in lib.dom.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let lastPanic: string | undefined;

// The engine arms setTimeouts (e.g. a 10 s guard around the advisory lock) and never clears them, which keeps
// the process alive long after the work is done. Track them so they can be cleared once the engine is freed.
const engineTimers = new Set<NodeJS.Timeout>();

function trackedSetTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms >>> 0);
  engineTimers.add(timer);
  return timer;
}

let loaded: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    globalThis.PRISMA_WASM_PANIC_REGISTRY = {
      set_message(message) {
        lastPanic = message;
      },
    };
    // `.wasm` is not in the package's exports, so locate it next to the one file that is.
    const gluePath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(join(dirname(gluePath), "schema_engine_bg.wasm"));
    const glue: Record<string, unknown> = { ...bg };
    // The import's name carries a build hash, so match it by prefix rather than pinning the hash.
    const timeoutKeys = Object.keys(glue).filter((key) => key.startsWith("__wbg_setTimeout_"));
    if (timeoutKeys.length === 0)
      throw new Error("schema engine glue has no setTimeout import; was the package upgraded?");
    for (const key of timeoutKeys) glue[key] = trackedSetTimeout;
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
    bg.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start === "function") start();
  })();
  return loaded;
}

export type SchemaFile = { path: string; content: string };

type EngineLog = { level?: string; message?: string; fields?: { message?: string } } & Record<string, unknown>;

function logFromEngine(line: string): void {
  if (process.env.MIGRATE_DEBUG) {
    process.stderr.write(`[engine] ${line}\n`);
    return;
  }
  // Errors and warnings are worth showing even without debug output; the engine's info chatter is not.
  try {
    const entry = JSON.parse(line) as EngineLog;
    const level = String(entry.level ?? "").toUpperCase();
    if (level === "ERROR" || level === "WARN") {
      process.stderr.write(`[engine ${level.toLowerCase()}] ${entry.fields?.message ?? entry.message ?? line}\n`);
    }
  } catch {
    // Not JSON: nothing to filter on, so stay quiet unless debugging.
  }
}

/**
 * Runs `work` with a fresh engine and always frees it and its timers afterwards. The caller owns the factory
 * (and must close its pools/instances after this returns): the engine never disposes the adapters it opens.
 */
export async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: SchemaFile[],
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadWasm();
  let engine: SchemaEngine | undefined;
  try {
    engine = await bg.SchemaEngine.new(
      { datamodels: schema.map((file): [string, string] => [file.path, file.content]) },
      logFromEngine,
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return await work(engine);
  } catch (error) {
    throw withPanic(error);
  } finally {
    try {
      engine?.free();
    } catch {
      // After a panic the engine's memory may be poisoned; freeing is best-effort, the process is ending anyway.
    }
    for (const timer of engineTimers) clearTimeout(timer);
    engineTimers.clear();
  }
}

function withPanic(error: unknown): unknown {
  if (lastPanic === undefined) return error;
  const panic = lastPanic;
  lastPanic = undefined;
  return new Error(`schema engine panicked: ${panic}`, { cause: error });
}
