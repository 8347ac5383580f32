import type { FastifyPluginAsync } from "fastify";
import * as tokens from "../../resolvers/tokens.ts";
import { createTokenBody, pageQuery } from "../schemas.ts";
import { listJson, tokenJson } from "../serialize.ts";

type TokenParams = { Params: { id: string } };

interface CreateTokenBody {
  name?: string;
  grants?: unknown;
  expires_at?: string | null;
  type?: string;
}

/** Account-level token management: /v1/tokens (docs/security.md). */
export const tokenRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: CreateTokenBody }>("/tokens", { schema: { body: createTokenBody } }, async (req, reply) => {
    const { token, secret } = await tokens.createToken(req.ctx, {
      name: req.body.name,
      grants: req.body.grants,
      expiresAt: req.body.expires_at,
      type: req.body.type,
    });
    reply.code(201);
    // The only response that ever carries the secret.
    return { ...tokenJson(token), token: secret };
  });

  app.get<{ Querystring: { limit?: number; offset?: number } }>(
    "/tokens",
    { schema: { querystring: pageQuery } },
    async (req) => listJson(await tokens.listTokens(req.ctx, req.query), (t) => tokenJson(t)),
  );

  app.get<TokenParams>("/tokens/:id", async (req) => tokenJson(await tokens.getToken(req.ctx, req.params.id)));

  app.delete<TokenParams>("/tokens/:id", async (req, reply) => {
    await tokens.revokeToken(req.ctx, req.params.id);
    reply.code(204).send();
  });
};
