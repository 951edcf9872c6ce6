// pageUploads and sortIdOf: S3's ListMultipartUploads paging and grouping, pure over a sorted source.
import assert from "node:assert/strict";
import { pageUploads, sortIdOf, type ListedUpload, type UploadsQuery } from "../../src/gateway/multipart-list";
import { remoteUploadId } from "../../src/gateway/multipart-remote";

const upload = (key: string, id: string): ListedUpload => ({ key, uploadId: `c-${id}`, sortId: id, initiated: 0 });
async function* from(list: ListedUpload[]) {
  yield* list;
}
const query = (q: Partial<UploadsQuery>): UploadsQuery => ({ prefix: "", delimiter: "", keyMarker: "", uploadIdMarker: "", maxUploads: 1000, ...q });

describe("gateway: ListMultipartUploads paging (pageUploads)", () => {
  const all = [upload("main/a", "1"), upload("main/a", "2"), upload("main/d/x", "3"), upload("main/d/y", "4"), upload("main/e", "5")];

  it("pages uploads, naming the last key and client upload id as the next markers", async () => {
    const page = await pageUploads(from(all), query({ maxUploads: 2 }));
    assert.deepEqual([page.uploads.map((u) => u.uploadId), page.isTruncated, page.nextKeyMarker, page.nextUploadIdMarker], [["c-1", "c-2"], true, "main/a", "c-2"]);
    const whole = await pageUploads(from(all), query({}));
    assert.deepEqual([whole.uploads.length, whole.isTruncated, whole.nextKeyMarker, whole.nextUploadIdMarker], [5, false, "", ""]);
    const none = await pageUploads(from(all), query({ maxUploads: 0 }));
    assert.deepEqual([none.uploads, none.isTruncated], [[], true]);
  });

  it("groups keys by delimiter into common prefixes that count once, and skips the prefix named by the key marker", async () => {
    const grouped = await pageUploads(from(all), query({ prefix: "main/", delimiter: "/" }));
    assert.deepEqual([grouped.uploads.map((u) => u.key), grouped.commonPrefixes], [["main/a", "main/a", "main/e"], ["main/d/"]]);
    const first = await pageUploads(from(all.slice(2)), query({ prefix: "main/", delimiter: "/", maxUploads: 1 }));
    assert.deepEqual([first.commonPrefixes, first.isTruncated, first.nextKeyMarker, first.nextUploadIdMarker], [["main/d/"], true, "main/d/", ""]);
    // The next page, asked from that marker: the source starts after "main/d/", so main/d/x and main/d/y come again.
    const next = await pageUploads(from(all.slice(2)), query({ prefix: "main/", delimiter: "/", keyMarker: "main/d/" }));
    assert.deepEqual([next.uploads.map((u) => u.key), next.commonPrefixes], [["main/e"], []]);
  });

  it("reads the store's upload id inside the gateway's upload ids, and refuses one it did not issue", () => {
    assert.equal(sortIdOf(remoteUploadId({ a: "data/x", u: "store-id", t: "", m: {} })), "store-id");
    assert.equal(sortIdOf(`z.${Buffer.from(JSON.stringify({ k: "0123456789abcdef" })).toString("base64url")}`), "0123456789abcdef");
    assert.equal(sortIdOf("0123abcd"), "0123abcd", "a local store's upload id is its own");
    assert.throws(() => sortIdOf("r.bm90LWpzb24"), /upload-id-marker/);
  });
});
