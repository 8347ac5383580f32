import type { Record as RecordRow } from "../generated/prisma/client.ts";
import type { Page } from "../resolvers/page.ts";

export type { RecordRow };

/** Addresses one collection of one workspace. */
export interface CollectionRef {
  workspaceId: string;
  collectionId: string;
}

export interface UpsertCommand {
  /** Already validated: a lower-case UUID when given. */
  id?: string;
  externalId?: string;
  externalSource?: string;
  data: object;
  /** Optimistic concurrency: only update when the stored version equals this. */
  expectedVersion?: number;
}

/**
 * Why a conditional write did not happen, so the resolver can explain it. `missing` = no live record with that id.
 */
export type WriteRefusal = "missing" | "deleted" | "other_collection" | "identity_mismatch" | "stale" | "cancelled";

export type UpsertOutcome = { ok: true; record: RecordRow; created: boolean } | { ok: false; reason: WriteRefusal };
export type UpdateOutcome = { ok: true; record: RecordRow } | { ok: false; reason: WriteRefusal };
export type DeleteOutcome = { ok: true } | { ok: false; reason: WriteRefusal | "archived" };

/**
 * Where records live. Resolvers decide permissions, validation and errors, then call a source, so native storage
 * and (later) external REST APIs answer the same operations.
 */
export interface RecordSource {
  get(ref: CollectionRef, id: string): Promise<RecordRow | null>;
  list(ref: CollectionRef, page: Page): Promise<{ items: RecordRow[]; total: number }>;
  upsert(ref: CollectionRef, command: UpsertCommand): Promise<UpsertOutcome>;
  /** Replaces `data` when the stored version equals `expectedVersion`. */
  replaceData(ref: CollectionRef, id: string, data: object, expectedVersion: number): Promise<UpdateOutcome>;
  setFlag(ref: CollectionRef, id: string, flag: "archived" | "cancelled"): Promise<UpdateOutcome>;
  softDelete(ref: CollectionRef, id: string): Promise<DeleteOutcome>;
}
