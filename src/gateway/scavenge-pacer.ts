// Young-generation collections paced by the bytes of uploads, not only by JS allocation.
//
// Node's HTTP parser hands the gateway each read of an upload (up to 64 KiB) in a fresh buffer outside the
// JS heap. The gateway copies it into a pooled slab at once (pooled-pump.ts), so the buffer dies young, but
// V8 frees it only at the next young collection, and those come when the JS heap's young generation fills,
// which streaming hardly does: 30-40 MB of dead buffers piled up between two of them. V8 counts external
// memory allocated since the last full collection against the old generation's allocation limit, and that
// limit sat only ~25-30 MB above a ~20 MB live heap: when a full collection had happened while little was in
// flight, every later pile-up started another (V8's --trace-incremental-marking: "Start (allocation limit)",
// old generation 19 MB of 42 MB). Bench runs fell into that state now and then and stayed in it: up to 71
// full mark-compacts in one 2 GB upload phase, the gateway's CPU per MB doubled, large PUTs at 74-86% of direct.
//
// Two measures together keep it out of that state (bench/gateway, BENCH_TRACE_GC=1): a young collection after
// every SCAVENGE_EVERY_BYTES of upload here, so dead buffers never pile up far (alone, it still let one run of
// three fall in), and a 64 MB floor under the old generation's limit (`--initial-old-space-size=64`, in the
// image's entrypoint and `npm start`; alone at 64 it let 2 runs of 2 fall in, at 96 it held but the gateway's
// peak memory passed 200 MB). A young collection with only dead buffers in it costs about a millisecond.
// It needs V8's gc() (the --expose-gc extension), fetched once from a fresh context; where that is refused,
// the pacer does nothing and V8 alone decides.
import * as v8 from "node:v8";
import * as vm from "node:vm";

/** Upload bytes between two paced young collections. */
export const SCAVENGE_EVERY_BYTES = 8 * 1024 * 1024;

type GcFunction = (options: { type: "minor" | "major"; execution?: "sync" | "async" }) => unknown;

let gc: GcFunction | undefined | null = null;
let sinceLast = 0;
let paced = 0;

/** Young collections this pacer has run (for tests and diagnostics). */
export const pacedCollections = (): number => paced;

function collector(): GcFunction | undefined {
  if (gc !== null) return gc;
  const exposed = (globalThis as { gc?: GcFunction }).gc;
  if (typeof exposed === "function") return (gc = exposed);
  try {
    // The flag gives contexts created from now on a gc(); this process's own global stays as it was.
    v8.setFlagsFromString("--expose-gc");
    const fn: unknown = vm.runInNewContext("gc");
    gc = typeof fn === "function" ? (fn as GcFunction) : undefined;
  } catch {
    gc = undefined;
  }
  return gc;
}

/** Counts `bytes` of upload just copied out of the parser's buffers; runs a young collection when due. */
export function uploadBytesCopied(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < SCAVENGE_EVERY_BYTES) return;
  sinceLast = 0;
  const run = collector();
  if (!run) return;
  run({ type: "minor" });
  paced++;
}
