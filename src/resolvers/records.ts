import {
  type AppError,
  conflict,
  type ErrorDetail,
  notFound,
  payloadTooLarge,
  validationError,
} from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import type { Collection } from "../generated/prisma/client.ts";
import { isRecordId } from "../identifiers.ts";
import { isJsonObject } from "../json-object.ts";
import type { CollectionRef, RecordRow, WriteRefusal } from "../sources/record-source.ts";
import { authorize } from "./authorize.ts";
import { requireCollection } from "./collections.ts";
import type { Context } from "./context.ts";
import { isProxied, mappedFields } from "./external.ts";
import { assertStorable } from "./storable.ts";

export interface UpsertRecordInput {
  id?: string | null;
  externalId?: string | null;
  externalSource?: string | null;
  data: unknown;
  /** The version the caller last saw; the write is refused with 409 when it is no longer current. */
  version?: number | null;
}

export interface PatchRecordInput {
  data: unknown;
  version?: number | null;
}

const MAX_EXTERNAL_LENGTH = 255;
/** records.version is a PostgreSQL integer. */
const MAX_VERSION = 2_147_483_647;
const VERSION_RULE = `must be an integer from 1 to ${MAX_VERSION}`;

const versionInvalid = (version: number | null | undefined) =>
  version != null && (!Number.isInteger(version) || version < 1 || version > MAX_VERSION);
/** How often a patch re-reads and re-merges after losing a race to a concurrent writer before giving up. */
const PATCH_ATTEMPTS = 5;

const refById = (workspaceId: string, collectionId: string): CollectionRef => ({ workspaceId, collectionId });

function refusalError(reason: WriteRefusal | "archived", id: string, expected?: number | null): AppError {
  switch (reason) {
    case "missing":
      return notFound(`Record '${id}' not found`);
    case "deleted":
      return conflict(`Record '${id}' was deleted; a deleted record's id cannot be reused`);
    case "other_collection":
      // Never where: the caller may not be allowed to read that collection (docs/security.md).
      return conflict(`Record id '${id}' is already in use`);
    case "identity_mismatch":
      return conflict(`Record '${id}' is bound to a different external_id/external_source`);
    case "stale":
      return conflict(
        expected != null
          ? `Version conflict: record '${id}' is no longer at version ${expected}`
          : `Record '${id}' changed concurrently; retry the write`,
        expected != null ? [{ path: "version", message: "is stale" }] : [],
      );
    case "cancelled":
      return conflict(`Record '${id}' is cancelled and cannot be changed`);
    case "archived":
      return conflict(`Record '${id}' is archived and cannot be deleted`);
  }
}

/** Checks a record payload against the size cap and the collection's schema. */
function validateData(ctx: Context, collection: Collection, data: unknown): object {
  if (!isJsonObject(data)) {
    throw validationError("Record data must be a JSON object", [{ path: "data", message: "must be an object" }]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(data));
  if (bytes > ctx.limits.maxRecordBytes) {
    throw payloadTooLarge(`Record data is ${bytes} bytes; the limit is ${ctx.limits.maxRecordBytes}`);
  }
  const problems = ctx.schemas.validate(collection, data);
  if (problems) throw validationError(`Record does not match the schema of collection '${collection.id}'`, problems);
  return data;
}

function checkUpsertFields(input: UpsertRecordInput): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (input.id != null && !isRecordId(input.id)) details.push({ path: "id", message: "must be a UUID" });
  for (const [key, path] of [
    ["externalId", "external_id"],
    ["externalSource", "external_source"],
  ] as const) {
    const value = input[key];
    if (value != null && (value.length === 0 || value.length > MAX_EXTERNAL_LENGTH)) {
      details.push({ path, message: `must be 1-${MAX_EXTERNAL_LENGTH} characters` });
    }
  }
  if (versionInvalid(input.version)) details.push({ path: "version", message: VERSION_RULE });
  return details;
}

export async function getRecord(ctx: Context, workspaceId: string, collectionId: string, id: string) {
  await authorize(ctx, "read", "records", workspaceId, collectionId);
  const record = isRecordId(id) ? await ctx.records.get(refById(workspaceId, collectionId), id.toLowerCase()) : null;
  if (record) return record;
  await requireCollection(ctx, workspaceId, collectionId);
  throw notFound(`Record '${id}' not found in collection '${collectionId}'`);
}

/**
 * PUT semantics: the id, else the external identity, else a new record. Idempotent and race-free because each
 * case is one conflict-aware statement in the source.
 */
