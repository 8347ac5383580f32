import type { FastifyPluginAsync } from "fastify";
import * as vault from "../../resolvers/vault.ts";
import { createSecretBody, rotateSecretBody, secretListQuery } from "../schemas.ts";
import { secretJson } from "../serialize.ts";

type SecretParams = { Params: { id: string } };

interface SecretBody {
  name?: string;
  value?: string;
  content_type?: string;
  tags?: string[];
  expires_at?: string | null;
}

/** Account-level secrets: /v1/vault/secrets (docs/security.md). No response ever carries a value. */
export const vaultRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: SecretBody }>("/vault/secrets", { schema: { body: createSecretBody } }, async (req, reply) => {
    const { body } = req;
    const secret = await vault.createSecret(req.ctx, {
      name: body.name,
      value: body.value,
      contentType: body.content_type,
      tags: body.tags,
      expiresAt: body.expires_at,
    });
    reply.code(201);
    return secretJson(secret);
  });

  app.get<{ Querystring: { expiring?: boolean; days?: number } }>(
    "/vault/secrets",
    { schema: { querystring: secretListQuery } },
    async (req) => {
      const secrets = await vault.listSecrets(req.ctx, req.query);
      return { data: secrets.map(secretJson), meta: { total: secrets.length } };
    },
  );

  app.get<SecretParams>("/vault/secrets/:id", async (req) => secretJson(await vault.getSecret(req.ctx, req.params.id)));

  app.post<SecretParams & { Body: { value?: string; expires_at?: string | null } }>(
    "/vault/secrets/:id/rotate",
    { schema: { body: rotateSecretBody } },
    async (req) =>
      secretJson(
        await vault.rotateSecret(req.ctx, req.params.id, { value: req.body.value, expiresAt: req.body.expires_at }),
      ),
  );

  app.delete<SecretParams>("/vault/secrets/:id", async (req, reply) => {
    await vault.deleteSecret(req.ctx, req.params.id);
    reply.code(204).send();
  });
};
