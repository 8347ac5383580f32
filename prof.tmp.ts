import { compileSchema } from "./src/resolvers/schema-registry.ts";
import { WORST_SCHEMAS, largestAllowed } from "./bench/support/worst-schemas.ts";
import { DEFAULT_SCHEMA_LIMITS } from "./src/resolvers/json-schema/limits.ts";
const name = process.argv[2] as string;
const make = WORST_SCHEMAS[name]!;
const n = largestAllowed(make, DEFAULT_SCHEMA_LIMITS);
compileSchema({type:"object"});
for (let i = 0; i < 10; i++) { const t = performance.now(); compileSchema(make(n)); console.log((performance.now()-t).toFixed(1)); }
