import type { Principal } from "../auth/authenticate.ts";
import type { ChangeContext } from "../changes/context.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RateLimitDecision, WorkspaceLimits } from "../limits/workspace-limits.ts";
import type { Log } from "../logger.ts";
import type { AddressPolicy } from "../outbound/address-policy.ts";
import type { RecordSource } from "../sources/record-source.ts";
import type { RelationshipStore } from "../sources/relationships.ts";
import type { Vault } from "../vault/vault.ts";
import type { CollectionCache } from "./collection-cache.ts";
import { withUpstreamFailures } from "./external.ts";
import { createLoaders, type Loaders } from "./loaders.ts";
import type { SchemaRegistry } from "./schema-registry.ts";

/** Long-lived pieces shared by every request of one server. */
export interface Services {
  prisma: PrismaClient;
  schemas: SchemaRegistry;
  collections: CollectionCache;
  /** Where records live: native storage and collections' external sources (RoutingRecordSource). */
  records: RecordSource;
  relationships: RelationshipStore;
  vault: Vault;
  rateLimits: WorkspaceLimits;
  /** maxJsonDepth: how deeply stored JSON and query input may nest (src/resolvers/storable.ts). */
  limits: { maxRecordBytes: number; maxJsonDepth: number };
  /** What outbound requests (sources, triggers) may reach: checked when a source is saved, and on every connect. */
  outboundPolicy: AddressPolicy;
}

/** What every domain operation receives: built per request by REST and GraphQL alike. */
export interface Context extends Services {
  principal: Principal;
  requestId: string;
  log: Log;
  /** Who this request's writes are recorded as (its token, its request id, and where it came from). */
  change: ChangeContext;
  /** This request's DataLoaders (created on first use: most REST requests never batch). */
  readonly loaders: Loaders;
  /** Sets a header on this request's HTTP response (rate-limit headers, for REST and GraphQL alike). */
  header(name: string, value: string): void;
  /** This request's rate-limit decision per workspace: a request counts once per workspace it touches. */
  readonly metered: Map<string, Promise<RateLimitDecision>>;
}

export function createContext(
  services: Services,
  request: { principal: Principal; requestId: string; log: Log; header?: (name: string, value: string) => void },
): Context {
  let loaders: Loaders | undefined;
  // A source's failure becomes the client's error here, once for every resolver and loader of this request.
  const records = withUpstreamFailures(services.records, request.log);
  return {
    ...services,
    records,
    ...request,
    change: {
      actor: request.principal.kind === "admin" ? "admin" : request.principal.id,
      requestId: request.requestId,
      origin: "api",
    },
    header: request.header ?? (() => {}),
    metered: new Map(),
    get loaders() {
      loaders ??= createLoaders({ ...services, records });
      return loaders;
    },
  };
}
