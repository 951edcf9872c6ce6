// How the metadata service hands an access key's secret to a gateway (AuthService.GetCredentialForGateway).
// The secret never crosses the wire in plaintext: it is sealed with AES-256-GCM under a key derived from the
// gateway key (HKDF-SHA256, "gateway-credential-v1"), which both the members (from the cluster secret) and
// the gateway (from the secret or its gateway token) hold. The access key id and the user id are bound as
// additional data, so an answer for one key cannot be passed off as another's.
//
// Sealed form: iv[12] | tag[16] | ciphertext.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { CorruptionError } from "../errors";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const derived = new WeakMap<Buffer, Buffer>();

/** The AES key for sealed credentials, derived once per gateway key. */
export function gatewayCredentialKey(gatewayKey: Buffer): Buffer {
  let key = derived.get(gatewayKey);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", gatewayKey, "tarn gateway key", "gateway-credential-v1", 32));
    derived.set(gatewayKey, key);
  }
  return key;
}

const aad = (accessKeyId: string, userId: string) => Buffer.from(`tarn gateway credential\n${accessKeyId}\n${userId}`, "utf8");

export function sealGatewayCredential(gatewayKey: Buffer, accessKeyId: string, userId: string, secret: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", gatewayCredentialKey(gatewayKey), iv);
  cipher.setAAD(aad(accessKeyId, userId));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** Throws CorruptionError naming the key when the answer was altered or sealed under another gateway key. */
export function openGatewayCredential(gatewayKey: Buffer, accessKeyId: string, userId: string, sealed: Uint8Array): string {
  const what = `gateway credential for access key ${accessKeyId}`;
  const raw = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (raw.length < IV_BYTES + TAG_BYTES) throw new CorruptionError(what, `sealed secret is truncated (${raw.length} bytes)`);
  const decipher = createDecipheriv("aes-256-gcm", gatewayCredentialKey(gatewayKey), raw.subarray(0, IV_BYTES));
  decipher.setAAD(aad(accessKeyId, userId));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new CorruptionError(what, "sealed secret does not decrypt: the gateway's key differs from the cluster's, or the answer was altered", { cause: err });
  }
}
