import type { Logger } from "pino";
import { loadAdminToken } from "./auth/admin-token.ts";
import { createAuthenticator } from "./auth/authenticate.ts";
import { loadOrCreateSecretFile } from "./auth/secret-file.ts";
import type { Config } from "./config.ts";
import { type Database, type DatabaseTarget, openDatabase } from "./db/database.ts";
import { buildApp } from "./http/app.ts";
import { createWorkspaceLimits } from "./limits/workspace-limits.ts";
import { AddressPolicy } from "./outbound/address-policy.ts";
import { OutboundClient } from "./outbound/http-client.ts";
import { CollectionCache } from "./resolvers/collection-cache.ts";
import type { Services } from "./resolvers/context.ts";
import { warmUpSchemaEngine } from "./resolvers/json-schema/warm-up.ts";
import { SchemaRegistry } from "./resolvers/schema-registry.ts";
import { ExternalRecordSource } from "./sources/external/external-source.ts";
import { NativeRecordSource } from "./sources/native.ts";
import { RelationshipStore } from "./sources/relationships.ts";
import { RoutingRecordSource } from "./sources/routing-source.ts";
import { generateKey, parseKey, type VaultKey } from "./vault/crypto.ts";
import { Vault } from "./vault/vault.ts";

export interface RunningServer {
  app: ReturnType<typeof buildApp>;
  db: Database;
  services: Services;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Where the data lives, from configuration: PostgreSQL when DATABASE_URL is set, else the embedded database. */
export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir };
}

const SECRET_KEY_FILE = "secret-key";

/** The vault with its key (configured, or generated into the data folder) and anything a rotation left to do. */
async function openVault(config: Config, db: Database, logger: Logger): Promise<Vault> {
  let key: VaultKey;
  if (config.secretKey) {
    key = parseKey(config.secretKey);
  } else {
    const file = await loadOrCreateSecretFile(config.dataDir, SECRET_KEY_FILE, generateKey);
    key = parseKey(file.value);
    logger.info(
      { path: file.path },
      file.created
        ? "generated the vault key into this file; set RECORDGATE_SECRET_KEY to share it between instances"
        : "vault key is in this file",
    );
  }
  const vault = new Vault(db.prisma, key, config.previousSecretKey ? parseKey(config.previousSecretKey) : undefined);
  const moved = await vault.reencrypt();
  if (moved) logger.info({ secrets: moved }, "re-encrypted vault secrets under the current key");
  const unreadable = await vault.unreadable();
  if (unreadable) logger.warn({ secrets: unreadable }, "vault secrets are encrypted under a key this server lacks");
  return vault;
}

/** Opens and migrates the database, then serves REST and GraphQL on one port. */
export async function startServer(
  config: Config,
  logger: Logger,
  target: DatabaseTarget = databaseTarget(config),
): Promise<RunningServer> {
  const admin = await loadAdminToken(config.adminToken, config.dataDir);
  if (admin.origin.kind === "file") {
    logger.info(
      { path: admin.origin.path },
      admin.origin.created ? "generated an admin token; read it from this file" : "admin token is in this file",
    );
  } else {
    logger.info("admin token taken from RECORDGATE_ADMIN_TOKEN");
  }

  const db = await openDatabase(target);
  try {
    const applied = await db.migrate();
    logger.info({ backend: db.backend, applied }, "database ready");
  } catch (error) {
    await db.close();
    throw error;
  }

  const collections = new CollectionCache(config.collectionCacheMs, {
    // PGlite: this process makes every change. PostgreSQL: coherent once listening to the other instances.
    coherent: !db.invalidations,
    publish: db.invalidations && ((key) => db.invalidations?.publish(key) ?? Promise.resolve()),
  });
  await db.invalidations?.listen({
    onMessage: (key) => collections.receive(key),
    onCoherent: (coherent) => {
      collections.setCoherent(coherent);
      if (!coherent) logger.warn("lost the invalidation channel; caching collection definitions briefly until back");
    },
  });

  let vault: Vault;
  try {
    vault = await openVault(config, db, logger);
  } catch (error) {
    await db.close();
    throw error;
  }

  const rateLimits = createWorkspaceLimits({ ...config.rateLimit, redisUrl: config.redisUrl });
  const outboundPolicy = new AddressPolicy(config.outboundAllow);
  // A response above 10 MiB is not a record or a page of them.
  const outbound = new OutboundClient({
    policy: outboundPolicy,
    connectTimeoutMs: Math.min(5_000, config.outboundTimeoutMs),
    responseTimeoutMs: config.outboundTimeoutMs,
    maxResponseBytes: 10 * 1024 * 1024,
    retries: 2,
  });

  const native = new NativeRecordSource(db.sql, { concurrentIndexBuilds: db.backend === "postgres" });
  const external = new ExternalRecordSource(db.sql, outbound, vault, ({ workspaceId, collectionId }) =>
    collections.read(workspaceId, collectionId, () =>
      db.prisma.collection.findUnique({ where: { workspaceId_id: { workspaceId, id: collectionId } } }),
    ),
  );
  const services: Services = {
    prisma: db.prisma,
    schemas: new SchemaRegistry({ limits: config.schemaLimits }),
    collections,
    records: new RoutingRecordSource(native, external),
    relationships: new RelationshipStore(db.sql),
    vault,
    rateLimits,
    limits: { maxRecordBytes: config.maxBodyBytes, maxJsonDepth: config.maxJsonDepth },
    outboundPolicy,
  };
  const app = buildApp({
    services,
    authenticate: createAuthenticator(admin.token, {
      byHash: (tokenHash) => db.prisma.apiToken.findUnique({ where: { tokenHash } }),
      touch: async (id) => {
        await db.prisma.apiToken.update({ where: { id }, data: { lastUsedAt: new Date() } });
      },
    }),
    logger,
    maxBodyBytes: config.maxBodyBytes,
    graphqlLimits: config.graphql,
    ping: () => db.ping(),
  });

  // Before the first request: a cold engine makes the first schema save stall about three times longer.
  warmUpSchemaEngine();
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await db.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    db,
    services,
    url: address,
    close() {
      closing ??= (async () => {
        try {
          await app.close();
        } finally {
          await rateLimits.close();
          await outbound.close();
          await db.close();
        }
      })();
      return closing;
    },
  };
}
