// How access key secrets are kept in the replicated state.
//
// Why not a one-way hash: the S3 gateway verifies AWS Signature V4, whose signing key is an HMAC chain that
// starts from the plaintext secret. The server must therefore be able to recover the secret, which is why
// AWS and lakeFS keep it server-side too. Tarn stores it encrypted with AES-256-GCM under a key derived
// from the cluster secret (cluster-secret.ts), so a copy of the LevelDB directory or of a Raft snapshot on
// the object store does not reveal any secret without TARN_CLUSTER_SECRET. The access key id is bound as
// additional authenticated data, so an encrypted secret copied onto another key's record fails to decrypt.
//
// Stored form: "v1." + base64url(iv[12] | tag[16] | ciphertext).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CorruptionError } from "../errors";

const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const aad = (accessKeyId: string) => Buffer.from(`tarn access key ${accessKeyId}`, "utf8");

export function encryptSecret(credentialKey: Buffer, accessKeyId: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", credentialKey, iv);
  cipher.setAAD(aad(accessKeyId));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url");
}

/** Throws CorruptionError naming the key when the record was altered or the cluster secret differs. */
export function decryptSecret(credentialKey: Buffer, accessKeyId: string, stored: string): string {
  const what = `access key ${accessKeyId}`;
  if (!stored.startsWith(VERSION)) throw new CorruptionError(what, `stored secret has an unknown format '${stored.slice(0, 3)}'`);
  const raw = Buffer.from(stored.slice(VERSION.length), "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new CorruptionError(what, `stored secret is truncated (${raw.length} bytes)`);
  const decipher = createDecipheriv("aes-256-gcm", credentialKey, raw.subarray(0, IV_BYTES));
  decipher.setAAD(aad(accessKeyId));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new CorruptionError(what, "stored secret does not decrypt: the record was altered or the cluster secret differs from the one it was written with", {
      cause: err,
    });
  }
}
