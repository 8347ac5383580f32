import type { ArgBuilder } from "@pothos/core";
import { collectionOfRecord } from "../resolvers/collections.ts";
import { aggregateRecords, queryRecords, type RecordQueryPage } from "../resolvers/query.ts";
import * as records from "../resolvers/records.ts";
import { searchScoreOf } from "../sources/record-source.ts";
import { builder } from "./builder.ts";
import { CollectionType } from "./collection.ts";
import type { Types } from "./page.ts";

export const RecordType = builder.prismaObject("Record", {
  description: "A JSON document validated against its collection's schema.",
  fields: (t) => ({
    id: t.exposeID("id"),
    workspaceId: t.exposeString("workspaceId"),
    collectionId: t.exposeString("collectionId"),
    collection: t.field({
      type: CollectionType,
      description: "Loaded in one batch for all the records of a response.",
      resolve: (r, _, ctx) => collectionOfRecord(ctx, r),
    }),
    externalId: t.exposeString("externalId", { nullable: true }),
    externalSource: t.exposeString("externalSource", { nullable: true }),
    data: t.expose("data", { type: "JSON" }),
    version: t.exposeInt("version"),
    archived: t.exposeBoolean("archived"),
    cancelled: t.exposeBoolean("cancelled"),
    searchScore: t.float({
      nullable: true,
      description: "0-1 relevance, when the records query has a search condition",
      resolve: (r) => searchScoreOf(r) ?? null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const TotalMode = builder.enumType("TotalMode", {
  description: "How records() computes total: an exact count (default), the planner's estimate, or none.",
  values: { exact: { value: "exact" }, estimate: { value: "estimate" }, none: { value: "none" } } as const,
});

const RecordPage = builder.objectRef<RecordQueryPage>("RecordPage").implement({
  description: "A page of records. total is null when total: none was asked for.",
  fields: (t) => ({
    nodes: t.field({ type: [RecordType], resolve: (page) => page.items }),
    total: t.int({ nullable: true, resolve: (page) => page.total }),
    totalEstimated: t.exposeBoolean("totalEstimated"),
    limit: t.exposeInt("limit"),
    offset: t.exposeInt("offset"),
    nextCursor: t.string({ nullable: true, resolve: (page) => page.nextCursor }),
  }),
});

const RecordInput = builder.inputType("RecordInput", {
  fields: (t) => ({
    id: t.id({ description: "Target this record id (created with it when absent)" }),
    externalId: t.string({ description: "Idempotency key together with externalSource" }),
    externalSource: t.string(),
    data: t.field({ type: "JSON", required: true }),
    version: t.int({ description: "Expected current version; a stale one is a CONFLICT" }),
  }),
});

const UpsertRecordPayload = builder
  .objectRef<Awaited<ReturnType<typeof records.upsertRecord>>>("UpsertRecordPayload")
  .implement({
    fields: (t) => ({
      record: t.field({ type: RecordType, resolve: (p) => p.record }),
      created: t.exposeBoolean("created"),
    }),
  });

const recordArgs = (arg: ArgBuilder<Types>) => ({
  workspace: arg.id({ required: true }),
  collection: arg.id({ required: true }),
  id: arg.id({ required: true }),
});

builder.queryFields((t) => ({
  records: t.field({
    type: RecordPage,
    description: "Records of a collection: filter, sort, projection and pagination as in docs/query.md.",
    args: {
      workspace: t.arg.id({ required: true }),
      collection: t.arg.id({ required: true }),
      filter: t.arg({ type: "JSON", description: "{field, op, value} | {and: [...]} | {or: [...]}" }),
      sort: t.arg({ type: "JSON", description: '[{field, direction: "asc" | "desc"}]' }),
      fields: t.arg.stringList({ description: "Return only these data paths inside data" }),
      limit: t.arg.int(),
      offset: t.arg.int(),
      after: t.arg.string({ description: "nextCursor of the previous page (keyset pagination)" }),
      total: t.arg({ type: TotalMode }),
      externalSource: t.arg.string({
        description: "Only records of this external source (a source of the collection is listed upstream)",
      }),
    },
    resolve: (_, { workspace, collection, total, ...rest }, ctx) =>
      queryRecords(ctx, String(workspace), String(collection), { ...rest, total: total ?? undefined }),
  }),
  aggregate: t.field({
    type: ["JSON"],
    description: "One object per group: group_by fields by name, aggregations by alias (docs/query.md).",
    args: {
      workspace: t.arg.id({ required: true }),
      collection: t.arg.id({ required: true }),
      aggregations: t.arg({ type: "JSON", required: true, description: "[{fn, field?, alias?}]" }),
      groupBy: t.arg.stringList(),
      filter: t.arg({ type: "JSON" }),
    },
    resolve: async (_, a, ctx) => {
      const result = await aggregateRecords(ctx, String(a.workspace), String(a.collection), {
        aggregations: a.aggregations,
        group_by: a.groupBy ?? undefined,
        filter: a.filter ?? undefined,
      });
      return result.groups;
    },
  }),
  record: t.field({
    type: RecordType,
    args: recordArgs(t.arg),
    resolve: (_, a, ctx) => records.getRecord(ctx, String(a.workspace), String(a.collection), String(a.id)),
  }),
}));

builder.mutationFields((t) => ({
  upsertRecord: t.field({
    type: UpsertRecordPayload,
    description: "PUT semantics: by id, else by externalId + externalSource, else a new record.",
    args: {
      workspace: t.arg.id({ required: true }),
      collection: t.arg.id({ required: true }),
      input: t.arg({ type: RecordInput, required: true }),
    },
    resolve: (_, { workspace, collection, input }, ctx) =>
      records.upsertRecord(ctx, String(workspace), String(collection), {
        ...input,
        id: input.id == null ? input.id : String(input.id),
        data: input.data,
      }),
  }),
  patchRecord: t.field({
    type: RecordType,
    description: "Top-level merge of data into the record.",
    args: { ...recordArgs(t.arg), data: t.arg({ type: "JSON", required: true }), version: t.arg.int() },
    resolve: (_, a, ctx) =>
      records.patchRecord(ctx, String(a.workspace), String(a.collection), String(a.id), {
        data: a.data,
        version: a.version,
      }),
  }),
  deleteRecord: t.id({
    args: recordArgs(t.arg),
    resolve: async (_, a, ctx) => {
      await records.deleteRecord(ctx, String(a.workspace), String(a.collection), String(a.id));
      return a.id;
    },
  }),
  archiveRecord: t.field({
    type: RecordType,
    args: recordArgs(t.arg),
    resolve: (_, a, ctx) =>
      records.flagRecord(ctx, String(a.workspace), String(a.collection), String(a.id), "archived"),
  }),
  cancelRecord: t.field({
    type: RecordType,
    args: recordArgs(t.arg),
    resolve: (_, a, ctx) =>
      records.flagRecord(ctx, String(a.workspace), String(a.collection), String(a.id), "cancelled"),
  }),
}));
