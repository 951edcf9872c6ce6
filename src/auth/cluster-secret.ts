// The cluster secret (TARN_CLUSTER_SECRET or --cluster-secret-file) is shared by metadata members and
// gateways. Nothing uses it directly: each purpose gets its own key derived with HKDF-SHA256, so a key
// that leaks from one use (say, a log of peer signatures) says nothing about the others.
import { hkdfSync } from "node:crypto";
import * as fs from "node:fs";
import { invalidArgument } from "../errors";

const MIN_SECRET_BYTES = 16;
const HKDF_SALT = "tarn cluster secret";

export interface ClusterKeys {
  /** HMAC key for peer-to-peer calls (Raft, forwarding). Clients never hold it. */
  readonly peerKey: Buffer;
  /** AES-256-GCM key for the access key secrets stored in the replicated state. */
  readonly credentialKey: Buffer;
}

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, purpose, 32));
}

export function deriveClusterKeys(clusterSecret: string | Buffer, source = "the cluster secret"): ClusterKeys {
  const secret = Buffer.isBuffer(clusterSecret) ? clusterSecret : Buffer.from(clusterSecret, "utf8");
  if (secret.length < MIN_SECRET_BYTES) {
    throw invalidArgument(`${source} is too short: ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are needed (use e.g. 'openssl rand -hex 32')`);
  }
  return { peerKey: derive(secret, "peer-auth-v1"), credentialKey: derive(secret, "credential-secrets-v1") };
}

/**
 * The cluster secret from `--cluster-secret-file` (wins when given; one trailing newline is dropped, as
 * `echo` and Kubernetes secrets add one) or TARN_CLUSTER_SECRET. Undefined when neither is set.
 */
export function readClusterSecret(options: { file?: string; env?: NodeJS.ProcessEnv }): { secret: string; source: string } | undefined {
  if (options.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(options.file, "utf8");
    } catch (err) {
      throw invalidArgument(`cannot read the cluster secret file ${options.file}: ${(err as Error).message}`, err);
    }
    return { secret: text.replace(/\r?\n$/, ""), source: `cluster secret file ${options.file}` };
  }
  const value = (options.env ?? process.env).TARN_CLUSTER_SECRET;
  return value === undefined || value === "" ? undefined : { secret: value, source: "TARN_CLUSTER_SECRET" };
}
