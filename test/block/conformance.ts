// The object-store conformance suite: every adapter runs exactly these tests (the way lakeFS's kvtest
// DriverTest does for its KV drivers). `factory` returns a store over an empty root of its own each time.
import * as assert from "node:assert/strict";
import { Readable } from "node:stream";
import type { ObjectStore } from "../../src/block/types";
import { generatedBuffer, generatedStream, rejectsWith, sha256, sha256OfStream } from "./helpers";

export interface ConformanceOptions {
  /** False when the store cannot forget an aborted upload's parts (Azure: blocks outlive an abort). */
  abortForgetsUpload?: boolean;
  /** The store's listing order (see ListOptions): "utf8" unless said otherwise. */
  listOrder?: "utf8" | "utf16";
}

/** S3's minimum size for every part but the last. */
const PART = 5 * 1024 * 1024;

// Keys that need escaping somewhere (URLs, XML, query strings, file names) or sort differently as
// UTF-16 and UTF-8 (U+FF5E vs U+1F600).
const SPECIAL_KEYS = [
  "space in name.txt",
  "plus+and=equals",
  "percent%20literal",
  "question?mark",
  "hash#tag",
  "amp&and;semi",
  "quote'and\"double",
  "paren(1)[2]{3}",
  "tilde~caret^",
  "comma,colon:at@",
  "dollar$excl!star*",
  "ünïcødé/ключ/日本語.txt",
  "sort/😀.bin",
  "sort/～tilde",
  "a-b",
  "a/b",
  "a0",
];

