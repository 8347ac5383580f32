import type { FastifyPluginAsync } from "fastify";
import * as workspaces from "../../resolvers/workspaces.ts";
import { createWorkspaceBody, updateWorkspaceBody, workspaceListQuery } from "../schemas.ts";
import { listJson, workspaceJson } from "../serialize.ts";

type IdParams = { Params: { id: string } };
type WorkspaceBody = workspaces.CreateWorkspaceInput;

export const workspaceRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit?: number; offset?: number; tag?: string } }>(
    "/workspaces",
    { schema: { querystring: workspaceListQuery } },
    async (req) => listJson(await workspaces.listWorkspaces(req.ctx, req.query), workspaceJson),
  );

  app.post<{ Body: WorkspaceBody }>("/workspaces", { schema: { body: createWorkspaceBody } }, async (req, reply) => {
    reply.code(201);
    return workspaceJson(await workspaces.createWorkspace(req.ctx, req.body));
  });

  app.get<IdParams>("/workspaces/:id", async (req) =>
    workspaceJson(await workspaces.getWorkspace(req.ctx, req.params.id)),
  );

  app.patch<IdParams & { Body: workspaces.UpdateWorkspaceInput }>(
    "/workspaces/:id",
    { schema: { body: updateWorkspaceBody } },
    async (req) => workspaceJson(await workspaces.updateWorkspace(req.ctx, req.params.id, req.body)),
  );

  app.delete<IdParams>("/workspaces/:id", async (req, reply) => {
    await workspaces.deleteWorkspace(req.ctx, req.params.id);
    reply.code(204).send();
  });
};
