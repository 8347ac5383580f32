import type { HostileFamily } from "./case.ts";
import { malformedJson } from "./malformed-json.ts";
import { hostileSchemas } from "./schemas.ts";

/** Every family of hostile requests; each area of the server adds its own file and one line here. */
export const HOSTILE_FAMILIES: HostileFamily[] = [malformedJson, hostileSchemas];
