import * as relationships from "../resolvers/relationships.ts";
import type { Edge } from "../sources/relationships.ts";
import { builder } from "./builder.ts";
import { pageType } from "./page.ts";
import { RecordType } from "./record.ts";

const Direction = builder.enumType("RelationshipDirection", {
  description: "Which links of a record: those it points from (outgoing), to (incoming), or both.",
  values: { outgoing: { value: "outgoing" }, incoming: { value: "incoming" }, both: { value: "both" } } as const,
});

export const RelationshipType = builder.prismaObject("Relationship", {
  description: "A typed, directed link from a source record to a target record, with its own data.",
  fields: (t) => ({
    id: t.exposeID("id"),
    relType: t.exposeString("relType"),
    sourceCollection: t.exposeString("sourceCollection"),
    sourceId: t.exposeID("sourceId"),
    targetCollection: t.exposeString("targetCollection"),
    targetId: t.exposeID("targetId"),
    data: t.expose("data", { type: "JSON" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    source: t.field({
      type: RecordType,
      nullable: true,
      resolve: (r, _, ctx) => relationships.relationshipEnd(ctx, r, "source"),
    }),
    target: t.field({
      type: RecordType,
      nullable: true,
      resolve: (r, _, ctx) => relationships.relationshipEnd(ctx, r, "target"),
    }),
  }),
});

const RelationshipEdge = builder.objectRef<Edge>("RelationshipEdge").implement({
  description: "A link seen from a record: its direction from there, and the record at the other end (node).",
  fields: (t) => ({
    cursor: t.string({ resolve: (edge) => relationships.encodeEdgeCursor(edge.relationship) }),
    direction: t.field({ type: Direction, resolve: (edge) => edge.direction }),
    relationship: t.field({ type: RelationshipType, resolve: (edge) => edge.relationship }),
    node: t.field({ type: RecordType, resolve: (edge) => edge.record }),
  }),
});

const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>("PageInfo").implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage"),
    endCursor: t.string({ nullable: true, resolve: (p) => p.endCursor }),
  }),
});

const RelationshipConnection = builder.objectRef<relationships.Traversal>("RelationshipConnection").implement({
  fields: (t) => ({
    edges: t.field({ type: [RelationshipEdge], resolve: (page) => page.edges }),
    pageInfo: t.field({
      type: PageInfo,
      resolve: (page) => ({ hasNextPage: page.hasMore, endCursor: page.nextCursor }),
    }),
  }),
});

const RelationshipPage = pageType("Relationship", RelationshipType);

const traversalArgs = {
  type: { description: "Only links of this rel_type" },
  first: { description: "Page size (default 50, at most 1000)" },
} as const;

builder.objectFields(RecordType, (t) => ({
  relationships: t.field({
    type: RelationshipConnection,
    description: "This record's links, oldest first; batched across records (one SQL statement per level).",
    args: {
      type: t.arg.string({ description: traversalArgs.type.description }),
      direction: t.arg({ type: Direction, defaultValue: "both" }),
      first: t.arg.int({ description: traversalArgs.first.description }),
      after: t.arg.string({ description: "pageInfo.endCursor of the previous page" }),
    },
    resolve: (record, args, ctx) =>
      relationships.traverseRelationships(ctx, record.workspaceId, record.collectionId, record.id, {
        type: args.type,
        direction: args.direction,
        limit: args.first,
        after: args.after,
      }),
  }),
  related: t.field({
    type: [RecordType],
    description: "The records linked to this one (the nodes of relationships), oldest link first.",
    args: {
      type: t.arg.string({ description: traversalArgs.type.description }),
      direction: t.arg({ type: Direction, defaultValue: "both" }),
      first: t.arg.int({ description: traversalArgs.first.description }),
    },
    resolve: async (record, args, ctx) => {
      const page = await relationships.traverseRelationships(ctx, record.workspaceId, record.collectionId, record.id, {
        type: args.type,
        direction: args.direction,
        limit: args.first,
      });
      return page.edges.map((edge) => edge.record);
    },
  }),
}));

const RelationshipInput = builder.inputType("RelationshipInput", {
  fields: (t) => ({
    id: t.id({ description: "Update this relationship (created with this id when absent)" }),
    relType: t.string({ required: true }),
    sourceCollection: t.string({ required: true }),
    sourceId: t.id({ required: true }),
    targetCollection: t.string({ required: true }),
    targetId: t.id({ required: true }),
    data: t.field({ type: "JSON" }),
  }),
});

const UpsertRelationshipPayload = builder
  .objectRef<Awaited<ReturnType<typeof relationships.upsertRelationship>>>("UpsertRelationshipPayload")
  .implement({
    fields: (t) => ({
      relationship: t.field({ type: RelationshipType, resolve: (p) => p.relationship }),
      created: t.exposeBoolean("created"),
    }),
  });

builder.queryFields((t) => ({
  relationship: t.field({
    type: RelationshipType,
    args: { workspace: t.arg.id({ required: true }), id: t.arg.id({ required: true }) },
    resolve: (_, a, ctx) => relationships.getRelationship(ctx, String(a.workspace), String(a.id)),
  }),
  relationships: t.field({
    type: RelationshipPage,
    description: "The workspace's relationships matching every given argument, oldest first.",
    args: {
      workspace: t.arg.id({ required: true }),
      type: t.arg.string(),
      sourceCollection: t.arg.string(),
      sourceId: t.arg.id(),
      targetCollection: t.arg.string(),
      targetId: t.arg.id(),
      limit: t.arg.int(),
      offset: t.arg.int(),
    },
    resolve: (_, { workspace, sourceId, targetId, ...rest }, ctx) =>
      relationships.listRelationships(ctx, String(workspace), {
        ...rest,
        sourceId: sourceId == null ? sourceId : String(sourceId),
        targetId: targetId == null ? targetId : String(targetId),
      }),
  }),
}));

builder.mutationFields((t) => ({
  upsertRelationship: t.field({
    type: UpsertRelationshipPayload,
    description: "By id, else by (source, relType, target): repeating it never creates a second link.",
    args: { workspace: t.arg.id({ required: true }), input: t.arg({ type: RelationshipInput, required: true }) },
    resolve: (_, { workspace, input }, ctx) =>
      relationships.upsertRelationship(ctx, String(workspace), {
        ...input,
        id: input.id == null ? input.id : String(input.id),
        sourceId: String(input.sourceId),
        targetId: String(input.targetId),
      }),
  }),
  deleteRelationship: t.id({
    args: { workspace: t.arg.id({ required: true }), id: t.arg.id({ required: true }) },
    resolve: async (_, a, ctx) => {
      await relationships.deleteRelationship(ctx, String(a.workspace), String(a.id));
      return a.id;
    },
  }),
}));
