import { v7 as uuidv7 } from "uuid";
import { conflict, type ErrorDetail, forbidden, notFound, validationError } from "../errors/app-error.ts";
import type { Collection, Prisma, Promotion } from "../generated/prisma/client.ts";
import { isRecordId, SLUG } from "../identifiers.ts";
import { authorize } from "./authorize.ts";
import {
  buildDeclaredIndexes,
  type CollectionConfig,
  changedFields,
  configOf,
  saveCollection,
} from "./collection-config.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";
import { requireProduction } from "./previews.ts";
import { requireWorkspace } from "./workspaces.ts";

export interface PromoteInput {
  from: string;
  dryRun?: boolean | null;
  /** Collection ids to promote; omitted = every difference. */
  collections?: string[] | null;
  /** Recordgate has no triggers or hooks yet: only empty selections are accepted. */
  triggers?: string[] | null;
  hooks?: string[] | null;
}

interface Changes {
  added: string[];
  changed: Array<{ id: string; fields: string[] }>;
  removed: string[];
}

export interface PromotionDiff {
  collections: Changes;
  triggers: Changes;
  hooks: Changes;
}

export type PromoteResult = { dryRun: true; diff: PromotionDiff } | { dryRun: false; promotion: Promotion };

/** The Prisma client, or the transaction client inside `$transaction`. */
type Db = Parameters<Parameters<Context["prisma"]["$transaction"]>[0]>[0];
/** Production's definition of each affected collection before a promotion; null where it had none. */
type Before = Record<string, CollectionConfig | null>;
/** Each affected collection's version right after the promotion; null where it removed the collection. */
type After = Record<string, number | null>;

const noChanges = (): Changes => ({ added: [], changed: [], removed: [] });

/** Promotion and rollback change production for everyone: the contract keeps them to people (user tokens). */
function requirePerson(ctx: Context, what: string): void {
  if (ctx.principal.kind === "token" && ctx.principal.type !== "user") {
    throw forbidden(`Only user tokens may ${what}`, [
      { path: "", message: "service tokens work in previews; a person promotes", reason: "user_token_required" },
    ]);
  }
}

function parsePromoteInput(input: PromoteInput): void {
  const details: ErrorDetail[] = [];
  if (typeof input.from !== "string" || input.from === "") {
    details.push({ path: "from", message: "is required: the preview to promote" });
  }
  if (input.dryRun != null && typeof input.dryRun !== "boolean") {
    details.push({ path: "dry_run", message: "must be a boolean" });
  }
  const lists = { collections: input.collections, triggers: input.triggers, hooks: input.hooks };
  for (const [key, list] of Object.entries(lists)) {
    if (list == null) continue;
    if (!Array.isArray(list) || list.length > 1000) {
      details.push({ path: key, message: "must be a list of ids" });
      continue;
    }
    list.forEach((id, i) => {
      if (typeof id !== "string" || !SLUG.test(id)) details.push({ path: `${key}[${i}]`, message: "must be an id" });
      else if (key !== "collections") {
        details.push({ path: `${key}[${i}]`, message: `the preview has no ${key.slice(0, -1)} '${id}'` });
      }
    });
  }
  if (details.length) throw validationError("Invalid promotion", details);
}

/** What applying would change in production, for the selected collections (all when none are selected). */
function diffCollections(preview: Collection[], production: Collection[], selected?: string[] | null): Changes {
  const inPreview = new Map(preview.map((c) => [c.id, c]));
  const inProduction = new Map(production.map((c) => [c.id, c]));
  const ids = selected ?? [...new Set([...inPreview.keys(), ...inProduction.keys()])];
  const changes = noChanges();
  for (const id of [...ids].sort()) {
    const next = inPreview.get(id);
    const current = inProduction.get(id);
    if (next && !current) changes.added.push(id);
    else if (!next && current) changes.removed.push(id);
    else if (next && current) {
      const fields = changedFields(configOf(current), configOf(next));
      if (fields.length) changes.changed.push({ id, fields });
    }
  }
  return changes;
}

function unknownSelections(selected: string[], preview: Collection[], production: Collection[]): ErrorDetail[] {
  const known = new Set([...preview, ...production].map((c) => c.id));
  return selected.flatMap((id, i) =>
    known.has(id) ? [] : [{ path: `collections[${i}]`, message: `neither workspace has collection '${id}'` }],
  );
}

/** Serialises promotions and rollbacks of one workspace: each sees the last one's result. */
async function lockWorkspace(tx: Db, workspaceId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM workspaces WHERE id = ${workspaceId} FOR UPDATE`;
}

/** The ids among `ids` whose production collection still holds live records (which promotion never touches). */
async function holdingRecords(tx: Db, workspaceId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM collections c
    WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${ids})
      AND EXISTS (SELECT 1 FROM records r
                  WHERE r.workspace_id = c.workspace_id AND r.collection_id = c.id AND r.deleted_at IS NULL)
    ORDER BY c.id`;
  return rows.map((r) => r.id);
}

