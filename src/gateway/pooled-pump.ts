// A large body's bytes copied into pooled buffers on their way to the store. Node's HTTP parser hands the
// gateway each 64 KiB of an upload in a fresh buffer allocated outside the JS heap. Written on as they are,
// those buffers stay referenced until the store's socket takes them, and under backpressure some are still
// alive at young-generation collections. Copied at once into a few reused 256 KiB buffers, they can die
// young, and the store gets a quarter of the writes; the copy costs ~0.1 ms per MB.
// Dead parser buffers still wait for a young collection to be freed; scavenge-pacer.ts runs those by bytes.
import type { Readable, Writable } from "node:stream";
import { uploadBytesCopied } from "./scavenge-pacer";

const SLAB = 256 * 1024;
/** Slabs one body may have in flight (written, not yet flushed) before its source pauses. */
const IN_FLIGHT = 4;
const pool: Buffer[] = [];
const takeSlab = () => pool.pop() ?? Buffer.allocUnsafeSlow(SLAB);
const giveSlab = (b: Buffer) => void (pool.length < 16 && pool.push(b));

/**
 * Pipes `source` into `sink` through pooled slabs, with backpressure on both the sink and the slabs in
 * flight, and ends the sink when the source ends. Errors are not handled here: the caller watches both.
 */
export function pumpPooled(source: Readable, sink: Writable): void {
  let slab = takeSlab();
  let filled = 0;
  let inFlight = 0;
  let waitingForSlab = false;
  let ended = false;
  const released = (b: Buffer) => {
    inFlight--;
    giveSlab(b);
    if (waitingForSlab && inFlight < IN_FLIGHT) {
      waitingForSlab = false;
      if (!ended) source.resume();
    }
  };
  const flush = () => {
    if (filled === 0) return true;
    const full = slab;
    const view = full.subarray(0, filled);
    inFlight++;
    slab = takeSlab();
    filled = 0;
    return sink.write(view, () => released(full));
  };
  source.on("data", (chunk: Buffer) => {
    uploadBytesCopied(chunk.length);
    let at = 0;
    while (at < chunk.length) {
      const n = chunk.copy(slab, filled, at);
      filled += n;
      at += n;
      if (filled === SLAB) {
        const more = flush();
        if (!more) {
          source.pause();
          sink.once("drain", () => !ended && !waitingForSlab && source.resume());
        }
        if (inFlight >= IN_FLIGHT) {
          waitingForSlab = true;
          source.pause();
        }
      }
    }
  });
  source.on("end", () => {
    ended = true;
    flush();
    giveSlab(slab);
    sink.end();
  });
}
