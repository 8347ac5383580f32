import type { FastifyPluginAsync } from "fastify";
import * as relationships from "../../resolvers/relationships.ts";
import { relationshipListQuery, traversalQuery, upsertRelationshipBody } from "../schemas.ts";
import { listJson, relationshipJson, traversalJson } from "../serialize.ts";

type WorkspaceParams = { Params: { ws: string } };
type RelationshipParams = { Params: { ws: string; id: string } };
type RecordParams = { Params: { ws: string; collection: string; id: string } };

interface RelationshipBody {
  id?: string;
  rel_type?: string;
  source_collection?: string;
  source_id?: string;
  target_collection?: string;
  target_id?: string;
  data?: object;
}

interface ListQuerystring {
  limit?: number;
  offset?: number;
  type?: string;
  source_collection?: string;
  source_id?: string;
  target_collection?: string;
  target_id?: string;
}

interface TraversalQuerystring {
  limit?: number;
  offset?: number;
  type?: string;
  direction?: string;
  after?: string;
  include?: "record";
}

export const relationshipRoutes: FastifyPluginAsync = async (app) => {
  app.put<WorkspaceParams & { Body: RelationshipBody }>(
    "/:ws/relationships",
    { schema: { body: upsertRelationshipBody } },
    async (req, reply) => {
      const { body } = req;
      const { relationship, created } = await relationships.upsertRelationship(req.ctx, req.params.ws, {
        id: body.id,
        relType: body.rel_type,
        sourceCollection: body.source_collection,
        sourceId: body.source_id,
        targetCollection: body.target_collection,
        targetId: body.target_id,
        data: body.data,
      });
      reply.code(created ? 201 : 200);
      return relationshipJson(relationship);
    },
  );

  app.get<WorkspaceParams & { Querystring: ListQuerystring }>(
    "/:ws/relationships",
    { schema: { querystring: relationshipListQuery } },
    async (req) => {
      const q = req.query;
      const page = await relationships.listRelationships(req.ctx, req.params.ws, {
        limit: q.limit,
        offset: q.offset,
        type: q.type,
        sourceCollection: q.source_collection,
        sourceId: q.source_id,
        targetCollection: q.target_collection,
        targetId: q.target_id,
      });
      return listJson(page, relationshipJson);
    },
  );

  app.get<RelationshipParams>("/:ws/relationships/:id", async (req) =>
    relationshipJson(await relationships.getRelationship(req.ctx, req.params.ws, req.params.id)),
  );

  app.delete<RelationshipParams>("/:ws/relationships/:id", async (req, reply) => {
    await relationships.deleteRelationship(req.ctx, req.params.ws, req.params.id);
    reply.code(204).send();
  });

  app.get<RecordParams & { Querystring: TraversalQuerystring }>(
    "/:ws/records/:collection/:id/relationships",
    { schema: { querystring: traversalQuery } },
    async (req) => {
      const { ws, collection, id } = req.params;
      const { include, ...input } = req.query;
      const page = await relationships.traverseRelationships(req.ctx, ws, collection, id, { ...input, total: true });
      return traversalJson(page, include === "record");
    },
  );
};
