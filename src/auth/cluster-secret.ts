// The cluster secret (TARN_CLUSTER_SECRET or --cluster-secret-file) is shared by the metadata members.
// Nothing uses it directly: each purpose gets its own key derived with HKDF-SHA256, so a key that leaks from
// one use says nothing about the others.
//
// Gateways are peers of lesser rank: they may forward users' calls but must never take part in Raft. An
// operator can give a gateway the whole cluster secret (simple, trusted sidecars) or only its gateway token
// (`gatewayTokenFor`), from which nothing else can be derived: a gateway holding a token can sign as a
// gateway and cannot sign as a member, nor decrypt stored access key secrets.
import { hkdfSync } from "node:crypto";
import * as fs from "node:fs";
import { invalidArgument } from "../errors";

const MIN_SECRET_BYTES = 16;
const HKDF_SALT = "tarn cluster secret";
const GATEWAY_TOKEN_PREFIX = "tarngw1.";

export interface ClusterKeys {
  /** HMAC key for calls between metadata members (Raft, forwarding). */
  readonly memberKey: Buffer;
  /** HMAC key for calls from gateways acting for users. */
  readonly gatewayKey: Buffer;
  /** AES-256-GCM key for the access key secrets stored in the replicated state. */
  readonly credentialKey: Buffer;
}

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, purpose, 32));
}

export function deriveClusterKeys(clusterSecret: string | Buffer, source = "the cluster secret"): ClusterKeys {
  const secret = Buffer.isBuffer(clusterSecret) ? clusterSecret : Buffer.from(clusterSecret, "utf8");
  if (secret.toString("utf8").startsWith(GATEWAY_TOKEN_PREFIX)) {
    throw invalidArgument(`${source} is a gateway token, not a cluster secret: metadata members need the cluster secret itself`);
  }
  if (secret.length < MIN_SECRET_BYTES) {
    throw invalidArgument(`${source} is too short: ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are needed (use e.g. 'openssl rand -hex 32')`);
  }
  return {
    memberKey: derive(secret, "member-auth-v1"),
    gatewayKey: derive(secret, "gateway-auth-v1"),
    credentialKey: derive(secret, "credential-secrets-v1"),
  };
}

/** What to give a gateway that must not be able to act as a member: "tarngw1." + its key. */
export function gatewayTokenFor(clusterSecret: string | Buffer): string {
  return GATEWAY_TOKEN_PREFIX + deriveClusterKeys(clusterSecret).gatewayKey.toString("base64url");
}

/**
 * The gateway signing key from what a gateway was configured with: a gateway token, or the cluster secret
 * itself (from which the same key is derived).
 */
export function gatewayKeyFrom(secretOrToken: string, source = "the cluster secret"): Buffer {
  if (!secretOrToken.startsWith(GATEWAY_TOKEN_PREFIX)) return deriveClusterKeys(secretOrToken, source).gatewayKey;
  const key = Buffer.from(secretOrToken.slice(GATEWAY_TOKEN_PREFIX.length), "base64url");
  if (key.length !== 32) throw invalidArgument(`${source} is a malformed gateway token: expected 32 key bytes after '${GATEWAY_TOKEN_PREFIX}', found ${key.length}`);
  return key;
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
