import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { LevelKv } from "../../src/graveler/kv/level";
import { MemoryKv } from "../../src/graveler/kv/memory";
import { runKvConformance } from "./kv-conformance";

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "tarn-kv-"));

/** A classic-level store in a fresh directory that its close() removes. */
async function levelInTempDir(): Promise<LevelKv> {
  const dir = tempDir();
  const kv = await LevelKv.open(dir);
  const close = kv.close.bind(kv);
  kv.close = async () => {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return kv;
}

runKvConformance("classic-level", levelInTempDir);
runKvConformance("memory", async () => new MemoryKv());

describe("classic-level key-value store", () => {
  it("keeps records and versions across a reopen", async () => {
    const dir = tempDir();
    let kv = await LevelKv.open(dir);
    await kv.write({ mutations: [{ op: "put", key: Buffer.from("a"), value: Buffer.from("1") }] });
    const v = (await kv.get(Buffer.from("a")))!.version;
    await kv.close();
    kv = await LevelKv.open(dir);
    await kv.write({ mutations: [{ op: "put", key: Buffer.from("b"), value: Buffer.from("2") }] });
    assert.equal((await kv.get(Buffer.from("a")))?.version, v);
    assert.ok((await kv.get(Buffer.from("b")))!.version > v);
    await kv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