async function deleteCollections(tx: Db, workspaceId: string, ids: string[]): Promise<void> {
  if (ids.length) await tx.collection.deleteMany({ where: { workspaceId, id: { in: ids } } });
}

async function versionsOf(tx: Db, workspaceId: string, ids: string[]): Promise<After> {
  const rows = await tx.collection.findMany({
    where: { workspaceId, id: { in: ids } },
    select: { id: true, version: true },
  });
  const versions: After = Object.fromEntries(ids.map((id) => [id, null]));
  for (const row of rows) versions[row.id] = row.version;
  return versions;
}

/**
 * After a promotion or rollback committed: every instance forgets the old definitions, and indexes no definition
 * declares any more are dropped (new ones were built before the transaction, so no query ran without them).
 */
async function settleIndexes(ctx: Context, workspaceId: string, kept: Map<string, string[] | null>): Promise<void> {
  for (const [collectionId, keep] of kept) {
    await ctx.collections.invalidate(workspaceId, collectionId);
    await ctx.records.dropIndexes({ workspaceId, collectionId }, keep ?? []);
  }
}

interface PromotionPlan {
  diff: PromotionDiff;
  fromPreview: Collection[];
  inProduction: Collection[];
  /** Collections whose definition the promotion writes into production (added and changed). */
  writes: string[];
}

/**
 * What promoting would do, from the definitions `db` sees. With `apply`, also what would refuse it: a removal of a
 * collection holding production records, or nothing to do (409).
 */
async function planPromotion(
  db: Db,
  productionId: string,
  fromId: string,
  selected: string[] | null,
  options: { apply?: boolean } = {},
): Promise<PromotionPlan> {
  const load = (workspaceId: string) => db.collection.findMany({ where: { workspaceId }, orderBy: { id: "asc" } });
  const fromPreview = await load(fromId);
  const inProduction = await load(productionId);
  const unknown = selected ? unknownSelections(selected, fromPreview, inProduction) : [];
  if (unknown.length) throw validationError("Unknown collections", unknown);
  const collections = diffCollections(fromPreview, inProduction, selected);
  const writes = [...collections.added, ...collections.changed.map((c) => c.id)];
  if (options.apply) {
    if (writes.length + collections.removed.length === 0) {
      throw conflict(`Nothing to promote: '${productionId}' already matches '${fromId}'`);
    }
    const blocked = await holdingRecords(db, productionId, collections.removed);
    if (blocked.length) {
      throw conflict("Promotion would delete production collections that hold records", [
        ...blocked.map((id) => ({
          path: "collections",
          message: `'${id}' holds records in production: delete it there, or leave it out of 'collections'`,
        })),
      ]);
    }
  }
  return {
    diff: { collections, triggers: noChanges(), hooks: noChanges() },
    fromPreview,
    inProduction,
    writes,
  };
}

/**
 * Copies the preview's configuration into its production workspace: with `dryRun`, only reports the diff; else
 * applies it in one transaction and records a promotion that can be rolled back. Records are never copied, and a
 * removal that would delete production records is refused (409).
 */
export async function promote(ctx: Context, productionId: string, input: PromoteInput): Promise<PromoteResult> {
  await authorize(ctx, "write", "workspaces", productionId);
  requirePerson(ctx, "promote");
  parsePromoteInput(input);
  await requireProduction(ctx, productionId);
  const preview = await requireWorkspace(ctx, input.from).catch(() => undefined);
  if (preview?.parentId !== productionId) {
    throw validationError(`'${input.from}' is not a preview of '${productionId}'`, [
      { path: "from", message: `must be the id of a preview of '${productionId}'` },
    ]);
  }
  const selected = input.collections ?? null;
  const fromId = preview.id;
  if (input.dryRun)
    return { dryRun: true, diff: (await planPromotion(ctx.prisma, productionId, fromId, selected)).diff };

  // Checked first, so nothing is built for a promotion that is refused; then production gets the preview's declared
  // indexes (concurrently, outside any transaction), so no query runs without them once the definitions change.
  const plan = await planPromotion(ctx.prisma, productionId, fromId, selected, { apply: true });
  const kept = new Map<string, string[] | null>();
  for (const c of plan.fromPreview) {
    if (!plan.writes.includes(c.id)) continue;
    const ref = { workspaceId: productionId, collectionId: c.id };
    kept.set(c.id, await buildDeclaredIndexes(ctx.records, ref, configOf(c)));
  }

  const promotion = await ctx.prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, productionId);
    // Again under the lock: what is applied and recorded is exactly what the database holds now.
    const { diff, fromPreview, inProduction, writes } = await planPromotion(tx, productionId, fromId, selected, {
      apply: true,
    });
    const previewById = new Map(fromPreview.map((c) => [c.id, c]));
    const productionById = new Map(inProduction.map((c) => [c.id, c]));
    const affected = [...writes, ...diff.collections.removed];
    const before: Before = Object.fromEntries(
      affected.map((id) => {
        const current = productionById.get(id);
        return [id, current ? configOf(current) : null];
      }),
    );
    for (const id of writes) {
      const next = previewById.get(id);
      if (next) await saveCollection(tx, productionId, id, configOf(next));
    }
    await deleteCollections(tx, productionId, diff.collections.removed);
    const after = await versionsOf(tx, productionId, affected);
    return tx.promotion.create({
      data: {
        id: uuidv7(),
        workspaceId: productionId,
        fromId,
        diff: diff as unknown as Prisma.InputJsonObject,
        before: before as unknown as Prisma.InputJsonObject,
        after: after as Prisma.InputJsonObject,
        createdBy: ctx.principal.kind === "admin" ? "admin" : ctx.principal.id,
      },
    });
  });
  const diff = promotion.diff as unknown as PromotionDiff;
  for (const id of diff.collections.removed) kept.set(id, null);
  await settleIndexes(ctx, productionId, kept);
  return { dryRun: false, promotion };
}

