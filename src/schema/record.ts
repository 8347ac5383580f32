import type { ArgBuilder } from "@pothos/core";
import * as records from "../resolvers/records.ts";
import { builder } from "./builder.ts";
import { pageType, type Types } from "./page.ts";

export const RecordType = builder.prismaObject("Record", {
  description: "A JSON document validated against its collection's schema.",
  fields: (t) => ({
    id: t.exposeID("id"),
    workspaceId: t.exposeString("workspaceId"),
    collectionId: t.exposeString("collectionId"),
    collection: t.relation("collection"),
    externalId: t.exposeString("externalId", { nullable: true }),
    externalSource: t.exposeString("externalSource", { nullable: true }),
    data: t.expose("data", { type: "JSON" }),
    version: t.exposeInt("version"),
    archived: t.exposeBoolean("archived"),
    cancelled: t.exposeBoolean("cancelled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const RecordPage = pageType("Record", RecordType);

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
    args: {
      workspace: t.arg.id({ required: true }),
      collection: t.arg.id({ required: true }),
      limit: t.arg.int(),
      offset: t.arg.int(),
    },
    resolve: (_, { workspace, collection, ...page }, ctx) =>
      records.listRecords(ctx, String(workspace), String(collection), page),
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
