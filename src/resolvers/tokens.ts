import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { hashToken, TOKEN_PREFIX } from "../auth/authenticate.ts";
import { covers, type Grant, parseGrants } from "../auth/grants.ts";
import { type ErrorDetail, forbidden, notFound, unauthorized, validationError } from "../errors/app-error.ts";
import { type ApiToken, Prisma } from "../generated/prisma/client.ts";
import { isRecordId } from "../identifiers.ts";
import type { Context } from "./context.ts";
import { type PageInput, type PageResult, parsePage } from "./page.ts";

export type TokenStatus = "active" | "expired" | "revoked";

export interface CreateTokenInput {
  name?: unknown;
  grants?: unknown;
  expiresAt?: unknown;
  type?: unknown;
}

export function tokenStatus(token: ApiToken, now = Date.now()): TokenStatus {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt.getTime() <= now) return "expired";
  return "active";
}

/** Who minted the token: the minting token's id, or "admin" for the root admin token (as promotions' created_by). */
export const mintedBy = (token: ApiToken): string => token.createdBy ?? "admin";

/**
 * Tokens are managed by people: the root admin token, and `user` tokens within their own grants. A `service` token
 * (an application or agent) cannot mint or revoke credentials.
 */
function requireManager(ctx: Context): void {
  if (ctx.principal.kind === "token" && ctx.principal.type !== "user") {
    throw forbidden("Only the admin token and user tokens manage tokens; this is a service token");
  }
}

/**
 * Mints and revocations take this transaction-level advisory lock: shared by mints (they run side by side),
 * exclusive for a revocation. A revocation therefore starts only once every mint in flight has committed, so its
 * walk down `created_by` sees their tokens; and a mint that starts meanwhile waits, then finds its minter revoked.
 * No token can be minted under a revoked one, at any depth, on any instance sharing the database.
 */
export const MINT_LOCK = 7_126_310_214_901;

/**
 * One step down the minting tree, by the created_by index. OFFSET 0 keeps it a per-row subquery: without
 * statistics (PGlite never analyses), the planner otherwise hash-joins a full scan of api_tokens at every level,
 * and a 2,000-deep chain took 3.6 s instead of ~20 ms.
 */
const CHILDREN_OF_TREE = Prisma.sql`SELECT t.id FROM api_tokens t WHERE t.created_by = tree.id OFFSET 0`;

/**
 * The tokens a caller may see: all for the admin; for a user token, itself and every token minted under it (by it,
 * by those, …), which it may also revoke.
 */
async function visibleTo(ctx: Context): Promise<Prisma.ApiTokenWhereInput> {
  const { principal } = ctx;
  if (principal.kind === "admin") return {};
  const below = await ctx.prisma.$queryRaw<Array<{ id: string }>>`
    WITH RECURSIVE tree(id) AS (
      SELECT id FROM api_tokens WHERE created_by = ${principal.id}::uuid
      UNION SELECT below.id FROM tree, LATERAL (${CHILDREN_OF_TREE}) below
    ) SELECT id::text AS id FROM tree`;
  return { id: { in: [principal.id, ...below.map((row) => row.id)] } };
}

/** Creates a token; the secret is in this result only (it is stored as a SHA-256 hash). */
export async function createToken(ctx: Context, input: CreateTokenInput): Promise<{ token: ApiToken; secret: string }> {
  requireManager(ctx);
  const details: ErrorDetail[] = [];
  const { name } = input;
  if (typeof name !== "string" || !name.trim() || name.length > 200) {
    details.push({ path: "name", message: "must be a non-empty string of at most 200 characters" });
  }
  const type = input.type ?? "service";
  if (type !== "user" && type !== "service") details.push({ path: "type", message: "must be 'user' or 'service'" });
  let expiresAt: Date | null = null;
  if (input.expiresAt != null) {
    const parsed = typeof input.expiresAt === "string" ? new Date(input.expiresAt) : undefined;
    if (!parsed || Number.isNaN(parsed.getTime()) || parsed.getTime() <= Date.now()) {
      details.push({ path: "expires_at", message: "must be a date-time in the future" });
    } else {
      expiresAt = parsed;
    }
  }
  const grants = parseGrants(input.grants, details);
  if (details.length) throw validationError("Invalid token", details);
  const { principal } = ctx;
  if (principal.kind === "token") {
    const beyond = grants.flatMap((grant, i) => (covers(principal.grants, grant) ? [] : [i]));
    if (beyond.length) {
      throw forbidden(
        "A token can only grant what it holds",
        beyond.map((i) => ({ path: `grants[${i}]`, message: "is not covered by this token's own grants" })),
      );
    }
  }
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const token = await ctx.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT pg_advisory_xact_lock_shared(${MINT_LOCK}::bigint)::text`;
    if (principal.kind === "token") {
      // Read under the lock: a revocation of the minter (or of any token above it) has committed or not begun.
      const own = await tx.apiToken.findUnique({ where: { id: principal.id } });
      if (!own || own.revokedAt) throw unauthorized("This token was revoked");
      // Nor outlive itself.
      if (own.expiresAt && (!expiresAt || expiresAt > own.expiresAt)) expiresAt = own.expiresAt;
    }
    return tx.apiToken.create({
      data: {
        id: uuidv7(),
        name: (name as string).trim(),
        type: type as string,
        tokenHash: hashToken(secret),
        prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
        grants: grants as unknown as Prisma.InputJsonValue,
        createdBy: principal.kind === "token" ? principal.id : null,
        expiresAt,
      },
    });
  });
  ctx.log.info({ tokenId: token.id, type: token.type }, "token created");
  return { token, secret };
}

export async function listTokens(ctx: Context, input: PageInput = {}): Promise<PageResult<ApiToken>> {
  requireManager(ctx);
  const page = parsePage(input);
  const where = await visibleTo(ctx);
  const [items, total] = await Promise.all([
    ctx.prisma.apiToken.findMany({ where, orderBy: { id: "asc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.apiToken.count({ where }),
  ]);
  return { items, total, ...page };
}

export async function getToken(ctx: Context, id: string): Promise<ApiToken> {
  requireManager(ctx);
  const token = isRecordId(id)
    ? await ctx.prisma.apiToken.findFirst({ where: { AND: [{ id: id.toLowerCase() }, await visibleTo(ctx)] } })
    : null;
  if (!token) throw notFound(`Token '${id}' not found`);
  return token;
}

/**
 * Revokes the token and every token minted under it, transitively, in one transaction: at once on every instance,
 * since every request looks its token up (nothing caches one). Revoking twice is harmless, and revoking again
 * also revokes what was minted under the token before it was revoked (none can be minted after: MINT_LOCK).
 */
export async function revokeToken(ctx: Context, id: string): Promise<ApiToken> {
  const token = await getToken(ctx, id);
  const revoked = await ctx.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(${MINT_LOCK}::bigint)::text`;
    return tx.$queryRaw<Array<{ id: string }>>`
      WITH RECURSIVE tree(id) AS (
        SELECT ${token.id}::uuid
        UNION SELECT below.id FROM tree, LATERAL (${CHILDREN_OF_TREE}) below
      )
      UPDATE api_tokens SET revoked_at = now()
      WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL
      RETURNING id::text AS id`;
  });
  if (revoked.length) ctx.log.info({ tokenId: token.id, revoked: revoked.length }, "token revoked");
  return (await ctx.prisma.apiToken.findUnique({ where: { id: token.id } })) ?? token;
}

export type { Grant };
