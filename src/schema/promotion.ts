import type { Promotion } from "../generated/prisma/client.ts";
import { createPreview, listPreviews } from "../resolvers/previews.ts";
import { listPromotions, type PromoteResult, promote, rollbackPromotion } from "../resolvers/promotions.ts";
import { builder } from "./builder.ts";
import { pageType } from "./page.ts";
import { WorkspacePage, WorkspaceType } from "./workspace.ts";

export const PromotionType = builder.objectRef<Promotion>("Promotion").implement({
  description: "A preview's configuration copied into its production workspace.",
  fields: (t) => ({
    id: t.exposeID("id"),
    workspaceId: t.exposeString("workspaceId", { description: "The production workspace" }),
    from: t.exposeString("fromId", { description: "The preview promoted from" }),
    status: t.exposeString("status", { description: "applied or rolled_back" }),
    diff: t.field({
      type: "JSON",
      description: "{collections: {added, changed: [{id, fields}], removed}, triggers: {…}, hooks: {…}}",
      resolve: (p) => p.diff,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { description: 'The token id that promoted, or "admin"' }),
    rolledBackAt: t.expose("rolledBackAt", { type: "DateTime", nullable: true }),
  }),
});

const PromoteResultType = builder.objectRef<PromoteResult>("PromoteResult").implement({
  description: "A dry run's diff, or the promotion that was applied (and its diff).",
  fields: (t) => ({
    dryRun: t.exposeBoolean("dryRun"),
    diff: t.field({ type: "JSON", resolve: (r) => (r.dryRun ? r.diff : r.promotion.diff) }),
    promotion: t.field({ type: PromotionType, nullable: true, resolve: (r) => (r.dryRun ? null : r.promotion) }),
  }),
});

const PromotionPage = pageType("Promotion", PromotionType);

builder.queryFields((t) => ({
  previews: t.field({
    type: WorkspacePage,
    args: { workspaceId: t.arg.id({ required: true }), limit: t.arg.int(), offset: t.arg.int() },
    resolve: (_, args, ctx) => listPreviews(ctx, String(args.workspaceId), args),
  }),
  promotions: t.field({
    type: PromotionPage,
    args: { workspaceId: t.arg.id({ required: true }), limit: t.arg.int(), offset: t.arg.int() },
    resolve: (_, args, ctx) => listPromotions(ctx, String(args.workspaceId), args),
  }),
}));

builder.mutationFields((t) => ({
  createPreview: t.field({
    type: WorkspaceType,
    description: "Creates `<workspaceId>--<name>`, starting with a copy of production's collections (no records).",
    args: {
      workspaceId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      description: t.arg.string(),
    },
    resolve: (_, args, ctx) =>
      createPreview(ctx, String(args.workspaceId), { name: args.name, description: args.description }),
  }),
  promote: t.field({
    type: PromoteResultType,
    description: "Copies a preview's configuration (never records) into production; user tokens only.",
    args: {
      workspaceId: t.arg.id({ required: true }),
      from: t.arg.id({ required: true }),
      dryRun: t.arg.boolean(),
      collections: t.arg.stringList(),
      triggers: t.arg.stringList(),
      hooks: t.arg.stringList(),
    },
    resolve: (_, args, ctx) => promote(ctx, String(args.workspaceId), { ...args, from: String(args.from) }),
  }),
  rollbackPromotion: t.field({
    type: PromotionType,
    description: "Restores what the latest promotion changed, unless production changed it since; user tokens only.",
    args: { workspaceId: t.arg.id({ required: true }), id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => rollbackPromotion(ctx, String(args.workspaceId), String(args.id)),
  }),
}));
