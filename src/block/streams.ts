// Small stream tools the adapters share. Bodies are streamed end to end; only `readAll` gathers bytes,
// and it is used for bodies the caller declared small (getBuffer, parts of unknown length).
import { createHash, Hash } from "node:crypto";
import { Readable, Transform, TransformCallback } from "node:stream";

export const toReadable = (body: Readable | Buffer): Readable => (Buffer.isBuffer(body) ? Readable.from([body]) : body);

export const emptyReadable = (): Readable => Readable.from([]);

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Passes bytes through unchanged, counting them and (optionally) hashing them on the way. */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;

  /**
   * With `expectedBytes`, the stream fails (so the upload it feeds is abandoned, never committed) when
   * the body turns out longer or shorter than declared; `lengthError` makes that error.
   */
  constructor(
    algorithm?: "md5" | "sha256",
    private readonly expectedBytes?: number,
    private readonly lengthError?: (actual: number) => Error,
  ) {
    super();
    this.hash = algorithm ? createHash(algorithm) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedBytes !== undefined && this.bytes > this.expectedBytes) return done(this.mismatch());
    this.hash?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.expectedBytes !== undefined && this.bytes !== this.expectedBytes ? this.mismatch() : null);
  }

  private mismatch(): Error {
    return this.lengthError?.(this.bytes) ?? new Error(`body has ${this.bytes} bytes, not the declared ${this.expectedBytes}`);
  }

  /** The digest, once the stream has ended. */
  digest(): Buffer {
    if (!this.hash) throw new Error("Meter: no hash was requested");
    return this.hash.digest();
  }
}

/** Stream errors that happen after `get` returned are translated too, so callers see a TarnError. */
export function mapStreamErrors(source: Readable, map: (err: unknown) => Error): Readable {
  const out = new Transform({ transform: (chunk, _enc, done) => done(null, chunk) });
  source.on("error", (err) => out.destroy(map(err)));
  out.on("close", () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}
