import { AppError, notFound, validationError } from "../errors/app-error.ts";
import type { Collection } from "../generated/prisma/client.ts";
import type { Log } from "../logger.ts";
import { SourceFailure, UpstreamError } from "../sources/external/upstream-error.ts";
import { MappingError } from "../sources/mapping/index.ts";
import type { RecordSource } from "../sources/record-source.ts";

/** Whether `externalSource` names one of the collection's sources, i.e. whether the record lives upstream. */
export function isProxied(collection: Collection, externalSource: string | null | undefined): externalSource is string {
  return (
    externalSource != null &&
    Array.isArray(collection.sources) &&
    collection.sources.some((s) => (s as { name?: unknown }).name === externalSource)
  );
}

/** The record fields a source's field mapping names. */
export function mappedFields(collection: Collection, source: string): Set<string> {
  const config = (collection.sources as Array<{ name?: string; field_mapping?: { to_external?: object } }>).find(
    (s) => s.name === source,
  );
  return new Set(Object.keys(config?.field_mapping?.to_external ?? {}));
}

/**
 * What a source's failure means for our client, decided once for every operation (docs/sources.md): its 404 is
 * ours, its other 4xx is the client's request (400, with the upstream's message), anything else is a gateway error.
 * Anything that is not a SourceFailure passes through unchanged.
 */
export function upstreamFailure(log: Log, failure: unknown): never {
  if (!(failure instanceof SourceFailure)) throw failure;
  const { source, cause: error } = failure;
  if (error instanceof MappingError) {
    if (error.direction === "write") {
      throw validationError(`Record data cannot be written to source '${source}'`, [
        { path: error.field ? `data.${error.field}` : "data", message: error.reason },
      ]);
    }
    log.warn({ source, field: error.field, reason: error.reason }, "upstream record could not be mapped");
    throw new AppError("UPSTREAM_ERROR", `Source '${source}' answered a record that cannot be mapped`, [
      { path: error.field ? `data.${error.field}` : "data", message: error.reason },
    ]);
  }
  if (!(error instanceof UpstreamError)) throw error;
  log.warn(
    { source, kind: error.kind, upstreamStatus: error.status, latencyMs: Math.round(error.latencyMs) },
    "external source failed",
  );
  const status = error.status === undefined ? {} : { upstream_status: error.status };
  switch (error.kind) {
    case "not_found":
      throw notFound(`Record not found in source '${source}'`);
    case "rejected":
      throw validationError(`Source '${source}' refused the request`, [
        { path: "upstream", message: error.upstreamMessage ?? "refused", ...status },
      ]);
    case "unsupported":
      throw validationError(error.message, [
        { path: "external_source", message: `not supported by source '${source}'` },
      ]);
    case "timeout":
      throw new AppError("UPSTREAM_TIMEOUT", `Source '${source}' did not answer in time`, [
        { path: "upstream", message: "timed out" },
      ]);
    default:
      throw new AppError("UPSTREAM_ERROR", `Source '${source}' failed`, [
        { path: "upstream", message: error.message, ...status },
      ]);
  }
}

/** `records` with every source failure turned into the client's error (logged on this request's logger). */
export function withUpstreamFailures(records: RecordSource, log: Log): RecordSource {
  const fail = (error: unknown): never => upstreamFailure(log, error);
  return {
    get: (ref, id) => records.get(ref, id).catch(fail),
    getMany: (ref, ids) => records.getMany(ref, ids).catch(fail),
    query: (ref, query) => records.query(ref, query).catch(fail),
    aggregate: (ref, query) => records.aggregate(ref, query).catch(fail),
    upsert: (ref, command, change) => records.upsert(ref, command, change).catch(fail),
    replaceData: (ref, id, data, version, change) => records.replaceData(ref, id, data, version, change).catch(fail),
    setFlag: (ref, id, flag, change) => records.setFlag(ref, id, flag, change).catch(fail),
    softDelete: (ref, id, change) => records.softDelete(ref, id, change).catch(fail),
    createIndexes: (ref, specs) => records.createIndexes(ref, specs),
    dropIndexes: (ref, keep) => records.dropIndexes(ref, keep),
  };
}
