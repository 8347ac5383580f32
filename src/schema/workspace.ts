import { readableCollections } from "../resolvers/authorize.ts";
import { parsePage } from "../resolvers/page.ts";
import * as workspaces from "../resolvers/workspaces.ts";
import { builder } from "./builder.ts";
import { pageType } from "./page.ts";

export const WorkspaceType = builder.prismaObject("Workspace", {
  description: "A data container: production, or a preview of a production workspace.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    tags: t.exposeStringList("tags"),
    environment: t.exposeString("environment"),
    parentId: t.exposeString("parentId", { nullable: true }),
    settings: t.expose("settings", { type: "JSON" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    collections: t.relation("collections", {
      args: { limit: t.arg.int(), offset: t.arg.int() },
      description: "The collections this token may read.",
      query: (args, ctx) => {
        const page = parsePage(args);
        return { where: readableCollections(ctx), take: page.limit, skip: page.offset, orderBy: { id: "asc" } };
      },
    }),
  }),
});

export const WorkspacePage = pageType("Workspace", WorkspaceType);

const WorkspaceSettingsInput = builder.inputType("WorkspaceSettingsInput", {
  fields: (t) => ({ timezone: t.string({ description: "IANA time zone, e.g. Europe/Paris" }) }),
});

const CreateWorkspaceInput = builder.inputType("CreateWorkspaceInput", {
  fields: (t) => ({
    id: t.string({ required: true, description: "Immutable slug: ^[a-z0-9][a-z0-9_-]{0,62}$" }),
    name: t.string({ required: true }),
    description: t.string(),
    tags: t.stringList(),
    settings: t.field({ type: WorkspaceSettingsInput }),
  }),
});

const UpdateWorkspaceInput = builder.inputType("UpdateWorkspaceInput", {
  fields: (t) => ({
    name: t.string(),
    description: t.string(),
    tags: t.stringList(),
    settings: t.field({ type: WorkspaceSettingsInput, description: "Merged into the current settings" }),
  }),
});

builder.queryFields((t) => ({
  workspaces: t.field({
    type: WorkspacePage,
    args: { tag: t.arg.string(), limit: t.arg.int(), offset: t.arg.int() },
    resolve: (_, args, ctx) => workspaces.listWorkspaces(ctx, args),
  }),
  workspace: t.field({
    type: WorkspaceType,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => workspaces.getWorkspace(ctx, String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: WorkspaceType,
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true }) },
    resolve: (_, { input }, ctx) => workspaces.createWorkspace(ctx, input),
  }),
  updateWorkspace: t.field({
    type: WorkspaceType,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWorkspaceInput, required: true }) },
    resolve: (_, { id, input }, ctx) => workspaces.updateWorkspace(ctx, String(id), input),
  }),
  deleteWorkspace: t.id({
    description: "Deletes the workspace with all its collections and records; returns its id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_, { id }, ctx) => {
      await workspaces.deleteWorkspace(ctx, String(id));
      return id;
    },
  }),
}));
