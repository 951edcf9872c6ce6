// A request body as the client meant it: aws-chunked framing removed (and each chunk's signature checked for
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD), its length held to the declared one, and every checksum the client
// sent (Content-MD5, x-amz-content-sha256, x-amz-checksum-* headers and trailers) verified. The last piece is
// held back until all of that passed, so a consumer that writes the bytes somewhere never completes an
// object whose body was short, long, or wrong: it sees an error instead.
import { Readable } from "node:stream";
import { chunkStringToSign, EMPTY_SHA256, sameSignature, sha256Hex, signHex, trailerStringToSign, type Credential } from "../auth/sigv4";
import { CHECKSUM_HEADERS, newChecksum, type Checksum, type Expectation } from "./checksums";
import { s3, S3Error } from "./errors";

export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  credential: Credential;
  seedSignature: string;
}

export interface PayloadOptions {
  /** Bytes the decoded body must have. */
  declaredLength: number;
  /** aws-chunked framing: with signing for signed chunks; `trailer` when trailers follow the last chunk. */
  chunked?: { signing?: ChunkSigning; trailer: boolean };
  expectations: Expectation[];
  /** Largest chunk accepted, to bound memory of a chunk header line. */
  maxChunk?: number;
  /** Compute the body's MD5 (the ETag); off when the store computes it anyway. Default true. */
  md5?: boolean;
}

const MAX_HEADER_LINE = 4096;

type State = "size" | "data" | "data-crlf" | "trailer" | "done";

/**
 * The verification itself, without streams: feed the raw body with write(), then end(). Decoded pieces go to
 * `emit`, each one piece late, and the last only from end() once every check passed. Failures throw S3Errors.
 */
export class PayloadDecoder {
  private received = 0;
  private readonly md5: ReturnType<typeof newChecksum> | undefined;
  private readonly checks: Array<{ e: Expectation; sum: Checksum }>;
  private held: Buffer | undefined;
  // aws-chunked parsing
  private state: State = "size";
  private buffer: Buffer = Buffer.alloc(0);
  private chunkLeft = 0;
  private chunkSignature = "";
  private chunkHash = newChecksum("sha256");
  private previousSignature: string;
  private trailerLines: string[] = [];

  constructor(private readonly options: PayloadOptions, private readonly emit: (piece: Buffer) => void) {
    this.checks = options.expectations.map((e) => ({ e, sum: newChecksum(e.algorithm) }));
    this.md5 = options.md5 === false ? undefined : newChecksum("md5");
    this.previousSignature = options.chunked?.signing?.seedSignature ?? "";
  }

  /** Hex MD5 of the decoded body once it ended (the object's ETag); "" when not computed. */
  md5Hex = "";
  /** Decoded bytes seen. */
  get size(): number {
    return this.received;
  }

  private accept(piece: Buffer): void {
    if (piece.length === 0) return;
    this.received += piece.length;
    if (this.received > this.options.declaredLength) {
      throw s3.invalidRequest(`the body is longer than the ${this.options.declaredLength} bytes declared`);
    }
    this.md5?.update(piece);
    for (const c of this.checks) c.sum.update(piece);
    if (this.held) this.emit(this.held);
    this.held = piece;
  }

  write(chunk: Buffer): void {
    if (!this.options.chunked) this.accept(chunk);
    else this.parse(chunk);
  }

  end(): void {
    if (this.options.chunked && this.state !== "done") throw s3.incompleteBody(`the aws-chunked body ended before its final chunk (${this.received} bytes decoded)`);
    if (this.received < this.options.declaredLength) throw s3.incompleteBody(`the body has ${this.received} bytes, fewer than the ${this.options.declaredLength} declared`);
    this.md5Hex = this.md5?.digest().toString("hex") ?? "";
    for (const { e, sum } of this.checks) {
      if (!e.expected) throw s3.invalidRequest(`the checksum announced in ${e.source} never arrived in the trailer`);
      const actual = sum.digest();
      if (!actual.equals(e.expected)) {
        const show = (b: Buffer) => b.toString(e.encoding);
        if (e.source === "x-amz-content-sha256") throw s3.contentSha256Mismatch(`the body's SHA-256 ${show(actual)} does not match x-amz-content-sha256 ${show(e.expected)}`);
        throw s3.badDigest(`the body's ${e.algorithm} ${show(actual)} does not match ${e.source} ${show(e.expected)}`);
      }
    }
    if (this.held) this.emit(this.held);
    this.held = undefined;
  }

