import type { HostileFamily } from "./case.ts";
import { graphqlDocuments, graphqlQueries } from "./graphql.ts";
import { INPUT_FAMILIES } from "./input.ts";
import { malformedJson } from "./malformed-json.ts";
import { existenceOracle } from "./oracle.ts";
import { hostileSchemas } from "./schemas.ts";

/** Every family of hostile requests; each area of the server adds its own file and one line here. */
export const HOSTILE_FAMILIES: HostileFamily[] = [
  malformedJson,
  existenceOracle,
  ...INPUT_FAMILIES,
  graphqlDocuments,
  graphqlQueries,
  hostileSchemas,
];