export async function upsertRecord(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  input: UpsertRecordInput,
): Promise<{ record: RecordRow; created: boolean }> {
  const { maxJsonDepth } = ctx.limits;
  const fields = { external_id: input.externalId, external_source: input.externalSource, data: input.data };
  assertStorable({ workspace: workspaceId, collection: collectionId, ...fields }, maxJsonDepth, "Invalid record");
  await authorize(ctx, "write", "records", workspaceId, collectionId);
  const details = checkUpsertFields(input);
  if (details.length) throw validationError("Invalid record", details);
  const collection = await requireCollection(ctx, workspaceId, collectionId);
  const data = validateData(ctx, collection, input.data);
  const ref = refById(workspaceId, collectionId);
  if (isProxied(collection, input.externalSource)) return upsertExternal(ctx, ref, input, data);
  // Only a source creates records without an external id; stored records are identified by both.
  if (input.externalSource != null && input.externalId == null) {
    throw validationError("Invalid record", [{ path: "external_source", message: "requires external_id" }]);
  }
  const id = input.id != null ? input.id.toLowerCase() : undefined;
  const outcome = await ctx.records
    .upsert(
      ref,
      {
        id,
        externalId: input.externalId ?? undefined,
        externalSource: input.externalSource ?? undefined,
        data,
        expectedVersion: input.version ?? undefined,
      },
      ctx.change,
    )
    .catch((error: unknown) =>
      translateDatabaseError(error, {
        unique: () =>
          id && !input.externalId
            ? conflict(`Record id '${id}' is already in use`)
            : conflict(`Another record already has external_id '${input.externalId}'`, [
                { path: "external_id", message: "is already bound to another record" },
              ]),
        foreignKey: () => notFound(`Collection '${collectionId}' not found in workspace '${workspaceId}'`),
      }),
    );
  if (!outcome.ok) {
    if (outcome.reason === "missing" && input.version != null) {
      throw notFound(`No record matches ${id ? `id '${id}'` : `external_id '${input.externalId}'`} to update`);
    }
    throw refusalError(outcome.reason, id ?? String(input.externalId), input.version);
  }
  return outcome;
}

/** An upsert whose external_source names a source: the record is written upstream, not here. */
async function upsertExternal(
  ctx: Context,
  ref: CollectionRef,
  input: UpsertRecordInput,
  data: object,
): Promise<{ record: RecordRow; created: boolean }> {
  const details: ErrorDetail[] = [];
  if (input.id != null)
    details.push({ path: "id", message: "is derived from the external identity for source records" });
  if (input.version != null) details.push({ path: "version", message: "is not supported for source records" });
  if (details.length) throw validationError("Invalid record", details);
  const source = input.externalSource as string;
  const outcome = await ctx.records.upsert(
    ref,
    { externalId: input.externalId ?? undefined, source, data },
    ctx.change,
  );
  if (!outcome.ok) throw refusalError(outcome.reason, String(input.externalId));
  return outcome;
}

/**
 * What a patch merges into: the stored data, or for a source's record only the fields its mapping names (the rest
 * it read passes through the mapping and is not the record's to write back).
 */
function patchBase(collection: Collection, current: RecordRow): object {
  const data = current.data as object;
  if (!isProxied(collection, current.externalSource)) return data;
  const mapped = mappedFields(collection, current.externalSource);
  return Object.fromEntries(Object.entries(data).filter(([key]) => mapped.has(key)));
}

/** Top-level merge: keys in `data` replace the stored ones; the merged record must still match the schema. */
export async function patchRecord(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  id: string,
  input: PatchRecordInput,
): Promise<RecordRow> {
  assertStorable(
    { workspace: workspaceId, collection: collectionId, data: input.data },
    ctx.limits.maxJsonDepth,
    "Invalid patch",
  );
  await authorize(ctx, "write", "records", workspaceId, collectionId);
  if (!isJsonObject(input.data)) {
    throw validationError("Patch data must be a JSON object", [{ path: "data", message: "must be an object" }]);
  }
  if (versionInvalid(input.version)) {
    throw validationError("Invalid patch", [{ path: "version", message: VERSION_RULE }]);
  }
  const collection = await requireCollection(ctx, workspaceId, collectionId);
  const ref = refById(workspaceId, collectionId);
  for (let attempt = 1; ; attempt++) {
    const current = await getRecord(ctx, workspaceId, collectionId, id);
    if (current.cancelled) throw refusalError("cancelled", current.id);
    if (input.version != null && current.version !== input.version) throw refusalError("stale", id, input.version);
    const merged = validateData(ctx, collection, { ...patchBase(collection, current), ...input.data });
    // Compare-and-set on the version we merged from: a concurrent write makes this miss, and we merge again.
    const outcome = await ctx.records.replaceData(ref, current.id, merged, current.version, ctx.change);
    if (outcome.ok) return outcome.record;
    if (outcome.reason !== "stale" || input.version != null || attempt >= PATCH_ATTEMPTS) {
      throw refusalError(outcome.reason, current.id, input.version);
    }
  }
}

export async function deleteRecord(ctx: Context, workspaceId: string, collectionId: string, id: string) {
  await authorize(ctx, "write", "records", workspaceId, collectionId);
  const outcome = isRecordId(id)
    ? await ctx.records.softDelete(refById(workspaceId, collectionId), id.toLowerCase(), ctx.change)
    : ({ ok: false, reason: "missing" } as const);
  if (outcome.ok) return;
  throw refusalError(outcome.reason, id);
}

/** Archive or cancel: flags that change what later writes may do (see docs/records.md). */
export async function flagRecord(
  ctx: Context,
  workspaceId: string,
  collectionId: string,
  id: string,
  flag: "archived" | "cancelled",
): Promise<RecordRow> {
  await authorize(ctx, "write", "records", workspaceId, collectionId);
  const outcome = isRecordId(id)
    ? await ctx.records.setFlag(refById(workspaceId, collectionId), id.toLowerCase(), flag, ctx.change)
    : ({ ok: false, reason: "missing" } as const);
  if (outcome.ok) return outcome.record;
  if (outcome.reason === "missing") await requireCollection(ctx, workspaceId, collectionId);
  throw refusalError(outcome.reason, id);
}
