// Shared by the sstable tests (and test/cli/debug-sst): deterministic entries with varied keys and values,
// and thin wrappers over RocksDB's own tools, sst_dump and ldb, run for real.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { ldb, sstDump } from "../support/tools";

export interface Entry {
  key: Buffer;
  value: Buffer;
}

/** A small deterministic hash of (seed, i): every entry can be regenerated from its index alone. */
function mix(seed: number, i: number): () => number {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export interface EntryShape {
  /** Largest value; a few values are this big (default 300). */
  maxValue?: number;
  /** Occasional long keys of a few hundred bytes (default true). */
  longKeys?: boolean;
}

/**
 * Entry i of a strictly increasing sequence: a 4-byte big-endian counter (so order holds by construction)
 * then 0-20 more bytes, binary (0x00 and 0xff included) or text; every 5th value is empty, a few are large.
 */
export function entryAt(i: number, shape: EntryShape = {}, seed = 1): Entry {
  const next = mix(seed, i);
  const suffixLen = shape.longKeys !== false && i % 97 === 13 ? 200 + (next() % 100) : next() % 21;
  const key = Buffer.allocUnsafe(4 + suffixLen);
  key.writeUInt32BE(i, 0);
  const text = i % 3 === 0;
  for (let j = 0; j < suffixLen; j++) key[4 + j] = text ? 0x61 + (next() % 26) : j === 0 ? (i % 2 ? 0xff : 0x00) : next() & 0xff;
  const maxValue = shape.maxValue ?? 300;
  const r = next() % 100;
  const vlen = i % 5 === 0 ? 0 : r < 2 ? maxValue : next() % Math.min(maxValue, 64);
  const value = Buffer.allocUnsafe(vlen);
  for (let j = 0; j < vlen; j++) value[j] = i % 2 ? next() & 0xff : 0x41 + ((i + j) % 26);
  return { key, value };
}

export function entries(count: number, shape?: EntryShape, seed?: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) out.push(entryAt(i, shape, seed));
  return out;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tarn-${prefix}-`));
}

/** Runs sst_dump with args; returns stdout, failing loudly with its output when it exits non-zero. */
export function runSstDump(args: string[]): string {
  const r = spawnSync(sstDump(), args, { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`sst_dump ${args.join(" ")} exited ${r.status}: ${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** `sst_dump --command=verify`: true when it reports the file ok. */
export function sstDumpVerify(file: string): string {
  return runSstDump([`--file=${file}`, "--command=verify"]);
}

/** Properties from `sst_dump --show_properties`: the table properties as printed, and the raw user-collected ones as bytes. */
export function sstDumpProperties(file: string): { printed: Map<string, string>; collected: Map<string, Buffer> } {
  const out = runSstDump([`--file=${file}`, "--command=identify", "--show_properties"]);
  const printed = new Map<string, string>();
  const collected = new Map<string, Buffer>();
  let inCollected = false;
  for (const line of out.split("\n")) {
    if (line.trim().startsWith("Raw user collected properties")) inCollected = true;
    const m = /^ {2}# ([^:]+): 0x([0-9A-Fa-f]*)$/.exec(line);
    if (inCollected && m) {
      collected.set(m[1], Buffer.from(m[2], "hex"));
      continue;
    }
    const p = /^ {2}([^:]+): (.*)$/.exec(line);
    if (p) printed.set(p[1].trim(), p[2]);
  }
  return { printed, collected };
}

const SCAN_LINE = /^'([0-9A-F]*)' seq:(\d+), type:(\d+) => ([0-9A-F]*)\s*$/;

/**
 * Streams `sst_dump --command=scan --output_hex` and calls onEntry for each entry in order, so a million
 * entries are checked without holding them. Resolves to the number of entries.
 */
export function sstDumpScan(file: string, onEntry: (keyHex: string, valueHex: string, seq: number, type: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(sstDump(), [`--file=${file}`, "--command=scan", "--output_hex"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let count = 0;
    let failed: unknown;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (failed) return;
      const m = SCAN_LINE.exec(line);
      if (!m) return; // headers: "options.env is ...", "Process FILE", "Sst file format: ...", "from [] to []"
      try {
        onEntry(m[1], m[4], Number(m[2]), Number(m[3]));
        count++;
      } catch (err) {
        failed = err;
        child.kill();
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`sst_dump scan of ${file} exited ${code}: ${stderr}`));
      else resolve(count);
    });
  });
}

/** Writes entries (sorted, distinct keys) into an SST file with `ldb write_extern_sst`. */
export function ldbWriteExternSst(file: string, list: Entry[], extraArgs: string[] = []): void {
  const db = tempDir("ldb-db");
  try {
    const input = list.map((e) => `0x${e.key.toString("hex")} ==> 0x${e.value.toString("hex")}`).join("\n") + "\n";
    const args = [`--db=${db}`, "--create_if_missing", "--key_hex", "--value_hex", ...extraArgs, "write_extern_sst", file];
    const r = spawnSync(ldb(), args, { input, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`ldb ${args.join(" ")} exited ${r.status}: ${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(db, { recursive: true, force: true });
  }
}

/** The first entry at or after key, as sst_dump finds it by seeking (--from): [keyHex, valueHex], or undefined. */
export function sstDumpSeek(file: string, key: Buffer): [string, string] | undefined {
  const out = runSstDump([`--file=${file}`, "--command=scan", "--output_hex", "--input_key_hex", `--from=0x${key.toString("hex")}`, "--read_num=1"]);
  for (const line of out.split("\n")) {
    const m = SCAN_LINE.exec(line);
    if (m) return [m[1], m[4]];
  }
  return undefined;
}
