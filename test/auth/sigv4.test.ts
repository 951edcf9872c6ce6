// SigV4 against AWS's published examples (Amazon S3 API reference, "Signature calculations for the
// Authorization header": GET object with a range; and the seed and first chunk signatures of the
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD example), plus the URI-encoding rules S3 uses.
import assert from "node:assert/strict";
import * as v4 from "../../src/auth/sigv4";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("auth: SigV4 for S3", () => {
  it("signs AWS's GET-object example to its published signature", () => {
    const headers: Record<string, string> = {
      host: "examplebucket.s3.amazonaws.com",
      range: "bytes=0-9",
      "x-amz-content-sha256": v4.EMPTY_SHA256,
      "x-amz-date": "20130524T000000Z",
    };
    const credential = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", date: "20130524", region: "us-east-1", service: "s3" };
    const canonical = v4.canonicalRequest({ method: "GET", rawPath: "/test.txt", query: [], signedHeaders: Object.keys(headers), header: (n) => headers[n], payloadHash: v4.EMPTY_SHA256 });
    const signature = v4.signHex(v4.signingKey(SECRET, credential), v4.stringToSign("20130524T000000Z", credential, canonical));
    assert.equal(signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  it("parses the Authorization header and refuses malformed ones", () => {
    const parsed = v4.parseAuthorizationHeader(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    );
    assert.equal(parsed?.credential.accessKeyId, "AKIAIOSFODNN7EXAMPLE");
    assert.deepEqual(parsed?.signedHeaders, ["host", "range", "x-amz-date"]);
    assert.equal(v4.parseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=x, Signature=zz"), undefined);
  });

  it("encodes URIs and queries as S3 does", () => {
    assert.equal(v4.canonicalUri("/bucket/a%20b/c+d~e"), "/bucket/a%20b/c%2Bd~e");
    assert.equal(v4.canonicalQuery(v4.parseQuery("prefix=a/b&list-type=2&delimiter=%2F")), "delimiter=%2F&list-type=2&prefix=a%2Fb");
    assert.equal(v4.awsUriEncode("ü", true), "%C3%BC");
  });
});
