import { v7 as uuidv7 } from "uuid";
import type { PrismaClient, VaultSecret } from "../generated/prisma/client.ts";
import { decrypt, encrypt, type VaultKey } from "./crypto.ts";

export type { VaultSecret };

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
  constructor(
    private readonly prisma: PrismaClient,
    private readonly key: VaultKey,
    /** The key before the last rotation of RECORDGATE_SECRET_KEY, to re-encrypt what it still protects. */
    private readonly previous?: VaultKey,
  ) {}

  create(write: SecretWrite): Promise<VaultSecret> {
    const id = uuidv7();
    return this.prisma.vaultSecret.create({
      data: {
        id,
        name: write.name,
        ciphertext: encrypt(this.key, write.value, id),
        keyId: this.key.id,
        contentType: write.contentType ?? "text/plain",
        tags: write.tags ?? [],
        expiresAt: write.expiresAt ?? null,
      },
    });
  }

  /** A new value for the secret (the `rotate` operation); `expiresAt` is replaced when given. */
  rotate(id: string, value: string, expiresAt?: Date | null): Promise<VaultSecret> {
    return this.prisma.vaultSecret.update({
      where: { id },
      data: {
        ciphertext: encrypt(this.key, value, id),
        keyId: this.key.id,
        version: { increment: 1 },
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      },
    });
  }

  async reveal(name: string): Promise<string | undefined> {
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
    return this.prisma.$transaction(async (tx) => {
      const stale = await tx.vaultSecret.findMany({ where: { keyId: previous.id } });
      for (const secret of stale) {
        const value = decrypt(previous, secret.ciphertext, secret.id);
        await tx.vaultSecret.update({
          where: { id: secret.id },
          data: { ciphertext: encrypt(this.key, value, secret.id), keyId: this.key.id },
        });
      }
      return stale.length;
    });
  }

  /** How many secrets are under a key this server does not hold (they cannot be revealed). */
  unreadable(): Promise<number> {
    const known = [this.key.id, ...(this.previous ? [this.previous.id] : [])];
    return this.prisma.vaultSecret.count({ where: { keyId: { notIn: known } } });
  }
}
