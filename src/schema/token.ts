import type { ApiToken } from "../generated/prisma/client.ts";
import * as tokens from "../resolvers/tokens.ts";
import { builder } from "./builder.ts";
import { pageType } from "./page.ts";

const TokenStatus = builder.enumType("TokenStatus", {
  values: { active: { value: "active" }, expired: { value: "expired" }, revoked: { value: "revoked" } } as const,
});

export const TokenType = builder.objectRef<ApiToken>("Token").implement({
  description: "An API token: never its secret, which only createToken returns, once.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    type: t.exposeString("type", { description: "user or service" }),
    prefix: t.exposeString("prefix", { description: "The secret's first characters, to recognise it" }),
    grants: t.field({ type: "JSON", resolve: (token) => token.grants }),
    status: t.field({ type: TokenStatus, resolve: (token) => tokens.tokenStatus(token) }),
    createdBy: t.string({
      description: 'The id of the token that minted this one, or "admin" for the root admin token',
      resolve: (token) => tokens.mintedBy(token),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
  }),
});

const CreatedToken = builder.objectRef<Awaited<ReturnType<typeof tokens.createToken>>>("CreatedToken").implement({
  fields: (t) => ({
    token: t.field({ type: TokenType, resolve: (created) => created.token }),
    secret: t.string({
      description: "The bearer secret: shown this once, stored only as a hash",
      resolve: (created) => created.secret,
    }),
  }),
});

const CreateTokenInput = builder.inputType("CreateTokenInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    grants: t.field({
      type: "JSON",
      required: true,
      description: '[{scope: {workspaces, collections?, environments?}, permissions: ["read:records", …]}]',
    }),
    expiresAt: t.field({ type: "DateTime" }),
    type: t.string({ description: "user or service (default)" }),
  }),
});

const TokenPage = pageType("Token", TokenType);

builder.queryFields((t) => ({
  tokens: t.field({
    type: TokenPage,
    args: { limit: t.arg.int(), offset: t.arg.int() },
    resolve: (_, args, ctx) => tokens.listTokens(ctx, args),
  }),
  token: t.field({
    type: TokenType,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => tokens.getToken(ctx, String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createToken: t.field({
    type: CreatedToken,
    args: { input: t.arg({ type: CreateTokenInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      tokens.createToken(ctx, { ...input, expiresAt: input.expiresAt?.toISOString() ?? null }),
  }),
  revokeToken: t.field({
    type: TokenType,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => tokens.revokeToken(ctx, String(args.id)),
  }),
}));
