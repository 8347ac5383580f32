import { conflict, type ErrorDetail, forbidden, notFound, validationError } from "../errors/app-error.ts";
import { translateDatabaseError } from "../errors/database-error.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { isRecordId } from "../identifiers.ts";
import type { VaultSecret } from "../vault/vault.ts";
import type { Context } from "./context.ts";

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_VALUE_BYTES = 64 * 1024;
const MAX_TAGS = 20;

export interface SecretInput {
  name?: unknown;
  value?: unknown;
  contentType?: unknown;
  tags?: unknown;
  expiresAt?: unknown;
}

/**
 * The vault is account-level and holds what unlocks other systems: only the admin token, or a token with a grant
 * of every permission on every workspace, may use it.
 */
function authorizeVault(ctx: Context): void {
  const { principal } = ctx;
  if (principal.kind === "admin") return;
  const full = principal.grants.some(
    (g) =>
      g.permissions.includes("*") && g.scope.workspaces.includes("*") && !g.scope.collections && !g.scope.environments,
  );
  if (!full) throw forbidden("The vault needs the admin token or a token granted '*' on every workspace");
}

function parseExpiry(value: unknown, details: ErrorDetail[]): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    details.push({ path: "expires_at", message: "must be an RFC 3339 date-time" });
    return undefined;
  }
  return date;
}

function checkValue(value: unknown, details: ErrorDetail[]): string | undefined {
  if (typeof value !== "string" || value.length === 0) {
    details.push({ path: "value", message: "is required: a non-empty string (base64 for binary content)" });
    return undefined;
  }
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
    details.push({ path: "value", message: `must be at most ${MAX_VALUE_BYTES} bytes` });
    return undefined;
  }
  return value;
}

/** Stores a new secret; the response (like every other) carries no value. */
export async function createSecret(ctx: Context, input: SecretInput): Promise<VaultSecret> {
  authorizeVault(ctx);
  const details: ErrorDetail[] = [];
  if (typeof input.name !== "string" || !NAME.test(input.name)) {
    details.push({ path: "name", message: "must be 1-128 characters of letters, digits, '_', '.' or '-'" });
  }
  const value = checkValue(input.value, details);
  if (input.contentType !== undefined && (typeof input.contentType !== "string" || !input.contentType.includes("/"))) {
    details.push({ path: "content_type", message: "must be a media type such as text/plain" });
  }
  const tags = input.tags ?? [];
  if (!Array.isArray(tags) || tags.length > MAX_TAGS || !tags.every((t) => typeof t === "string" && t.length <= 64)) {
    details.push({ path: "tags", message: `must be at most ${MAX_TAGS} strings of up to 64 characters` });
  }
  const expiresAt = parseExpiry(input.expiresAt, details);
  if (details.length || value === undefined) throw validationError("Invalid secret", details);
  const secret = await ctx.vault
    .create({
      name: input.name as string,
      value,
      contentType: input.contentType as string | undefined,
      tags: tags as string[],
      expiresAt,
    })
    .catch((error: unknown) =>
      translateDatabaseError(error, {
        unique: () => conflict(`A secret named '${input.name}' exists`, [{ path: "name", message: "is taken" }]),
      }),
    );
  ctx.log.info({ secretId: secret.id, name: secret.name }, "vault secret created");
  return secret;
}

export interface ListSecretsInput {
  /** Only secrets whose expires_at falls within `days` from now (already expired ones included). */
  expiring?: boolean;
  days?: number;
}

export async function listSecrets(ctx: Context, input: ListSecretsInput = {}): Promise<VaultSecret[]> {
  authorizeVault(ctx);
  const days = input.days ?? 30;
  if (!Number.isInteger(days) || days < 0 || days > 3650) {
    throw validationError("Invalid secret filter", [{ path: "days", message: "must be an integer from 0 to 3650" }]);
  }
  const where: Prisma.VaultSecretWhereInput = input.expiring
    ? { expiresAt: { lte: new Date(Date.now() + days * 86_400_000) } }
    : {};
  return ctx.prisma.vaultSecret.findMany({ where, orderBy: { name: "asc" } });
}

export async function getSecret(ctx: Context, id: string): Promise<VaultSecret> {
  authorizeVault(ctx);
  const secret = isRecordId(id) ? await ctx.prisma.vaultSecret.findUnique({ where: { id: id.toLowerCase() } }) : null;
  if (!secret) throw notFound(`Secret '${id}' not found`);
  return secret;
}

export async function rotateSecret(
  ctx: Context,
  id: string,
  input: { value?: unknown; expiresAt?: unknown },
): Promise<VaultSecret> {
  const secret = await getSecret(ctx, id);
  const details: ErrorDetail[] = [];
  const value = checkValue(input.value, details);
  const expiresAt = parseExpiry(input.expiresAt, details);
  if (details.length || value === undefined) throw validationError("Invalid rotation", details);
  const rotated = await ctx.vault.rotate(secret.id, value, expiresAt);
  ctx.log.info({ secretId: secret.id, version: rotated.version }, "vault secret rotated");
  return rotated;
}

export async function deleteSecret(ctx: Context, id: string): Promise<void> {
  const secret = await getSecret(ctx, id);
  await ctx.vault.delete(secret.id);
  ctx.log.info({ secretId: secret.id }, "vault secret deleted");
}
