// The SDK-free S3 presigner against the AWS SDK's own getSignedUrl: for the same date, credentials and key,
// the same URL (the same raw path and query parameters, the SDK's x-id given as an extra one; only their order
// differs), so every server that accepts the SDK's URLs accepts ours. Path style and virtual host, session tokens, keys that need escaping, part
// URLs, and a signing key kept across days. Served URLs are checked against versitygw in s3.test.ts.
import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { S3Presigner, uriEncode, type S3PresignTarget } from "../../src/block/s3-presign";

const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const KEYS = ["ns/data/0190abc", "a b/ü+é?x=1&y#z", "dir//double/ trailing/", "~tilde_(paren)*!'"];

/** The URL with its raw query parameters sorted: the signature does not depend on their order in the URL. */
function normalized(url: string): string {
  const [base, query] = url.split("?");
  return `${base}?${query.split("&").sort().join("&")}`;
}

/** A client configured as S3ObjectStore configures its own (no checksum mode on GETs). */
function sdk(t: S3PresignTarget) {
  return new S3Client({
    region: t.region, endpoint: t.endpoint, forcePathStyle: t.forcePathStyle,
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey, sessionToken: t.sessionToken },
  });
}

describe("block: S3 presigner", () => {
  const targets: Array<[string, S3PresignTarget]> = [
    ["path style on an S3-compatible server", { bucket: "bkt", endpoint: "http://127.0.0.1:7070", region: "us-east-1", forcePathStyle: true, ...CREDS }],
    ["virtual host on AWS, with a session token", { bucket: "my-bucket", region: "eu-west-1", forcePathStyle: false, ...CREDS, sessionToken: "tok/en+=" }],
  ];
  for (const [name, target] of targets) {
    it(`signs GET, PUT and part URLs exactly as the SDK does: ${name}`, async () => {
      const client = sdk(target);
      const ours = new S3Presigner(target);
      try {
        for (const signingDate of [new Date("2026-11-24T13:05:44.123Z"), new Date("2026-11-25T00:00:01Z")]) {
          for (const Key of KEYS) {
            const p = { Bucket: target.bucket, Key };
            const get = await getSignedUrl(client, new GetObjectCommand(p), { expiresIn: 900, signingDate });
            assert.equal(normalized(ours.presign("GET", Key, 900, { "x-id": "GetObject" }, signingDate)), normalized(get));
            const put = await getSignedUrl(client, new PutObjectCommand(p), { expiresIn: 60, signingDate });
            assert.equal(normalized(ours.presign("PUT", Key, 60, { "x-id": "PutObject" }, signingDate)), normalized(put));
            const part = await getSignedUrl(client, new UploadPartCommand({ ...p, UploadId: "up/id+1", PartNumber: 7 }), { expiresIn: 900, signingDate });
            assert.equal(normalized(ours.presign("PUT", Key, 900, { "x-id": "UploadPart", partNumber: "7", uploadId: "up/id+1" }, signingDate)), normalized(part));
          }
        }
      } finally {
        client.destroy();
      }
    });
  }

  it("escapes all but RFC 3986 unreserved characters, keeping slashes only in paths", () => {
    assert.equal(uriEncode("a/b c+ü~", true), "a/b%20c%2B%C3%BC~");
    assert.equal(uriEncode("a/b", false), "a%2Fb");
  });
});
