import type { FastifyPluginAsync } from "fastify";
import { validationError } from "../../errors/app-error.ts";
import * as records from "../../resolvers/records.ts";
import { pageQuery, patchRecordBody, upsertRecordBody } from "../schemas.ts";
import { listJson, recordJson } from "../serialize.ts";

type CollectionParams = { Params: { ws: string; collection: string } };
type RecordParams = { Params: { ws: string; collection: string; id: string } };
interface RecordBody {
  id?: string;
  data: object;
  external_id?: string | null;
  external_source?: string | null;
  version?: number;
}

const toUpsertInput = (body: RecordBody, id?: string): records.UpsertRecordInput => ({
  id: id ?? body.id,
  externalId: body.external_id,
  externalSource: body.external_source,
  data: body.data,
  version: body.version,
});

export const recordRoutes: FastifyPluginAsync = async (app) => {
  app.get<CollectionParams & { Querystring: { limit?: number; offset?: number } }>(
    "/:ws/records/:collection",
    { schema: { querystring: pageQuery } },
    async (req) =>
      listJson(await records.listRecords(req.ctx, req.params.ws, req.params.collection, req.query), recordJson),
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
