// A trivial replicated key-value state machine for the runtime's tests and the raft-vs-etcd benchmark, and
// the helpers to run it: commands are `put key value`, results the index at which the put was applied.
//
// Command encoding: op u8 (1 = put) | key length u16 LE | key | value.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { StateMachine } from "../../raft/node";
import type { Entry, Snapshot } from "../../raft/types";

export function encodePut(key: string | Uint8Array, value: Uint8Array): Buffer {
  const k = typeof key === "string" ? Buffer.from(key, "utf8") : key;
  const buf = Buffer.allocUnsafe(3 + k.length + value.length);
  buf[0] = 1;
  buf.writeUInt16LE(k.length, 1);
  buf.set(k, 3);
  buf.set(value, 3 + k.length);
  return buf;
}

/** Keys encoded per event-loop turn while a snapshot is written. */
const SNAPSHOT_SLICE = 2000;

export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, Buffer>();
  lastApplied = 0;

  constructor(private readonly snapshotDir: string) {}

  apply(entries: Entry[]): Uint8Array[] {
    return entries.map((e) => {
      const buf = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      if (buf[0] !== 1) throw new Error(`unknown kv command ${buf[0]} at index ${e.index}`);
      const keyLength = buf.readUInt16LE(1);
      this.data.set(buf.toString("utf8", 3, 3 + keyLength), Buffer.from(buf.subarray(3 + keyLength)));
      this.lastApplied = e.index;
      return Buffer.from(String(e.index));
    });
  }

  /**
   * The pairs are captured now (the state at `index`: values are never changed in place), then encoded and
   * written (and synced) a slice at a time, the event loop turning meanwhile; the log is compacted behind it
   * only once it is on disk. Encoding and sorting the whole map at once blocked a member for seconds
   * at ~100k keys: in the benchmark every member took its snapshot in the same second and the cluster stood
   * still (a 512-client round fell from ~4,800 to 151 writes/s, p50 4 s).
   */
  async snapshot(index: number): Promise<string> {
    fs.mkdirSync(this.snapshotDir, { recursive: true });
    const file = path.join(this.snapshotDir, `snap-${index}.json`);
    const pairs = [...this.data];
    // Each slice goes to the file as it is encoded: joining them first built one string of ~40 MB at 100k keys.
    const out = await fs.promises.open(file, "w");
    try {
      for (let at = 0; at < pairs.length || at === 0; at += SNAPSHOT_SLICE) {
        const slice = pairs.slice(at, at + SNAPSHOT_SLICE).map(([k, v]) => JSON.stringify([k, v.toString("base64")])).join(",");
        await out.write(`${at === 0 ? "[" : ","}${slice}${at + SNAPSHOT_SLICE >= pairs.length ? "]" : ""}`);
        await out.datasync(); // a slice at a time: one flush of the whole file held the disk (and the log's writes) longer
      }
    } finally {
      await out.close();
    }
    return `file:${file}`;
  }

  async restore(snapshot: Snapshot, fetch: () => Promise<Uint8Array>): Promise<void> {
    // The reference names a file of the member that made the snapshot; a copy fetched from the leader is
    // kept under the same name here, so that a restart restores from it without a leader.
    const local = path.join(this.snapshotDir, path.basename(snapshot.reference.replace(/^file:/, "")));
    let bytes: Buffer;
    if (fs.existsSync(local)) {
      bytes = await fs.promises.readFile(local);
    } else {
      bytes = Buffer.from(await fetch());
      fs.mkdirSync(this.snapshotDir, { recursive: true });
      await fs.promises.writeFile(local, bytes);
    }
    const entries = JSON.parse(bytes.toString("utf8")) as [string, string][];
    this.data.clear();
    for (const [k, v] of entries) this.data.set(k, Buffer.from(v, "base64"));
    this.lastApplied = snapshot.metadata.index;
  }

  async readSnapshot(reference: string): Promise<Uint8Array> {
    return fs.promises.readFile(reference.replace(/^file:/, ""));
  }

  /** The whole map in key order (deterministic: tests compare members with it). */
  serialize(): Buffer {
    return Buffer.from(JSON.stringify([...this.data].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString("base64")])));
  }
}

/** Free TCP ports on 127.0.0.1 (bound and released: another process could take one in between). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
