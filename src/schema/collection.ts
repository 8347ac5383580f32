import { readableRecords } from "../resolvers/authorize.ts";
import * as collections from "../resolvers/collections.ts";
import { parsePage } from "../resolvers/page.ts";
import * as workspaces from "../resolvers/workspaces.ts";
import { builder } from "./builder.ts";
import { pageType } from "./page.ts";
import { WorkspaceType } from "./workspace.ts";

export const CollectionType = builder.prismaObject("Collection", {
  description: "A record type: its JSON Schema validates every record written to it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    workspaceId: t.exposeString("workspaceId"),
    workspace: t.field({
      type: WorkspaceType,
      resolve: (c, _, ctx) => workspaces.workspaceOfCollection(ctx, c),
    }),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    jsonSchema: t.expose("jsonSchema", { type: "JSON" }),
    icon: t.exposeString("icon", { nullable: true }),
    color: t.exposeString("color", { nullable: true }),
    indexes: t.expose("indexes", { type: "JSON", description: "Declared indexes: [{fields: [{field, direction}]}]" }),
    sources: t.expose("sources", {
      type: "JSON",
      description: "External sources; secrets appear only as vault:<name> references",
    }),
    version: t.exposeInt("version"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    records: t.relation("records", {
      description: "Live records, newest first.",
      args: { limit: t.arg.int(), offset: t.arg.int() },
      query: (args, ctx) => {
        const page = parsePage(args);
        return {
          where: { deletedAt: null, ...readableRecords(ctx) },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          take: page.limit,
          skip: page.offset,
        };
      },
    }),
    recordCount: t.relationCount("records", {
      description: "Live records this token may read.",
      where: (_args, ctx) => ({ deletedAt: null, ...readableRecords(ctx) }),
    }),
  }),
});

const CollectionPage = pageType("Collection", CollectionType);

const CollectionInput = builder.inputType("CollectionInput", {
  fields: (t) => ({
    name: t.string({ description: "Defaults to the id" }),
    description: t.string(),
    jsonSchema: t.field({ type: "JSON", required: true, description: 'A JSON Schema with type "object"' }),
    icon: t.string(),
    color: t.string(),
    indexes: t.field({ type: "JSON", description: "[{fields: [{field, direction}]}]; replaces the current list" }),
    sources: t.field({ type: "JSON", description: "External sources (docs/sources.md); replaces the current list" }),
  }),
});

const SchemaWarningType = builder.objectRef<{ path: string; message: string }>("SchemaWarning").implement({
  description: "Something a stricter reading of the schema would question; the schema was saved as given.",
  fields: (t) => ({ path: t.exposeString("path"), message: t.exposeString("message") }),
});

const UpsertCollectionPayload = builder
  .objectRef<Awaited<ReturnType<typeof collections.upsertCollection>>>("UpsertCollectionPayload")
  .implement({
    fields: (t) => ({
      collection: t.field({ type: CollectionType, resolve: (p) => p.collection }),
      created: t.exposeBoolean("created"),
      warnings: t.field({ type: [SchemaWarningType], resolve: (p) => p.warnings }),
    }),
  });

builder.queryFields((t) => ({
  collections: t.field({
    type: CollectionPage,
    args: { workspace: t.arg.id({ required: true }), limit: t.arg.int(), offset: t.arg.int() },
    resolve: (_, { workspace, ...page }, ctx) => collections.listCollections(ctx, String(workspace), page),
  }),
  collection: t.field({
    type: CollectionType,
    args: { workspace: t.arg.id({ required: true }), id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => collections.getCollection(ctx, String(args.workspace), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  upsertCollection: t.field({
    type: UpsertCollectionPayload,
    args: {
      workspace: t.arg.id({ required: true }),
      id: t.arg.id({ required: true }),
      input: t.arg({ type: CollectionInput, required: true }),
    },
    resolve: (_, { workspace, id, input }, ctx) =>
      collections.upsertCollection(ctx, String(workspace), String(id), { ...input, jsonSchema: input.jsonSchema }),
  }),
  deleteCollection: t.id({
    description: "Deletes the collection and all its records; returns its id.",
    args: { workspace: t.arg.id({ required: true }), id: t.arg.id({ required: true }) },
    resolve: async (_, { workspace, id }, ctx) => {
      await collections.deleteCollection(ctx, String(workspace), String(id));
      return id;
    },
  }),
}));
