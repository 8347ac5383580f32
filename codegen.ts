import type { CodegenConfig } from "@graphql-codegen/cli";

// Run through `npm run codegen` (NODE_OPTIONS=--import tsx) so the schema module, TypeScript, can be loaded.
const config: CodegenConfig = {
  schema: "./src/schema/index.ts",
  documents: ["test/operations/**/*.graphql"],
  generates: {
    "schema.graphql": { plugins: ["schema-ast"], config: { includeDirectives: true, sort: true } },
    "test/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: { useTypeImports: true, scalars: { JSON: "unknown", DateTime: "string" }, enumsAsTypes: true },
    },
  },
};

export default config;
