// The simulated state machine: a key-value map with put and compare-and-set, driven by log entries. Each
// command carries the id of the client operation that proposed it, so the node can answer that client.
export type KvCommand =
  | { op: number; kind: "put"; key: string; value: string }
  | { op: number; kind: "cas"; key: string; expected: string | null; value: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

export const encodeCommand = (c: KvCommand): Uint8Array => enc.encode(JSON.stringify(c));
export const decodeCommand = (data: Uint8Array): KvCommand => JSON.parse(dec.decode(data)) as KvCommand;

export class KvStore {
  readonly data = new Map<string, string>();

  /** Applies a command; returns the client-visible result ("ok" for put, whether it swapped for cas). */
  apply(c: KvCommand): string | boolean {
    if (c.kind === "put") {
      this.data.set(c.key, c.value);
      return "ok";
    }
    const cur = this.data.get(c.key) ?? null;
    if (cur !== c.expected) return false;
    this.data.set(c.key, c.value);
    return true;
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  serialize(): string {
    return JSON.stringify([...this.data.entries()].sort());
  }

  static deserialize(s: string): KvStore {
    const kv = new KvStore();
    for (const [k, v] of JSON.parse(s) as [string, string][]) kv.data.set(k, v);
    return kv;
  }
}