  private parse(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.state === "data") {
        if (this.buffer.length === 0) return;
        const take = Math.min(this.chunkLeft, this.buffer.length);
        const piece = this.buffer.subarray(0, take);
        this.buffer = this.buffer.subarray(take);
        this.chunkLeft -= take;
        if (this.options.chunked?.signing) this.chunkHash.update(piece);
        this.accept(piece);
        if (this.chunkLeft === 0) this.state = "data-crlf";
        continue;
      }
      if (this.state === "done") {
        if (this.buffer.length > 0) throw s3.invalidRequest("bytes follow the final aws-chunked chunk");
        return;
      }
      const eol = this.buffer.indexOf("\r\n");
      if (eol < 0) {
        if (this.buffer.length > MAX_HEADER_LINE) throw s3.invalidRequest("an aws-chunked header line is too long");
        return;
      }
      const line = this.buffer.subarray(0, eol).toString("latin1");
      this.buffer = this.buffer.subarray(eol + 2);
      if (this.state === "data-crlf") {
        if (line !== "") throw s3.incompleteBody("an aws-chunked chunk is longer than its declared size");
        this.state = "size";
        if (this.options.chunked?.signing) this.checkChunkSignature();
        continue;
      }
      if (this.state === "size") {
        this.chunkSize(line);
        continue;
      }
      // trailer lines until an empty one
      if (line === "") {
        this.finishTrailer();
        this.state = "done";
        continue;
      }
      this.trailerLines.push(line);
      if (this.trailerLines.length > 16) throw s3.invalidRequest("too many trailer lines");
    }
  }

  private chunkSize(line: string): void {
    const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?\s*$/.exec(line);
    if (!m) throw s3.invalidRequest(`malformed aws-chunked chunk header ${JSON.stringify(line.slice(0, 100))}`);
    const size = parseInt(m[1], 16);
    const signing = this.options.chunked?.signing;
    if (signing && !m[2]) throw s3.signatureDoesNotMatch("an aws-chunked chunk lacks its chunk-signature");
    if (size > (this.options.maxChunk ?? 64 * 1024 * 1024)) throw s3.invalidRequest(`aws-chunked chunk of ${size} bytes is too large`);
    this.chunkSignature = m[2] ?? "";
    this.chunkHash = newChecksum("sha256");
    if (size > 0) {
      this.chunkLeft = size;
      this.state = "data";
      return;
    }
    // The final, empty chunk: its signature covers no bytes.
    if (signing) this.checkChunkSignature();
    // Trailer lines (possibly none) and an empty line end the body.
    this.state = "trailer";
  }

  private checkChunkSignature(): void {
    const signing = this.options.chunked!.signing!;
    const digest = this.chunkHash.digest().toString("hex");
    const expected = signHex(signing.key, chunkStringToSign(signing.amzDate, signing.credential, this.previousSignature, digest === "" ? EMPTY_SHA256 : digest));
    if (!sameSignature(expected, this.chunkSignature)) throw s3.signatureDoesNotMatch("an aws-chunked chunk signature does not match: the chunk was altered or signed with another key");
    this.previousSignature = this.chunkSignature;
    this.chunkHash = newChecksum("sha256");
  }

  private finishTrailer(): void {
    let trailerSignature: string | undefined;
    const signedLines: string[] = [];
    for (const line of this.trailerLines) {
      const colon = line.indexOf(":");
      if (colon < 0) throw s3.invalidRequest(`malformed trailer line ${JSON.stringify(line.slice(0, 100))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "x-amz-trailer-signature") {
        trailerSignature = value;
        continue;
      }
      signedLines.push(`${name}:${value}\n`);
      const algorithm = CHECKSUM_HEADERS[name];
      if (!algorithm) continue;
      const check = this.checks.find((c) => c.e.source === name);
      if (!check) throw s3.invalidRequest(`trailer ${name} was not announced in x-amz-trailer`);
      check.e.expected = decodeDigest(value, name, check.e.encoding);
    }
    const signing = this.options.chunked?.signing;
    if (signing && this.options.chunked?.trailer) {
      if (!trailerSignature) throw s3.signatureDoesNotMatch("the signed trailer lacks x-amz-trailer-signature");
      const expected = signHex(signing.key, trailerStringToSign(signing.amzDate, signing.credential, this.previousSignature, sha256Hex(signedLines.join(""))));
      if (!sameSignature(expected, trailerSignature)) throw s3.signatureDoesNotMatch("the trailer signature does not match");
    }
  }
}

/**
 * The decoded, verified body as a stream. Its source (the request, or a store read for copies) is fed in
 * with feedFrom(): each chunk goes through the decoder and is pushed on in the same call, with no writable
 * side in between (a Transform would queue and call back per 64 KiB chunk, which a large upload pays for
 * thousands of times). Backpressure pauses the source; reading resumes it.
 */
export class PayloadVerifier extends Readable {
  private readonly decoder: PayloadDecoder;
  private source: Readable | undefined;

  constructor(options: PayloadOptions) {
    // Bounded, but large enough that a fast upload moves in few big pieces.
    super({ highWaterMark: 256 * 1024 });
    this.decoder = new PayloadDecoder(options, (piece) => {
      if (!this.push(piece)) this.source?.pause();
    });
    // Remember why the body failed, for whoever consumes it (a pipeline reports only "premature close"
    // when the failure came before it started); and never let it go unhandled.
    this.on("error", (err) => (this.failure ??= err));
  }

  /** The first error the body failed with. */
  failure: Error | undefined;

  /**
   * Starts reading `source` into this body. `incomplete` tells whether the source ended or closed before its
   * last byte from the producer's view (a client that hung up); the decoder judges lengths and checksums.
   */
  feedFrom(source: Readable, incomplete: () => Error | undefined = () => undefined): this {
    this.source = source;
    const onData = (chunk: Buffer) => {
      if (this.destroyed) return;
      try {
        this.decoder.write(chunk);
      } catch (err) {
        this.stop(err as Error);
      }
    };
    source.on("data", onData);
    source.on("end", () => {
      if (this.destroyed) return;
      try {
        this.decoder.end();
        this.push(null);
      } catch (err) {
        this.stop(err as Error);
      }
    });
    source.on("error", (err) => this.destroy(err));
    source.on("close", () => {
      const why = incomplete();
      if (why && !this.destroyed) this.destroy(why);
    });
    return this;
  }

  /** Fails the body; the rest of the source is read and dropped, so a request can still be answered. */
  private stop(err: Error): void {
    this.destroy(err);
    const source = this.source;
    if (source) {
      source.removeAllListeners("data");
      source.resume();
    }
  }

  /** Awaits a consumer of this body; when it fails, the body's own failure is the better explanation. */
  async consumedBy<T>(consumer: Promise<T>): Promise<T> {
    try {
      return await consumer;
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  /** Hex MD5 of the decoded body once it ended (the object's ETag); "" when not computed. */
  get md5Hex(): string {
    return this.decoder.md5Hex;
  }

  /** Decoded bytes seen. */
  get size(): number {
    return this.decoder.size;
  }

  override _read(): void {
    this.source?.resume();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    if (err) this.failure ??= err;
    done(err);
  }
}

/** A checksum value as sent (base64 for x-amz-checksum-*, Content-MD5; hex for x-amz-content-sha256). */
export function decodeDigest(value: string, source: string, encoding: "base64" | "hex"): Buffer {
  const ok = encoding === "hex" ? /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 : /^[A-Za-z0-9+/]+={0,2}$/.test(value);
  if (!ok) throw new S3Error(source === "content-md5" ? "InvalidDigest" : "InvalidRequest", 400, `${source} ${JSON.stringify(value.slice(0, 100))} is not a valid ${encoding} digest`);
  return Buffer.from(value, encoding);
}
