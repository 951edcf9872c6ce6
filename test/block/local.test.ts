import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { createLocalPresignHandler, openObjectStore } from "../../src/block";
import type { ObjectStore } from "../../src/block/types";
import { runObjectStoreConformance } from "./conformance";
import { rejectsWith } from "./helpers";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-block-local-"));
let counter = 0;
const newDir = () => path.join(tmpRoot, `store-${++counter}`);

/** An HTTP server where each test's local store mounts its presign handler under /presign/<n>. */
const handlers = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>>();
let server: http.Server;
let baseUrl: string;

before(async () => {
  server = http.createServer(async (req, res) => {
    const mount = /^\/presign\/(\d+)\//.exec(req.url ?? "")?.[1];
    const handler = mount !== undefined ? handlers.get(mount) : undefined;
    if (!handler || !(await handler(req, res))) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

function localStoreWithPresign(): ObjectStore {
  const mount = String(++counter);
  const presign = { baseUrl: `${baseUrl}/presign/${mount}`, secret: `secret-${mount}` };
  const store = openObjectStore(`local://${newDir()}`, { local: { presign } });
  handlers.set(mount, createLocalPresignHandler(store, presign));
  return store;
}

runObjectStoreConformance("local", async () => localStoreWithPresign());

describe("local object store", () => {
  it("refuses keys that would escape the root, naming the key", async () => {
    const dir = newDir();
    const store = openObjectStore(`local://${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const key of ["../escape", "a/../../escape", "/etc/passwd", "a/./b", "a//b", "trailing/", "back\\slash", "..\\windows", ".tarn-local/meta/x"]) {
      await rejectsWith(store.put(key, Buffer.from("x")), "INVALID_ARGUMENT", JSON.stringify(key));
      await rejectsWith(store.get(key), "INVALID_ARGUMENT", JSON.stringify(key));
      await rejectsWith(store.delete(key), "INVALID_ARGUMENT", JSON.stringify(key));
    }
    await rejectsWith(store.copy("ok", "../../out"), "INVALID_ARGUMENT", "escape the store root");
    assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((n) => n === "escape" || n === "out"), []);
    assert.equal(fs.existsSync(path.join(tmpRoot, "escape")), false);
  });

  it("stores objects as plain files under the root, with temp files never visible", async () => {
    const dir = newDir();
    const store = openObjectStore(`local://${dir}`);
    await store.put("data/abc", Buffer.from("bytes"));
    assert.equal(fs.readFileSync(path.join(dir, "data", "abc"), "utf8"), "bytes");
    assert.deepEqual(fs.readdirSync(path.join(dir, ".tarn-local", "tmp")), []);
  });

  it("leaves no object and no temp file when the body fails half-way", async () => {
    const dir = newDir();
    const store = openObjectStore(`local://${dir}`);
    await store.put("victim", Buffer.from("old content"));
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error("client went away"));
      },
    });
    await assert.rejects(store.put("victim", failing), /client went away/);
    await assert.rejects(store.put("new-victim", failing), /client went away|destroyed|premature/i);
    assert.equal((await store.getBuffer("victim")).toString(), "old content");
    assert.equal(await store.exists("new-victim"), false);
    assert.deepEqual(fs.readdirSync(path.join(dir, ".tarn-local", "tmp")), []);
  });

  it("cannot hold a key and keys below it at once, and says so", async () => {
    const store = openObjectStore(`local://${newDir()}`);
    await store.put("a", Buffer.from("file"));
    await rejectsWith(store.put("a/b", Buffer.from("x")), "FAILED_PRECONDITION", "'a/b'", "parent");
    await store.put("c/d", Buffer.from("x"));
    await rejectsWith(store.put("c", Buffer.from("x")), "FAILED_PRECONDITION", "'c'", "c/");
    await store.delete("a");
    await store.put("a/b", Buffer.from("now fine")); // deleting "a" pruned it
    assert.equal((await store.getBuffer("a/b")).toString(), "now fine");
  });

  it("prunes directories emptied by deletes, so listings and the tree stay clean", async () => {
    const dir = newDir();
    const store = openObjectStore(`local://${dir}`);
    await store.put("deep/er/still/x", Buffer.from("x"));
    await store.delete("deep/er/still/x");
    assert.equal(fs.existsSync(path.join(dir, "deep")), false);
  });

  it("reports files copied in by hand, with a stable etag", async () => {
    const dir = newDir();
    fs.mkdirSync(path.join(dir, "manual"), { recursive: true });
    fs.writeFileSync(path.join(dir, "manual", "file.txt"), "by hand");
    const store = openObjectStore(`local://${dir}`);
    const info = await store.head("manual/file.txt");
    assert.equal(info.size, 7);
    assert.equal((await store.head("manual/file.txt")).etag, info.etag);
    assert.deepEqual((await store.list()).objects.map((o) => o.key), ["manual/file.txt"]);
  });

  it("does not follow symlinks out of the root", async () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync("/etc/hostname", path.join(dir, "link"));
    const store = openObjectStore(`local://${dir}`);
    await rejectsWith(store.get("link"), "NOT_FOUND", "link");
    await rejectsWith(store.head("link"), "NOT_FOUND", "link");
    assert.deepEqual((await store.list()).objects, []);
  });

  it("refuses to presign without a configured handler, saying why", async () => {
    const store = openObjectStore(`local://${newDir()}`);
    await rejectsWith(store.presign("k", "GET", 60), "FAILED_PRECONDITION", "no HTTP server", "local.presign");
  });

  it("refuses presigned requests with a tampered key, method or signature", async () => {
    const store = localStoreWithPresign();
    await store.put("secret", Buffer.from("s"));
    await store.put("public", Buffer.from("p"));
    const url = await store.presign("public", "GET", 60);
    assert.equal((await fetch(url.replace("/public?", "/secret?"))).status, 403);
    assert.equal((await fetch(url, { method: "PUT", body: "x" })).status, 403);
    assert.equal((await fetch(url.replace(/X-Tarn-Signature=[0-9a-f]{4}/, "X-Tarn-Signature=0000"))).status, 403);
    assert.equal((await fetch(url)).status, 200);
  });

  it("refuses list tokens it did not issue", async () => {
    const store = openObjectStore(`local://${newDir()}`);
    await rejectsWith(store.list({ token: "%%%" }), "INVALID_ARGUMENT", "token");
  });

  it("refuses upload ids that could name a path", async () => {
    const store = openObjectStore(`local://${newDir()}`);
    await rejectsWith(store.uploadPart({ key: "k", uploadId: "../../x" }, 1, Buffer.from("x")), "NOT_FOUND", "../../x");
    const upload = await store.createMultipartUpload("k");
    await rejectsWith(store.completeMultipartUpload(upload, [{ partNumber: 1, etag: "../../../etc" }]), "INVALID_ARGUMENT", "etag");
    await rejectsWith(store.uploadPart({ key: "other", uploadId: upload.uploadId }, 1, Buffer.from("x")), "NOT_FOUND", "other");
  });
});
