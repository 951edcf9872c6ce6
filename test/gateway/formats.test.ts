// The gateway's pure parts: aws-chunked decoding with chunk signatures (AWS's published example), SigV2's
// string to sign (AWS's published example), the XML reader, ranges and preconditions.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { parseSigV2Header, sigV2Sign, sigV2StringToSign } from "../../src/auth/sigv2";
import { signingKey } from "../../src/auth/sigv4";
import { evaluate, parseRange } from "../../src/gateway/conditions";
import { S3Error } from "../../src/gateway/errors";
import { PayloadVerifier } from "../../src/gateway/payload";
import { parseXml } from "../../src/gateway/xml";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

async function decode(verifier: PayloadVerifier, body: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  verifier.feedFrom(Readable.from(body));
  for await (const c of verifier) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe("gateway formats", () => {
  describe("aws-chunked with chunk signatures (AWS's STREAMING-AWS4-HMAC-SHA256-PAYLOAD example)", () => {
    const credential = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", date: "20130524", region: "us-east-1", service: "s3" };
    const signing = { key: signingKey(SECRET, credential), amzDate: "20130524T000000Z", credential, seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9" };
    const framed = (sig1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") =>
      Buffer.concat([
        Buffer.from(`10000;chunk-signature=${sig1}\r\n`), Buffer.alloc(65536, "a"), Buffer.from("\r\n"),
        Buffer.from("400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"), Buffer.alloc(1024, "a"), Buffer.from("\r\n"),
        Buffer.from("0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"),
      ]);

    it("decodes the example's 66,560 bytes, fed in awkward pieces", async () => {
      const body = framed();
      const pieces = [body.subarray(0, 7), body.subarray(7, 70_000), body.subarray(70_000, 70_001), body.subarray(70_001)];
      const out = await decode(new PayloadVerifier({ declaredLength: 66560, chunked: { signing, trailer: false }, expectations: [] }), pieces);
      assert.equal(out.length, 66560);
      assert.ok(out.every((b) => b === 0x61));
    });

    it("refuses a chunk whose signature does not match", async () => {
      const wrong = "0".repeat(64);
      await assert.rejects(decode(new PayloadVerifier({ declaredLength: 66560, chunked: { signing, trailer: false }, expectations: [] }), [framed(wrong)]), (err: S3Error) => err.code === "SignatureDoesNotMatch");
    });
  });

  it("signs AWS's SigV2 GET example to its published signature", () => {
    const toSign = sigV2StringToSign({
      method: "GET", contentMd5: "", contentType: "", date: "Tue, 27 Mar 2007 19:36:42 +0000", amzHeaders: [], bucketPrefix: "/johnsmith", rawPath: "/photos/puppy.jpg", query: [],
    });
    assert.equal(toSign, "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
    assert.equal(sigV2Sign(SECRET, toSign), "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    assert.deepEqual(parseSigV2Header("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="), { accessKeyId: "AKIAIOSFODNN7EXAMPLE", signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU=" });
  });

  it("reads well-formed XML and refuses the rest as MalformedXML", () => {
    const doc = parseXml('<?xml version="1.0"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object><!-- c --></Delete>', "test");
    assert.equal(doc.name, "Delete");
    assert.equal(doc.children[1].children[0].text, "a & b");
    for (const bad of ["", "<Delete>", "<Delete></Other>", "<Delete/>trailing", "not xml", "<A><B></A></B>"]) {
      assert.throws(() => parseXml(bad, "test"), (err: S3Error) => err.code === "MalformedXML", bad);
    }
  });

  it("parses ranges and evaluates preconditions", () => {
    assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-5", 100), { start: 95, end: 99 });
    assert.deepEqual(parseRange("bytes=50-1000", 100), { start: 50, end: 99 });
    assert.equal(parseRange("bytes=0-1,5-6", 100), undefined);
    assert.throws(() => parseRange("bytes=100-", 100), (err: S3Error) => err.code === "InvalidRange");
    assert.equal(evaluate({ ifNoneMatch: '"abc"' }, "abc", 10), 304);
    assert.equal(evaluate({ ifMatch: '"abc"' }, "abc", 10), 200);
    assert.throws(() => evaluate({ ifMatch: '"x"' }, "abc", 10), (err: S3Error) => err.code === "PreconditionFailed");
    assert.equal(evaluate({ ifModifiedSince: new Date(20_000).toUTCString() }, "abc", 10), 304);
    assert.equal(evaluate({ ifModifiedSince: new Date(5_000).toUTCString() }, "abc", 10), 200);
  });
});
