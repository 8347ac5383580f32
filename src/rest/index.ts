import type { FastifyPluginAsync } from "fastify";
import { collectionRoutes } from "./routes/collections.ts";
import { environmentRoutes } from "./routes/environments.ts";
import { recordRoutes } from "./routes/records.ts";
import { relationshipRoutes } from "./routes/relationships.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { vaultRoutes } from "./routes/vault.ts";
import { workspaceRoutes } from "./routes/workspaces.ts";

/** The Rekor-compatible /v1 API: each route parses, calls one resolver, and shapes the contract's JSON. */
export const registerRest: FastifyPluginAsync = async (app) => {
  await app.register(workspaceRoutes);
  await app.register(environmentRoutes);
  await app.register(collectionRoutes);
  await app.register(recordRoutes);
  await app.register(relationshipRoutes);
  await app.register(tokenRoutes);
  await app.register(vaultRoutes);
};
