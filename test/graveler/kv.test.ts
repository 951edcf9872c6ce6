import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { LevelKv } from "../../src/graveler/kv/level";
import { MemoryKv } from "../../src/graveler/kv/memory";
import { runKvConformance } from "./kv-conformance";

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-kv-"));
  dirs.push(d);
  return d;
};

runKvConformance("classic-level", () => LevelKv.open(tempDir()));
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
  });
});
