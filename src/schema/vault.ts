import * as vault from "../resolvers/vault.ts";
import type { VaultSecret } from "../vault/vault.ts";
import { builder } from "./builder.ts";

const SecretType = builder.objectRef<VaultSecret>("VaultSecret").implement({
  description: "A vault secret's metadata: the value is never returned.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    tags: t.exposeStringList("tags"),
    contentType: t.exposeString("contentType"),
    masked: t.string({ resolve: () => "********" }),
    version: t.exposeInt("version"),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const SecretInput = builder.inputType("VaultSecretInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true, description: "Encrypted at rest; never readable again" }),
    contentType: t.string(),
    tags: t.stringList(),
    expiresAt: t.field({ type: "DateTime" }),
  }),
});

const iso = (date: Date | null | undefined) => (date == null ? date : date.toISOString());

builder.queryFields((t) => ({
  vaultSecrets: t.field({
    type: [SecretType],
    args: { expiring: t.arg.boolean(), days: t.arg.int() },
    resolve: (_, args, ctx) =>
      vault.listSecrets(ctx, { expiring: args.expiring ?? undefined, days: args.days ?? undefined }),
  }),
  vaultSecret: t.field({
    type: SecretType,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => vault.getSecret(ctx, String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createVaultSecret: t.field({
    type: SecretType,
    args: { input: t.arg({ type: SecretInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      vault.createSecret(ctx, { ...input, tags: input.tags ?? undefined, expiresAt: iso(input.expiresAt) }),
  }),
  rotateVaultSecret: t.field({
    type: SecretType,
    args: {
      id: t.arg.id({ required: true }),
      value: t.arg.string({ required: true }),
      expiresAt: t.arg({ type: "DateTime" }),
    },
    resolve: (_, args, ctx) =>
      vault.rotateSecret(ctx, String(args.id), { value: args.value, expiresAt: iso(args.expiresAt) }),
  }),
  deleteVaultSecret: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_, args, ctx) => {
      await vault.deleteSecret(ctx, String(args.id));
      return args.id;
    },
  }),
}));