export function runObjectStoreConformance(name: string, factory: () => Promise<ObjectStore>, options: ConformanceOptions = {}): void {
  describe(`object store conformance: ${name}`, function () {
    let store: ObjectStore;
    const byKeyOrder = options.listOrder === "utf16" ? byUtf16 : byUtf8;

    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store?.close();
    });

    describe("put, get, head, delete", () => {
      it("round-trips a buffer and reports size and etag consistently", async () => {
        const body = Buffer.from("hello, object store\n");
        const put = await store.put("greeting.txt", body);
        assert.equal(put.size, body.length);
        assert.ok(put.etag.length > 0 && !put.etag.startsWith('"'), `etag '${put.etag}' should be bare`);
        assert.deepEqual(await store.getBuffer("greeting.txt"), body);
        const info = await store.head("greeting.txt");
        assert.equal(info.key, "greeting.txt");
        assert.equal(info.size, body.length);
        assert.equal(info.etag, put.etag);
        assert.ok(info.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()));
        assert.equal(await store.exists("greeting.txt"), true);
      });

      it("round-trips an empty object", async () => {
        await store.put("empty", Buffer.alloc(0));
        assert.equal((await store.head("empty")).size, 0);
        assert.equal((await store.getBuffer("empty")).length, 0);
      });

      it("streams an empty body of unknown length", async () => {
        const put = await store.put("streamed/empty", Readable.from([]));
        assert.equal(put.size, 0);
        assert.equal((await store.head("streamed/empty")).size, 0);
        assert.equal((await store.getBuffer("streamed/empty")).length, 0);
      });

      it("streams a body of unknown length larger than one part", async () => {
        const size = 2 * PART + 12345;
        const expected = sha256(await generatedBuffer(size, 7));
        const put = await store.put("streamed/unknown-length", generatedStream(size, 7));
        assert.equal(put.size, size);
        assert.equal((await store.head("streamed/unknown-length")).size, size);
        const back = await sha256OfStream(await store.get("streamed/unknown-length"));
        assert.deepEqual(back, { hex: expected, bytes: size });
      });

      it("takes a stream with a declared length, and refuses one whose length is wrong without storing it", async () => {
        const body = await generatedBuffer(1000, 3);
        await store.put("declared", Readable.from([body]), { contentLength: 1000 });
        assert.deepEqual(await store.getBuffer("declared"), body);
        await rejectsWith(store.put("declared-wrong", Readable.from([body]), { contentLength: 999 }), "INVALID_ARGUMENT", "declared-wrong", "999");
        assert.equal(await store.exists("declared-wrong"), false);
      });

      it("replaces an object on a second put", async () => {
        await store.put("k", Buffer.from("first"));
        await store.put("k", Buffer.from("second version"));
        assert.equal((await store.getBuffer("k")).toString(), "second version");
        assert.equal((await store.head("k")).size, 14);
      });

      it("says NOT_FOUND, naming the store and key, for a missing key", async () => {
        await rejectsWith(store.get("no/such/key"), "NOT_FOUND", store.uri, "no/such/key");
        await rejectsWith(store.head("no/such/key"), "NOT_FOUND", store.uri, "no/such/key");
        await rejectsWith(store.getBuffer("no/such/key"), "NOT_FOUND", "no/such/key");
        assert.equal(await store.exists("no/such/key"), false);
      });

      it("deletes objects, and deleting a missing key is not an error", async () => {
        await store.put("doomed", Buffer.from("x"));
        await store.delete("doomed");
        assert.equal(await store.exists("doomed"), false);
        await store.delete("doomed");
        await store.delete("never/existed");
        assert.deepEqual((await store.list()).objects, []);
      });

      it("refuses empty keys, keys with NUL and keys with '.' or '..' segments", async () => {
        await rejectsWith(store.put("", Buffer.from("x")), "INVALID_ARGUMENT", "non-empty");
        for (const key of ["../escape", "a/../../escape", "./a", "a/."]) {
          await rejectsWith(store.put(key, Buffer.from("x")), "INVALID_ARGUMENT", JSON.stringify(key), "escape the store root");
          await rejectsWith(store.get(key), "INVALID_ARGUMENT", JSON.stringify(key));
        }
        await rejectsWith(store.put("a\0b", Buffer.from("x")), "INVALID_ARGUMENT", "NUL");
        await rejectsWith(store.get(""), "INVALID_ARGUMENT");
      });
    });

    describe("ranged get", () => {
      const body = Buffer.from("0123456789abcdefghij"); // 20 bytes
      beforeEach(async () => {
        await store.put("ranged", body);
      });

      it("reads from a start to the end", async () => {
        assert.equal((await store.getBuffer("ranged", { range: { start: 15 } })).toString(), "fghij");
      });
      it("reads an inclusive start-end range", async () => {
        assert.equal((await store.getBuffer("ranged", { range: { start: 3, end: 6 } })).toString(), "3456");
        assert.equal((await store.getBuffer("ranged", { range: { start: 0, end: 0 } })).toString(), "0");
        assert.equal((await store.getBuffer("ranged", { range: { start: 19, end: 19 } })).toString(), "j");
      });
      it("clamps an end past the object", async () => {
        assert.equal((await store.getBuffer("ranged", { range: { start: 17, end: 1000 } })).toString(), "hij");
      });
      it("gives no bytes for a start at or past the end", async () => {
        assert.equal((await store.getBuffer("ranged", { range: { start: 20 } })).length, 0);
        assert.equal((await store.getBuffer("ranged", { range: { start: 500, end: 600 } })).length, 0);
      });
      it("refuses a negative start or an end before the start", async () => {
        await rejectsWith(store.getBuffer("ranged", { range: { start: -1 } }), "INVALID_ARGUMENT", "start");
        await rejectsWith(store.getBuffer("ranged", { range: { start: 5, end: 4 } }), "INVALID_ARGUMENT", "end");
      });
      it("still says NOT_FOUND for a range of a missing key", async () => {
        await rejectsWith(store.getBuffer("missing", { range: { start: 100 } }), "NOT_FOUND", "missing");
      });
    });

    describe("metadata", () => {
      it("round-trips content type and user metadata through put, head and copy", async () => {
        const metadata = { owner: "data-team", "tarn-source": "s3://x/y", snake_case: "1", "2nd": "digit first" };
        await store.put("meta.json", Buffer.from("{}"), { contentType: "application/json", metadata });
        const info = await store.head("meta.json");
        assert.equal(info.contentType, "application/json");
        assert.deepEqual(info.metadata, metadata);
        await store.copy("meta.json", "meta-copy.json");
        const copied = await store.head("meta-copy.json");
        assert.equal(copied.contentType, "application/json");
        assert.deepEqual(copied.metadata, metadata);
      });

      it("reports no user metadata for an object put without any", async () => {
        await store.put("plain", Buffer.from("p"));
        assert.deepEqual((await store.head("plain")).metadata ?? {}, {});
      });

      it("refuses metadata names or values that some store could not keep", async () => {
        await rejectsWith(store.put("m", Buffer.from("x"), { metadata: { Upper: "x" } }), "INVALID_ARGUMENT", "Upper");
        await rejectsWith(store.put("m", Buffer.from("x"), { metadata: { ok: "naïve" } }), "INVALID_ARGUMENT", "ok");
        assert.equal(await store.exists("m"), false);
      });
    });

    describe("list", () => {
      it("lists all keys sorted, page by page, with after and prefix", async () => {
        const keys = Array.from({ length: 23 }, (_, i) => `pages/item-${String(i).padStart(2, "0")}`);
        await Promise.all([...keys, "other/x", "pagesque"].map((k) => store.put(k, Buffer.from(k))));

        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ prefix: "pages/", limit: 10, token });
          assert.ok(page.objects.length <= 10);
          seen.push(...page.objects.map((o) => o.key));
          token = page.nextToken;
          pages++;
        } while (token !== undefined && pages < 10);
        assert.deepEqual(seen, keys);
        assert.equal(pages, 3);

        const after = await store.list({ prefix: "pages/", after: "pages/item-19" });
        assert.deepEqual(after.objects.map((o) => o.key), keys.slice(20));
        assert.equal(after.nextToken, undefined);

        const all = await store.list();
        assert.deepEqual(all.objects.map((o) => o.key), ["other/x", ...keys, "pagesque"].sort(byUtf8));
        const sizes = all.objects.find((o) => o.key === "other/x");
        assert.equal(sizes?.size, "other/x".length);
        assert.ok(sizes?.etag);
      });

      it("lists nothing for an empty store or a prefix without keys", async () => {
        assert.deepEqual(await store.list(), { objects: [], nextToken: undefined });
        await store.put("x/y", Buffer.from("y"));
        assert.deepEqual((await store.list({ prefix: "nothing-here/" })).objects, []);
      });

      it(`keeps special characters and unicode in keys, sorted by ${options.listOrder ?? "utf8"}`, async () => {
        await Promise.all(SPECIAL_KEYS.map((k) => store.put(k, Buffer.from(k))));
        for (const key of SPECIAL_KEYS) assert.equal((await store.getBuffer(key)).toString(), key, `content of '${key}'`);
        const listed: string[] = [];
        for await (const o of store.listAll("")) listed.push(o.key);
        assert.deepEqual(listed, [...SPECIAL_KEYS].sort(byKeyOrder));
        const unicode = await store.list({ prefix: "ünïcødé/" });
        assert.deepEqual(unicode.objects.map((o) => o.key), ["ünïcødé/ключ/日本語.txt"]);
        const page1 = await store.list({ limit: 4 });
        const page2 = await store.list({ limit: 4, token: page1.nextToken });
        assert.deepEqual([...page1.objects, ...page2.objects].map((o) => o.key), [...SPECIAL_KEYS].sort(byKeyOrder).slice(0, 8));
      });

      it("iterates everything under a prefix with listAll", async () => {
        const keys = Array.from({ length: 12 }, (_, i) => `all/${i}`);
        await Promise.all(keys.map((k) => store.put(k, Buffer.from("."))));
        const got: string[] = [];
        for await (const o of store.listAll("all/")) got.push(o.key);
        assert.deepEqual(got, [...keys].sort(byUtf8));
      });
    });

    describe("copy", () => {
      it("copies bytes to a new key and leaves the source", async () => {
        const body = await generatedBuffer(100_000, 11);
        await store.put("src/object", body);
        const { etag } = await store.copy("src/object", "dst/copy");
        assert.ok(etag.length > 0);
        assert.deepEqual(await store.getBuffer("dst/copy"), body);
        assert.deepEqual(await store.getBuffer("src/object"), body);
        assert.equal((await store.head("dst/copy")).etag, etag);
      });

      it("says NOT_FOUND naming the source when it is missing", async () => {
        await rejectsWith(store.copy("missing-source", "dst"), "NOT_FOUND", "missing-source");
        assert.equal(await store.exists("dst"), false);
      });
    });

    describe("multipart", () => {
      it("assembles parts uploaded in order", async () => {
        const part1 = await generatedBuffer(PART, 21);
        const part2 = await generatedBuffer(PART, 22);
        const part3 = Buffer.from("tail");
        const upload = await store.createMultipartUpload("mp/in-order", { contentType: "text/plain", metadata: { kind: "mp" } });
        assert.equal(upload.key, "mp/in-order");
        const parts = [
          await store.uploadPart(upload, 1, part1),
          await store.uploadPart(upload, 2, Readable.from([part2]), part2.length),
          await store.uploadPart(upload, 3, Readable.from([part3])), // a stream of unknown length
        ];
        assert.equal(await store.exists("mp/in-order"), false, "nothing is visible before complete");
        const { etag } = await store.completeMultipartUpload(upload, parts);
        const expected = Buffer.concat([part1, part2, part3]);
        const info = await store.head("mp/in-order");
        assert.equal(info.size, expected.length);
        assert.equal(info.etag, etag);
        assert.equal(info.contentType, "text/plain");
        assert.deepEqual(info.metadata, { kind: "mp" });
        assert.deepEqual(await sha256OfStream(await store.get("mp/in-order")), { hex: sha256(expected), bytes: expected.length });
      });

      it("orders parts by number whatever order they were uploaded and listed in", async () => {
        const first = await generatedBuffer(PART, 31);
        const second = Buffer.from("second and last");
        const upload = await store.createMultipartUpload("mp/out-of-order");
        const p2 = await store.uploadPart(upload, 2, second);
        const p1 = await store.uploadPart(upload, 1, first);
        await store.completeMultipartUpload(upload, [p2, p1]);
        assert.equal(sha256(await store.getBuffer("mp/out-of-order")), sha256(Buffer.concat([first, second])));
      });

      it("uses the last upload of a part number", async () => {
        const upload = await store.createMultipartUpload("mp/reupload");
        await store.uploadPart(upload, 1, Buffer.from("old"));
        const p1 = await store.uploadPart(upload, 1, Buffer.from("new"));
        await store.completeMultipartUpload(upload, [p1]);
        assert.equal((await store.getBuffer("mp/reupload")).toString(), "new");
      });

      it("refuses to complete with a wrong etag, a duplicate part or no parts", async () => {
        const upload = await store.createMultipartUpload("mp/bad");
        const p1 = await store.uploadPart(upload, 1, Buffer.from("only"));
        await rejectsWith(store.completeMultipartUpload(upload, [{ partNumber: 1, etag: "0123456789abcdef0123456789abcdef" }]), "INVALID_ARGUMENT", "mp/bad");
        await rejectsWith(store.completeMultipartUpload(upload, [p1, p1]), "INVALID_ARGUMENT", "twice");
        await rejectsWith(store.completeMultipartUpload(upload, []), "INVALID_ARGUMENT", "at least one part");
        await rejectsWith(store.uploadPart(upload, 0, Buffer.from("x")), "INVALID_ARGUMENT", "part number 0");
        assert.equal(await store.exists("mp/bad"), false);
        await store.abortMultipartUpload(upload);
      });

      it("aborts an upload without creating the object", async () => {
        const upload = await store.createMultipartUpload("mp/aborted");
        const p1 = await store.uploadPart(upload, 1, Buffer.from("never seen"));
        await store.abortMultipartUpload(upload);
        assert.equal(await store.exists("mp/aborted"), false);
        assert.deepEqual((await store.list({ prefix: "mp/" })).objects, []);
        if (options.abortForgetsUpload !== false) {
          await rejectsWith(store.completeMultipartUpload(upload, [p1]), "NOT_FOUND", "mp/aborted");
          await rejectsWith(store.uploadPart(upload, 2, Buffer.from("late")), "NOT_FOUND", "mp/aborted");
        }
      });

      it("lists the parts uploaded so far, by number, the last upload of a number winning", async () => {
        const upload = await store.createMultipartUpload("mp/listed");
        assert.deepEqual(await store.listParts(upload), [], "no part yet");
        const big = await generatedBuffer(PART, 41);
        const p3 = await store.uploadPart(upload, 3, Buffer.from("third"));
        await store.uploadPart(upload, 1, Buffer.from("first, replaced"));
        const p1 = await store.uploadPart(upload, 1, big);
        assert.deepEqual(await store.listParts(upload), [{ ...p1, size: big.length }, { ...p3, size: 5 }]);
        await store.completeMultipartUpload(upload, [p1, p3]);
        if (options.abortForgetsUpload !== false) await rejectsWith(store.listParts(upload), "NOT_FOUND", "mp/listed");
      });

      it("says NOT_FOUND for an upload id it never issued", async () => {
        await rejectsWith(store.uploadPart({ key: "mp/ghost", uploadId: "not-an-upload" }, 1, Buffer.from("x")), "NOT_FOUND", "mp/ghost");
      });
    });

    describe("presigned URLs", () => {
      it("lets plain fetch GET an object", async () => {
        const body = await generatedBuffer(70_000, 41);
        await store.put("presigned/get.bin", body);
        const url = await store.presign("presigned/get.bin", "GET", 300);
        const res = await fetch(url);
        assert.equal(res.status, 200, await res.clone().text());
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
      });

      it("lets plain fetch PUT an object", async () => {
        const request = await store.presignRequest("presigned/put ü.bin", "PUT", 300);
        assert.equal(request.method, "PUT");
        assert.ok(request.expiresAt.getTime() > Date.now());
        const body = await generatedBuffer(50_000, 42);
        const res = await fetch(request.url, { method: "PUT", headers: request.headers, body });
        assert.ok(res.ok, `PUT answered ${res.status}: ${await res.text()}`);
        assert.deepEqual(await store.getBuffer("presigned/put ü.bin"), body);
      });

      it("refuses an expiry outside 1 s to 7 days", async () => {
        await rejectsWith(store.presign("k", "GET", 0), "INVALID_ARGUMENT", "expiry");
        await rejectsWith(store.presign("k", "GET", 8 * 24 * 3600), "INVALID_ARGUMENT", "expiry");
      });
    });
  });
}

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const byUtf16 = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
