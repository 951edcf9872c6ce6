// A graveler over temporary directories: a key-value store (memory or classic-level), a cache dir and local
// object stores keyed by namespace ("local://NAME" lives under the env's root).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Graveler } from "../../../src/graveler/graveler";
import { LevelKv } from "../../../src/graveler/kv/level";
import { MemoryKv } from "../../../src/graveler/kv/memory";
import type { RangeShape } from "../../../src/graveler/committed/range-writer";
import type { Entry } from "../../../src/graveler/entry";
import { openObjectStore } from "../../../src/block";
import type { ObjectStore } from "../../../src/block/types";

export interface TestEnv {
  g: Graveler;
  root: string;
  store(namespace: string): ObjectStore;
  /** The directory of a "local://" namespace's store, to count and damage files. */
  dir(namespace: string): string;
  /** A second engine over the same key-value store and object stores, with an empty local cache. */
  fresh(): Graveler;
  /** Everything in the key-value store, to check that a refused operation changed nothing. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export async function makeEnv(options: { level?: boolean; shape?: Partial<RangeShape>; now?: () => Date } = {}): Promise<TestEnv> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-graveler-"));
  const stores = new Map<string, ObjectStore>();
  const dir = (ns: string) => path.join(root, "stores", ns.replace(/^local:\/\//, "").replace(/[^\w.-]/g, "_"));
  const store = (ns: string) => {
    let s = stores.get(ns);
    if (!s) {
      fs.mkdirSync(dir(ns), { recursive: true });
      s = openObjectStore(`local://${dir(ns)}`);
      stores.set(ns, s);
    }
    return s;
  };
  const kv = options.level ? await LevelKv.open(path.join(root, "kv")) : new MemoryKv();
  const g = new Graveler({ kv, committed: { cacheDir: path.join(root, "cache"), openStore: store, shape: options.shape }, now: options.now });
  let freshCount = 0;
  const fresh = () => new Graveler({ kv, committed: { cacheDir: path.join(root, `cache-${++freshCount}`), openStore: store, shape: options.shape }, now: options.now });
  const dump = async () => (await kv.scan({})).map((r) => `${r.key.toString("hex")}=${r.value.toString("hex")}@${r.version}`).join("\n");
  return {
    g,
    root,
    store,
    dir,
    fresh,
    dump,
    close: async () => {
      await g.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function entry(tag: string, extra: Partial<Entry> = {}): Entry {
  counter++;
  return { physicalAddress: `data/${tag}-${counter}`, size: tag.length, etag: `etag-${tag}`, lastModified: new Date(1_700_000_000_000), addressType: "relative", ...extra };
}
