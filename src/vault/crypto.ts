import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** An AES-256 key and its fingerprint, stored beside each value so rotation knows what to re-encrypt. */
export interface VaultKey {
  id: string;
  key: Buffer;
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** RECORDGATE_SECRET_KEY: 32 bytes, base64 (44 characters) or hex (64). */
export function parseKey(text: string): VaultKey {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) throw new Error("a vault key must be 32 bytes, base64- or hex-encoded");
  return { id: createHash("sha256").update(key).digest("hex").slice(0, 16), key };
}

export const generateKey = () => randomBytes(32).toString("base64");

/**
 * AES-256-GCM with a fresh 96-bit IV per value; `context` (the secret's id) is authenticated too, so a ciphertext
 * copied onto another secret's row fails to decrypt instead of revealing its value under the wrong name.
 */
export function encrypt(key: VaultKey, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

export function decrypt(key: VaultKey, stored: string, context: string): string {
  const [version, payload] = stored.split(":");
  if (version !== VERSION || !payload) throw new Error("unknown vault ciphertext format");
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key.key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
}
