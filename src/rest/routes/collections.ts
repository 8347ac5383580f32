import type { FastifyPluginAsync } from "fastify";
import { validationError } from "../../errors/app-error.ts";
import * as collections from "../../resolvers/collections.ts";
import { pageQuery, upsertCollectionBody } from "../schemas.ts";
import { collectionJson, listJson } from "../serialize.ts";

type Params = { Params: { ws: string; id: string } };
interface CollectionBody {
  id?: string;
  name?: string | null;
  description?: string | null;
  json_schema?: object;
  schema?: object;
  icon?: string | null;
  color?: string | null;
  indexes?: unknown[];
  sources?: unknown[] | null;
}

export const collectionRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { ws: string }; Querystring: { limit?: number; offset?: number } }>(
    "/:ws/collections",
    { schema: { querystring: pageQuery } },
    async (req) => listJson(await collections.listCollections(req.ctx, req.params.ws, req.query), collectionJson),
  );

  app.get<Params>("/:ws/collections/:id", async (req) =>
    collectionJson(await collections.getCollection(req.ctx, req.params.ws, req.params.id)),
  );

  app.put<Params & { Body: CollectionBody }>(
    "/:ws/collections/:id",
    { schema: { body: upsertCollectionBody } },
    async (req, reply) => {
      const { body, params } = req;
      if (body.id !== undefined && body.id !== params.id) {
        throw validationError("Body id does not match the path", [{ path: "id", message: `must be '${params.id}'` }]);
      }
      const { collection, created, warnings } = await collections.upsertCollection(req.ctx, params.ws, params.id, {
        name: body.name,
        description: body.description,
        jsonSchema: body.json_schema ?? body.schema,
        icon: body.icon,
        color: body.color,
        indexes: body.indexes,
        sources: body.sources,
      });
      reply.code(created ? 201 : 200);
      // Present only when there is advice, so a clean schema's answer is the collection exactly as GET shows it.
      return warnings.length ? { ...collectionJson(collection), warnings } : collectionJson(collection);
    },
  );

  app.delete<Params>("/:ws/collections/:id", async (req, reply) => {
    await collections.deleteCollection(req.ctx, req.params.ws, req.params.id);
    reply.code(204).send();
  });
};
