import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) builds without an exports map: Node loads the CommonJS one
    // for every dependency (yoga, envelop), while Vite would give our sources the ESM one, and `instanceof
    // GraphQLError` would then differ between tests and production. One copy, as under Node.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Each file owns a database (a PGlite instance or a fresh PostgreSQL database); forks keep them apart.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
