import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decryptSecret, deriveClusterKeys, encryptSecret, GENERATED_ACCESS_KEY_ID, generateAccessKeyId, generateSecretAccessKey, readClusterSecret } from "../../src/auth";
import { CorruptionError } from "../../src/errors";

const { credentialKey, memberKey, gatewayKey } = deriveClusterKeys("cluster secret for the tests 0123");
const KEY_ID = "AKIAABCDEFGHIJKLMNOP";

function corrupt(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => err instanceof CorruptionError && err.file === `access key ${KEY_ID}` && message.test(err.message));
}

describe("auth: access keys and their encrypted secrets", () => {
  it("generates AWS-shaped key ids and 40-character base64url secrets, all different", () => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = generateAccessKeyId();
      const secret = generateSecretAccessKey();
      assert.match(id, GENERATED_ACCESS_KEY_ID);
      assert.equal(id.length, 20);
      assert.match(secret, /^[A-Za-z0-9_-]{40}$/);
      ids.add(id);
      secrets.add(secret);
    }
    assert.equal(ids.size, 200);
    assert.equal(secrets.size, 200);
  });

  it("derives distinct keys for distinct purposes", () => {
    assert.equal(credentialKey.length, 32);
    assert.notDeepEqual(credentialKey, memberKey);
    assert.notDeepEqual(gatewayKey, memberKey);
    assert.notDeepEqual(gatewayKey, credentialKey);
    assert.deepEqual(deriveClusterKeys("cluster secret for the tests 0123").credentialKey, credentialKey);
  });

  it("round-trips a secret, and never stores the plaintext", () => {
    const secret = generateSecretAccessKey();
    const stored = encryptSecret(credentialKey, KEY_ID, secret);
    assert.ok(!stored.includes(secret));
    assert.match(stored, /^v1\./);
    assert.notEqual(encryptSecret(credentialKey, KEY_ID, secret), stored, "a fresh IV every time");
    assert.equal(decryptSecret(credentialKey, KEY_ID, stored), secret);
  });

  it("detects a flipped bit anywhere in the stored secret", () => {
    const stored = encryptSecret(credentialKey, KEY_ID, "the secret value 1234567890");
    const raw = Buffer.from(stored.slice(3), "base64url");
    for (const at of [0, 11, 12, 27, 28, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[at] ^= 0x01;
      corrupt(() => decryptSecret(credentialKey, KEY_ID, "v1." + altered.toString("base64url")), /does not decrypt: the record was altered or the cluster secret differs/);
    }
  });

  it("refuses a secret moved to another key id, a different cluster secret, and malformed records", () => {
    const stored = encryptSecret(credentialKey, "AKIAOTHEROTHEROTHER0", "the secret value 1234567890");
    corrupt(() => decryptSecret(credentialKey, KEY_ID, stored), /does not decrypt/);
    const mine = encryptSecret(credentialKey, KEY_ID, "the secret value 1234567890");
    corrupt(() => decryptSecret(deriveClusterKeys("a different cluster secret!!").credentialKey, KEY_ID, mine), /does not decrypt/);
    corrupt(() => decryptSecret(credentialKey, KEY_ID, "plaintext-secret"), /unknown format/);
    corrupt(() => decryptSecret(credentialKey, KEY_ID, "v1.AAAA"), /truncated/);
  });

  it("reads the cluster secret from a file (dropping one trailing newline) before the environment", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-auth-"));
    try {
      const file = path.join(dir, "secret");
      fs.writeFileSync(file, "from-the-file-0123456789\n");
      assert.deepEqual(readClusterSecret({ file, env: { TARN_CLUSTER_SECRET: "from-env" } }), { secret: "from-the-file-0123456789", source: `cluster secret file ${file}` });
      assert.deepEqual(readClusterSecret({ env: { TARN_CLUSTER_SECRET: "from-env" } }), { secret: "from-env", source: "TARN_CLUSTER_SECRET" });
      assert.equal(readClusterSecret({ env: {} }), undefined);
      assert.throws(() => readClusterSecret({ file: path.join(dir, "missing") }), /cannot read the cluster secret file .*missing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
