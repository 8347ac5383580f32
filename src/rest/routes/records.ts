import type { FastifyPluginAsync } from "fastify";
import { validationError } from "../../errors/app-error.ts";
import type { AggregateInput } from "../../query/aggregate.ts";
import { aggregateRecords, queryRecords, type RecordQueryInput } from "../../resolvers/query.ts";
import * as records from "../../resolvers/records.ts";
import { aggregateBody, patchRecordBody, recordListQuery, recordQueryBody, upsertRecordBody } from "../schemas.ts";
import { recordJson, recordPageJsonText, sendJsonText } from "../serialize.ts";

type CollectionParams = { Params: { ws: string; collection: string } };
type RecordParams = { Params: { ws: string; collection: string; id: string } };
interface RecordBody {
  id?: string;
  data: object;
  external_id?: string | null;
  external_source?: string | null;
  version?: number;
}

interface ListQuerystring {
  limit?: number;
  offset?: number;
  filter?: string;
  sort?: string;
  fields?: string;
  after?: string;
  total?: string;
  external_source?: string;
}

/** Decodes the JSON-valued query parameters; a parameter that is not JSON is the client's error. */
function jsonParam(value: string | undefined, name: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw validationError(`Query parameter '${name}' must be URL-encoded JSON`, [
      { path: `query.${name}`, message: "is not valid JSON" },
    ]);
  }
}

function fromQuerystring(q: ListQuerystring): RecordQueryInput {
  return {
    limit: q.limit,
    offset: q.offset,
    filter: jsonParam(q.filter, "filter"),
    sort: jsonParam(q.sort, "sort"),
    // `fields=data.name,data.email` (the CLI's form) or a JSON array.
    fields: q.fields?.trim().startsWith("[")
      ? jsonParam(q.fields, "fields")
      : q.fields?.split(",").map((f) => f.trim()),
    after: q.after,
    total: q.total,
    externalSource: q.external_source,
  };
}

const toUpsertInput = (body: RecordBody, id?: string): records.UpsertRecordInput => ({
  id: id ?? body.id,
  externalId: body.external_id,
  externalSource: body.external_source,
  data: body.data,
  version: body.version,
});

export const recordRoutes: FastifyPluginAsync = async (app) => {
  app.get<CollectionParams & { Querystring: ListQuerystring }>(
    "/:ws/records/:collection",
    { schema: { querystring: recordListQuery } },
    async (req, reply) =>
      sendJsonText(
        reply,
        recordPageJsonText(
          await queryRecords(req.ctx, req.params.ws, req.params.collection, fromQuerystring(req.query)),
        ),
      ),
  );

  app.post<CollectionParams & { Body: RecordQueryInput & { external_source?: string } }>(
    "/:ws/records/:collection/query",
    { schema: { body: recordQueryBody } },
    async (req, reply) => {
      const { external_source: externalSource, ...query } = req.body;
      const page = await queryRecords(req.ctx, req.params.ws, req.params.collection, { ...query, externalSource });
      return sendJsonText(reply, recordPageJsonText(page));
    },
  );

  app.post<CollectionParams & { Body: AggregateInput }>(
    "/:ws/records/:collection/aggregate",
    { schema: { body: aggregateBody } },
    async (req) => {
      const { groups } = await aggregateRecords(req.ctx, req.params.ws, req.params.collection, req.body);
      return { data: groups, meta: { groups: groups.length } };
    },
  );

  app.put<CollectionParams & { Body: RecordBody }>(
    "/:ws/records/:collection",
    { schema: { body: upsertRecordBody } },
    async (req, reply) => {
      const { record, created } = await records.upsertRecord(
        req.ctx,
        req.params.ws,
        req.params.collection,
        toUpsertInput(req.body),
      );
      reply.code(created ? 201 : 200);
      return recordJson(record);
    },
  );

  app.get<RecordParams>("/:ws/records/:collection/:id", async (req) =>
    recordJson(await records.getRecord(req.ctx, req.params.ws, req.params.collection, req.params.id)),
  );

  app.put<RecordParams & { Body: RecordBody }>(
    "/:ws/records/:collection/:id",
    { schema: { body: upsertRecordBody } },
    async (req, reply) => {
      const { body, params } = req;
      if (body.id !== undefined && body.id.toLowerCase() !== params.id.toLowerCase()) {
        throw validationError("Body id does not match the path", [{ path: "id", message: `must be '${params.id}'` }]);
      }
      const { record, created } = await records.upsertRecord(
        req.ctx,
        params.ws,
        params.collection,
        toUpsertInput(body, params.id),
      );
      reply.code(created ? 201 : 200);
      return recordJson(record);
    },
  );

  app.patch<RecordParams & { Body: { data: object; version?: number } }>(
    "/:ws/records/:collection/:id",
    { schema: { body: patchRecordBody } },
    async (req) =>
      recordJson(await records.patchRecord(req.ctx, req.params.ws, req.params.collection, req.params.id, req.body)),
  );

  app.delete<RecordParams>("/:ws/records/:collection/:id", async (req, reply) => {
    await records.deleteRecord(req.ctx, req.params.ws, req.params.collection, req.params.id);
    reply.code(204).send();
  });

  for (const [action, flag] of [
    ["archive", "archived"],
    ["cancel", "cancelled"],
  ] as const) {
    app.post<RecordParams>(`/:ws/records/:collection/:id/${action}`, async (req) =>
      recordJson(await records.flagRecord(req.ctx, req.params.ws, req.params.collection, req.params.id, flag)),
    );
  }
};
