// Access keys: an id that names the key in every signed request, and a secret that never leaves the client
// except once, when the key is created. Shapes follow AWS (AKIA + 16 characters; 40-character secret) so
// tools that sanity-check AWS-style keys (boto3, the aws CLI, rclone) accept Tarn's for the S3 gateway.
import { randomBytes } from "node:crypto";
import { invalidArgument } from "../errors";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Generated key ids: AKIA and 16 characters of uppercase base32 (80 random bits). */
export const GENERATED_ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;

/** Any key id Tarn accepts, including ones an operator supplies (TARN_ADMIN_ACCESS_KEY_ID). */
const ACCESS_KEY_ID = /^[A-Za-z0-9]{8,128}$/;

/** Any secret Tarn accepts: printable ASCII without spaces, as AWS SDKs send it unchanged. */
const SECRET_ACCESS_KEY = /^[\x21-\x7e]{16,128}$/;

export function generateAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = "AKIA";
  for (const byte of bytes) id += BASE32[byte & 31];
  return id;
}

/** 30 random bytes as 40 characters of base64url (240 bits). */
export function generateSecretAccessKey(): string {
  return randomBytes(30).toString("base64url");
}

export function checkAccessKeyId(id: string): string {
  if (!ACCESS_KEY_ID.test(id)) {
    throw invalidArgument(`invalid access key id '${id}': expected 8 to 128 letters and digits, like AKIAIOSFODNN7EXAMPLE`);
  }
  return id;
}

/** Validates a secret without ever echoing it in the message. */
export function checkSecretAccessKey(secret: string, accessKeyId: string): string {
  if (!SECRET_ACCESS_KEY.test(secret)) {
    throw invalidArgument(
      `invalid secret access key for '${accessKeyId}': expected 16 to 128 printable ASCII characters without spaces (got ${secret.length} characters)`,
    );
  }
  return secret;
}
