import * as assert from "node:assert/strict";
import { openObjectStore, parseStoreUri } from "../../src/block";
import { decodeMetadataName, encodeMetadataName, parseUploadId, newUploadId, blockId } from "../../src/block/azure-encoding";

describe("object store URIs", () => {
  it("parses every accepted form", () => {
    assert.deepEqual(parseStoreUri("local:///srv/tarn"), { kind: "local", root: "/srv/tarn" });
    assert.deepEqual(parseStoreUri("local://rel/dir/", "/home/u"), { kind: "local", root: "/home/u/rel/dir" });
    assert.deepEqual(parseStoreUri("s3://my-bucket"), { kind: "s3", bucket: "my-bucket", prefix: "" });
    assert.deepEqual(parseStoreUri("s3://my.bucket/"), { kind: "s3", bucket: "my.bucket", prefix: "" });
    assert.deepEqual(parseStoreUri("s3://b12/a/b"), { kind: "s3", bucket: "b12", prefix: "a/b/" });
    assert.deepEqual(parseStoreUri("s3://b12/a/b/"), { kind: "s3", bucket: "b12", prefix: "a/b/" });
    assert.deepEqual(parseStoreUri("azure://acct1/data-lake/ns"), { kind: "azure", account: "acct1", container: "data-lake", prefix: "ns/" });
    assert.deepEqual(parseStoreUri("https://acct1.blob.core.windows.net/data/ns/x"), { kind: "azure", account: "acct1", container: "data", prefix: "ns/x/" });
  });

  it("refuses bad URIs with one INVALID_ARGUMENT saying what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["/just/a/path", /expected local:\/\/DIR/],
      ["gs://bucket/x", /unknown scheme 'gs'/],
      ["local://", /no directory/],
      ["s3://", /is not an S3 bucket name/],
      ["s3://Upper/x", /'Upper' is not an S3 bucket name/],
      ["s3://ab/x", /'ab' is not an S3 bucket name/],
      ["s3://192.168.1.1/x", /not an S3 bucket name/],
      ["s3://bucket/a//b", /empty path segment/],
      ["s3://bucket/a/../b", /'\.\.' segment/],
      ["s3://bucket/a?versionId=1", /query strings/],
      ["azure://acct1", /no container/],
      ["azure://Bad_Account/c/x", /not an Azure storage account name/],
      ["azure://acct1/bad--name/x", /not an Azure container name/],
      ["https://example.com/c/x", /only https URIs accepted are Azure blob URLs/],
    ];
    for (const [uri, message] of cases) {
      assert.throws(() => parseStoreUri(uri), (err: Error & { code?: string }) => {
        assert.equal(err.code, "INVALID_ARGUMENT", uri);
        assert.match(err.message, message, uri);
        return true;
      });
    }
  });

  it("refuses inconsistent configuration when opening a store", () => {
    assert.throws(() => openObjectStore("s3://bucket/x", { s3: { accessKeyId: "a" } }), /given together/);
    assert.throws(() => openObjectStore("s3://bucket/x", { s3: { endpoint: "not a url" } }), /s3\.endpoint 'not a url' is not a URL/);
    assert.throws(() => openObjectStore("azure://acct1/cont/x", { azure: { accountName: "acct2", accountKey: "a2V5" } }), /accountName 'acct2' is not the URI's account 'acct1'/);
  });
});

describe("Azure encodings", () => {
  it("escapes metadata names into C# identifiers and back exactly", () => {
    for (const name of ["owner", "tarn-source", "snake_case", "2nd", "a-_-b", "x9"]) {
      const encoded = encodeMetadataName(name);
      assert.match(encoded, /^[A-Za-z_][A-Za-z0-9_]*$/, encoded);
      assert.equal(decodeMetadataName(encoded), name);
      assert.equal(decodeMetadataName(encoded.toUpperCase()), name, "Azure may change the case of names");
    }
  });

  it("carries upload state in the upload id, and makes fixed-length block ids", () => {
    const id = newUploadId("text/csv", { a: "b" });
    const state = parseUploadId(id);
    assert.deepEqual({ ...state, token: undefined }, { token: undefined, contentType: "text/csv", metadata: { a: "b" } });
    assert.equal(parseUploadId("not-an-upload"), undefined);
    const ids = [1, 99, 10000].map((n) => blockId(state!.token, n, "0123456789abcdef0123456789abcdef"));
    assert.ok(ids.every((b) => b.length === ids[0].length));
    assert.equal(new Set(ids).size, 3);
  });
});
