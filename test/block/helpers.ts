// Test helpers for object stores: deterministic generated bodies (streams of unknown length), digests,
// and an assertion that a promise fails with a given TarnError code and message parts.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { TarnError, type ErrorCode } from "../../src/errors";

/** `size` bytes of a fast deterministic pattern (xorshift), in chunks of `chunk`: never all in memory. */
export function generatedStream(size: number, seed = 1, chunk = 256 * 1024): Readable {
  let produced = 0;
  let state = seed >>> 0 || 1;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(chunk, size - produced);
      const buf = Buffer.allocUnsafe(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        buf.writeUInt32LE(state >>> 0, i);
      }
      for (; i < n; i++) buf[i] = i & 0xff;
      produced += n;
      this.push(buf);
    },
  });
}

export async function generatedBuffer(size: number, seed = 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of generatedStream(size, seed)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function sha256OfStream(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: hash.digest("hex"), bytes };
}

export const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** Asserts `promise` rejects with a TarnError of `code` whose message contains every part. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode | ErrorCode[], ...parts: string[]): Promise<TarnError> {
  const codes = Array.isArray(code) ? code : [code];
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a ${code} error, but the call succeeded`);
  assert.ok(caught instanceof TarnError, `expected a TarnError ${code}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.ok(codes.includes(caught.code), `expected ${codes.join(" or ")}, got ${caught.code}: ${caught.message}`);
  for (const part of parts) assert.ok(caught.message.includes(part), `message '${caught.message}' should mention '${part}'`);
  return caught;
}
