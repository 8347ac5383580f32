import { v5 } from "uuid";

/**
 * The UUIDv5 namespace of proxied records' ids. Generated once (a random v4) and fixed forever: changing it would
 * change the id of every proxied record, breaking relationships and the `external_records` table.
 */
export const EXTERNAL_RECORD_NAMESPACE = "425b3f82-2953-43a4-8756-523f9c88b277";

/**
 * The id of a record living in an external source: UUIDv5 of `"{ws}/{collection}/{source}/{external_id}"`, so every
 * instance derives the same id, and it survives restarts (docs/sources.md, Ids).
 */
export function externalRecordId(
  workspaceId: string,
  collectionId: string,
  source: string,
  externalId: string,
): string {
  // Workspace, collection and source names cannot contain "/", so only the external id may, and it comes last:
  // distinct tuples always give distinct names.
  return v5(`${workspaceId}/${collectionId}/${source}/${externalId}`, EXTERNAL_RECORD_NAMESPACE).toLowerCase();
}

/** Whether `id` could be an external record's: name-based (version 5). Native ids are v7 unless a client chose one. */
export const mayBeExternalId = (id: string) => id.length === 36 && id[14] === "5";
