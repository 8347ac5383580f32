import type { FastifyPluginAsync } from "fastify";
import { createPreview, listPreviews } from "../../resolvers/previews.ts";
import { listPromotions, promote, rollbackPromotion } from "../../resolvers/promotions.ts";
import { createPreviewBody, pageQuery, promoteBody } from "../schemas.ts";
import { listJson, promotionJson, workspaceJson } from "../serialize.ts";

type ProductionParams = { Params: { prod: string } };
type PageQuery = { Querystring: { limit?: number; offset?: number } };

interface PromoteBody {
  from: string;
  dry_run?: boolean | null;
  collections?: string[] | null;
  triggers?: string[] | null;
  hooks?: string[] | null;
}

/** Previews of a production workspace, and promotion of a preview's configuration into it (docs/security.md). */
export const environmentRoutes: FastifyPluginAsync = async (app) => {
  app.post<ProductionParams & { Body: { name: string; description?: string | null } }>(
    "/workspaces/:prod/previews",
    { schema: { body: createPreviewBody } },
    async (req, reply) => {
      reply.code(201);
      return workspaceJson(await createPreview(req.ctx, req.params.prod, req.body));
    },
  );

  app.get<ProductionParams & PageQuery>(
    "/workspaces/:prod/previews",
    { schema: { querystring: pageQuery } },
    async (req) => listJson(await listPreviews(req.ctx, req.params.prod, req.query), workspaceJson),
  );

  app.post<ProductionParams & { Body: PromoteBody }>(
    "/workspaces/:prod/promote",
    { schema: { body: promoteBody } },
    async (req, reply) => {
      const { body } = req;
      const result = await promote(req.ctx, req.params.prod, {
        from: body.from,
        dryRun: body.dry_run,
        collections: body.collections,
        triggers: body.triggers,
        hooks: body.hooks,
      });
      if (result.dryRun) return { dry_run: true, diff: result.diff };
      reply.code(201);
      return promotionJson(result.promotion);
    },
  );

  app.get<ProductionParams & PageQuery>(
    "/workspaces/:prod/promotions",
    { schema: { querystring: pageQuery } },
    async (req) => listJson(await listPromotions(req.ctx, req.params.prod, req.query), promotionJson),
  );

  app.post<ProductionParams & { Params: { pid: string } }>("/workspaces/:prod/promotions/:pid/rollback", async (req) =>
    promotionJson(await rollbackPromotion(req.ctx, req.params.prod, req.params.pid)),
  );
};
