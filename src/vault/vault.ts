import { v7 as uuidv7 } from "uuid";
import type { PrismaClient, VaultSecret } from "../generated/prisma/client.ts";
import { decrypt, encrypt, type VaultKey } from "./crypto.ts";

export type { VaultSecret };

/** How long another instance's rotation may take to reach this one's revealed values. */
export const REVEAL_TTL_MS = 30_000;

export interface SecretWrite {
  name: string;
  value: string;
  contentType?: string;
  tags?: string[];
  expiresAt?: Date | null;
}

/**
 * Encrypted secrets. Reads return rows without any way back to the value; only `reveal` decrypts, for the server's
 * own use (sources and triggers resolving `vault:<name>`), never for a response.
 */
export class Vault {
  /**
   * Values revealed in the last REVEAL_TTL_MS, so a proxied request does not pay a statement and a decryption for its
   * source's secret. This instance's own changes drop them at once; another instance's are seen within the TTL.
   */
  private readonly revealed = new Map<string, { value: Promise<string | undefined>; until: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly key: VaultKey,
    /** The key before the last rotation of RECORDGATE_SECRET_KEY, to re-encrypt what it still protects. */
    private readonly previous?: VaultKey,
  ) {}

  /** Runs a change, then drops every revealed value: any read that started before it may hold the old one. */
  private async changing<T>(change: Promise<T>): Promise<T> {
    try {
      return await change;
    } finally {
      this.revealed.clear();
    }
  }

  create(write: SecretWrite): Promise<VaultSecret> {
    const id = uuidv7();
    return this.changing(
      this.prisma.vaultSecret.create({
        data: {
          id,
          name: write.name,
          ciphertext: encrypt(this.key, write.value, id),
          keyId: this.key.id,
          contentType: write.contentType ?? "text/plain",
          tags: write.tags ?? [],
          expiresAt: write.expiresAt ?? null,
        },
      }),
    );
  }

  /** A new value for the secret (the `rotate` operation); `expiresAt` is replaced when given. */
  rotate(id: string, value: string, expiresAt?: Date | null): Promise<VaultSecret> {
    return this.changing(
      this.prisma.vaultSecret.update({
        where: { id },
        data: {
          ciphertext: encrypt(this.key, value, id),
          keyId: this.key.id,
          version: { increment: 1 },
          ...(expiresAt !== undefined ? { expiresAt } : {}),
        },
      }),
    );
  }

  /** false when there was no such secret. */
  async delete(id: string): Promise<boolean> {
    const { count } = await this.changing(this.prisma.vaultSecret.deleteMany({ where: { id } }));
    return count > 0;
  }

  /** The secret's value (undefined when there is none by that name), for the server's own use only. */
  reveal(name: string): Promise<string | undefined> {
    const now = Date.now();
    const hit = this.revealed.get(name);
    if (hit && hit.until > now) return hit.value;
    const value = this.read(name);
    this.revealed.set(name, { value, until: now + REVEAL_TTL_MS });
    // A failed read is not remembered: the next call tries again.
    value.catch(() => {
      if (this.revealed.get(name)?.value === value) this.revealed.delete(name);
    });
    return value;
  }

  private async read(name: string): Promise<string | undefined> {
    const secret = await this.prisma.vaultSecret.findUnique({ where: { name } });
    if (!secret) return undefined;
    const key =
      secret.keyId === this.key.id ? this.key : secret.keyId === this.previous?.id ? this.previous : undefined;
    if (!key) throw new Error(`vault secret '${name}' is encrypted under a key this server does not have`);
    return decrypt(key, secret.ciphertext, secret.id);
  }

  /**
   * Re-encrypts everything still under the previous key with the current one, in one transaction: after a key
   * rotation the old key can be retired once this has run. Returns how many secrets moved.
   */
  async reencrypt(): Promise<number> {
    const previous = this.previous;
    if (!previous || previous.id === this.key.id) return 0;
    return this.changing(
      this.prisma.$transaction(async (tx) => {
        const stale = await tx.vaultSecret.findMany({ where: { keyId: previous.id } });
        for (const secret of stale) {
          const value = decrypt(previous, secret.ciphertext, secret.id);
          await tx.vaultSecret.update({
            where: { id: secret.id },
            data: { ciphertext: encrypt(this.key, value, secret.id), keyId: this.key.id },
          });
        }
        return stale.length;
      }),
    );
  }

  /** How many secrets are under a key this server does not hold (they cannot be revealed). */
  unreadable(): Promise<number> {
    const known = [this.key.id, ...(this.previous ? [this.previous.id] : [])];
    return this.prisma.vaultSecret.count({ where: { keyId: { notIn: known } } });
  }
}
