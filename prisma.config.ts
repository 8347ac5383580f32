import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

// `prisma generate` is pure WASM, but the CLI still tries to download the native schema engine unless this
// points at an existing file. The stub fails, so `prisma migrate …` cannot pretend to succeed; migrations are
// created and checked by scripts/migrate.ts and applied by the server at start.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL("./scripts/no-schema-engine.sh", import.meta.url));

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
