import type { Logger } from "pino";

/** The logging calls the domain uses; satisfied by pino and by Fastify's request logger. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;

import type { Principal } from "../auth/authenticate.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RecordSource } from "../sources/record-source.ts";
import type { CollectionCache } from "./collection-cache.ts";
import type { SchemaRegistry } from "./schema-registry.ts";

/** Long-lived pieces shared by every request of one server. */
export interface Services {
  prisma: PrismaClient;
  schemas: SchemaRegistry;
  collections: CollectionCache;
  records: RecordSource;
  limits: { maxRecordBytes: number };
}

/** What every domain operation receives: built per request by REST and GraphQL alike. */
export interface Context extends Services {
  principal: Principal;
  requestId: string;
  log: Log;
}

export function createContext(services: Services, request: { principal: Principal; requestId: string; log: Log }) {
  return { ...services, ...request } satisfies Context;
}