export async function listPromotions(
  ctx: Context,
  productionId: string,
  input: PageInput = {},
): Promise<PageResult<Promotion>> {
  await authorize(ctx, "read", "workspaces", productionId);
  const page = parsePage(input);
  await requireProduction(ctx, productionId);
  const where = { workspaceId: productionId };
  const [items, total] = await Promise.all([
    ctx.prisma.promotion.findMany({ where, orderBy: { id: "desc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.promotion.count({ where }),
  ]);
  return { items, total, ...page };
}

/**
 * Why the promotion cannot be rolled back now, if it cannot: it must be the latest applied one, production must not
 * have changed its collections since, and collections it added must hold no records. Checked before building indexes
 * and again inside the rollback's transaction.
 */
async function checkRollback(db: Db, productionId: string, promotionId: string): Promise<Promotion> {
  const current = await db.promotion.findFirst({ where: { id: promotionId, workspaceId: productionId } });
  if (!current) throw notFound(`Promotion '${promotionId}' not found in workspace '${productionId}'`);
  if (current.status !== "applied") throw conflict(`Promotion '${promotionId}' is already rolled back`);
  const latest = await db.promotion.findFirst({
    where: { workspaceId: productionId, status: "applied" },
    orderBy: { id: "desc" },
    select: { id: true },
  });
  if (latest?.id !== promotionId) {
    throw conflict(`Promotion '${promotionId}' is not the latest; roll back '${latest?.id}' first`);
  }
  const before = current.before as unknown as Before;
  const after = current.after as After;
  const ids = Object.keys(before);
  const now = await versionsOf(db, productionId, ids);
  const moved = ids.filter((id) => now[id] !== after[id]);
  if (moved.length) {
    throw conflict("Production changed these collections after the promotion; a rollback would undo that work", [
      ...moved.map((id) => ({ path: "collections", message: `'${id}' changed since the promotion` })),
    ]);
  }
  const blocked = await holdingRecords(
    db,
    productionId,
    ids.filter((id) => before[id] === null),
  );
  if (blocked.length) {
    throw conflict("A rollback would delete production collections that now hold records", [
      ...blocked.map((id) => ({ path: "collections", message: `'${id}' holds records in production` })),
    ]);
  }
  return current;
}

/**
 * Puts production's affected collections back as they were before the promotion, in one transaction; never
 * overwrites later work and never deletes records (checkRollback).
 */
export async function rollbackPromotion(ctx: Context, productionId: string, promotionId: string): Promise<Promotion> {
  await authorize(ctx, "write", "workspaces", productionId);
  requirePerson(ctx, "roll back promotions");
  await requireProduction(ctx, productionId);
  if (!isRecordId(promotionId)) throw notFound(`Promotion '${promotionId}' not found in workspace '${productionId}'`);
  const { before } = await checkRollback(ctx.prisma, productionId, promotionId);
  const kept = new Map<string, string[] | null>();
  for (const [id, config] of Object.entries(before as unknown as Before)) {
    const ref = { workspaceId: productionId, collectionId: id };
    kept.set(id, config ? await buildDeclaredIndexes(ctx.records, ref, config) : null);
  }

  const promotion = await ctx.prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, productionId);
    const current = await checkRollback(tx, productionId, promotionId);
    const restore = current.before as unknown as Before;
    const ids = Object.keys(restore);
    for (const id of ids) {
      const config = restore[id];
      if (config) await saveCollection(tx, productionId, id, config);
    }
    await deleteCollections(
      tx,
      productionId,
      ids.filter((id) => restore[id] === null),
    );
    return tx.promotion.update({
      where: { id: promotionId },
      data: { status: "rolled_back", rolledBackAt: new Date() },
    });
  });
  await settleIndexes(ctx, productionId, kept);
  return promotion;
}
