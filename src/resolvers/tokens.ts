import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { hashToken, TOKEN_PREFIX } from "../auth/authenticate.ts";
import { covers, type Grant, parseGrants } from "../auth/grants.ts";
import { type ErrorDetail, forbidden, notFound, validationError } from "../errors/app-error.ts";
import type { ApiToken, Prisma } from "../generated/prisma/client.ts";
import type { Context } from "./context.ts";
import { isRecordId } from "./identifiers.ts";
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

/**
 * Tokens are managed by people: the root admin token, and `user` tokens within their own grants. A `service` token
 * (an application or agent) cannot mint or revoke credentials.
 */
function requireManager(ctx: Context): void {
  if (ctx.principal.kind === "token" && ctx.principal.type !== "user") {
    throw forbidden("Only the admin token and user tokens manage tokens; this is a service token");
  }
}

/** The tokens a caller may see: all for the admin, itself and those it created for a user token. */
function visibleTo(ctx: Context): Prisma.ApiTokenWhereInput {
  const { principal } = ctx;
  if (principal.kind === "admin") return {};
  return { OR: [{ id: principal.id }, { createdBy: principal.id }] };
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
    // Nor outlive itself.
    const own = await ctx.prisma.apiToken.findUnique({ where: { id: principal.id } });
    if (own?.expiresAt && (!expiresAt || expiresAt > own.expiresAt)) expiresAt = own.expiresAt;
  }
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const token = await ctx.prisma.apiToken.create({
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
  ctx.log.info({ tokenId: token.id, type: token.type }, "token created");
  return { token, secret };
}

export async function listTokens(ctx: Context, input: PageInput = {}): Promise<PageResult<ApiToken>> {
  requireManager(ctx);
  const page = parsePage(input);
  const where = visibleTo(ctx);
  const [items, total] = await Promise.all([
    ctx.prisma.apiToken.findMany({ where, orderBy: { id: "asc" }, take: page.limit, skip: page.offset }),
    ctx.prisma.apiToken.count({ where }),
  ]);
  return { items, total, ...page };
}

export async function getToken(ctx: Context, id: string): Promise<ApiToken> {
  requireManager(ctx);
  const token = isRecordId(id)
    ? await ctx.prisma.apiToken.findFirst({ where: { AND: [{ id: id.toLowerCase() }, visibleTo(ctx)] } })
    : null;
  if (!token) throw notFound(`Token '${id}' not found`);
  return token;
}

/** Revokes at once (every request looks the token up); revoking twice is harmless. */
export async function revokeToken(ctx: Context, id: string): Promise<ApiToken> {
  const token = await getToken(ctx, id);
  if (token.revokedAt) return token;
  const revoked = await ctx.prisma.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
  ctx.log.info({ tokenId: token.id }, "token revoked");
  return revoked;
}

export type { Grant };
