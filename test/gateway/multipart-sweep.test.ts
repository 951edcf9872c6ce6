// Abandoned multipart uploads on local stores are removed after an age limit (src/gateway/multipart-sweep.ts):
// by the sweep function on a store directory, and by a running gateway that sweeps the stores it has met.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand, type S3Client } from "@aws-sdk/client-s3";
import { sweepUploads, UPLOADS } from "../../src/gateway/multipart-sweep";
import { startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

const DAY = 24 * 3600 * 1000;

/** Sets an upload's start time `ageMs` back, as if it had been started then. */
function backdate(root: string, uploadId: string, ageMs: number): void {
  const file = path.join(root, UPLOADS, uploadId, "upload.json");
  const info = JSON.parse(fs.readFileSync(file, "utf8")) as { initiated: number };
  info.initiated = Math.floor((Date.now() - ageMs) / 1000);
  fs.writeFileSync(file, JSON.stringify(info));
}

describe("gateway: abandoned local multipart uploads", () => {
  it("sweepUploads removes uploads started before the age limit, judging a broken one by its directory's time", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-sweep-"));
    try {
      const make = (id: string, initiatedMs?: number) => {
        const dir = path.join(root, UPLOADS, id);
        fs.mkdirSync(dir, { recursive: true });
        if (initiatedMs !== undefined) fs.writeFileSync(path.join(dir, "upload.json"), JSON.stringify({ uploadId: id, initiated: Math.floor(initiatedMs / 1000) }));
        fs.writeFileSync(path.join(dir, "part-00001"), "bytes");
        return dir;
      };
      const now = Date.now();
      make("old", now - 8 * DAY);
      make("fresh", now - DAY);
      const broken = make("broken");
      fs.utimesSync(broken, new Date(now - 9 * DAY), new Date(now - 9 * DAY));
      const youngBroken = make("young-broken");
      fs.utimesSync(youngBroken, new Date(now), new Date(now));
      assert.deepEqual((await sweepUploads(root, 7 * DAY, now)).sort(), ["broken", "old"]);
      assert.deepEqual(fs.readdirSync(path.join(root, UPLOADS)).sort(), ["fresh", "young-broken"]);
      assert.deepEqual(await sweepUploads(path.join(root, "no-store-here"), 7 * DAY, now), [], "a store without uploads is fine");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  describe("through a running gateway", () => {
    let g: TestGateway;
    let s3: S3Client;
    before(async () => {
      g = await startGateway(["repo"], { gateway: { uploadMaxAgeMs: DAY, uploadSweepIntervalMs: 150 } });
      s3 = s3ClientFor(g);
    });
    after(async () => {
      s3?.destroy();
      await g?.close();
    });

    it("removes an upload older than the limit on its next sweep and keeps a recent one", async () => {
      const root = g.service.namespace("repo").slice("local://".length);
      const start = async (Key: string) => (await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key }))).UploadId!;
      const stale = await start("main/sweep/stale.bin");
      const recent = await start("main/sweep/recent.bin");
      await s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/sweep/stale.bin", UploadId: stale, PartNumber: 1, Body: Buffer.from("left behind") }));
      backdate(root, stale, 2 * DAY);
      const deadline = Date.now() + 10_000;
      while (fs.existsSync(path.join(root, UPLOADS, stale)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(fs.existsSync(path.join(root, UPLOADS, stale)), false, "the stale upload's directory is gone");
      await assert.rejects(s3.send(new ListPartsCommand({ Bucket: "repo", Key: "main/sweep/stale.bin", UploadId: stale })), (err: Error) => err.name === "NoSuchUpload");
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: "main/sweep/" }));
      assert.deepEqual(listed.Uploads?.map((u) => [u.Key, u.UploadId]), [["main/sweep/recent.bin", recent]]);
    });
  });
});
