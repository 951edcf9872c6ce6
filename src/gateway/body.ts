// The verified body of a write request (PutObject, UploadPart, DeleteObjects, CompleteMultipartUpload):
// the declared length, the checksums the client sent, and the framing authenticate() decided on.
import { CHECKSUM_HEADERS, type Expectation } from "./checksums";
import { header, type Context } from "./context";
import { s3 } from "./errors";
import { decodeDigest, PayloadDecoder, PayloadVerifier, type PayloadOptions } from "./payload";

/** Bytes the decoded body must have (x-amz-decoded-content-length for aws-chunked, else Content-Length). */
export function declaredLength(ctx: Context): number {
  const chunked = ctx.auth.body.kind === "chunked";
  const raw = chunked ? header(ctx, "x-amz-decoded-content-length") : header(ctx, "content-length");
  if (raw === undefined) {
    if (!chunked && header(ctx, "transfer-encoding") === undefined) return 0;
    throw s3.missingContentLength(chunked ? "an aws-chunked body needs x-amz-decoded-content-length" : "the request needs a Content-Length");
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw s3.invalidArgument(`${chunked ? "x-amz-decoded-content-length" : "Content-Length"} ${JSON.stringify(raw)} is not a byte count`);
  return n;
}

export function expectations(ctx: Context): Expectation[] {
  const out: Expectation[] = [];
  const md5 = header(ctx, "content-md5");
  if (md5 !== undefined) out.push({ algorithm: "md5", expected: decodeDigest(md5, "content-md5", "base64"), source: "Content-MD5", encoding: "base64" });
  if (ctx.auth.body.kind === "plain" && ctx.auth.body.sha256) {
    out.push({ algorithm: "sha256", expected: Buffer.from(ctx.auth.body.sha256, "hex"), source: "x-amz-content-sha256", encoding: "hex" });
  }
  for (const [name, algorithm] of Object.entries(CHECKSUM_HEADERS)) {
    const v = header(ctx, name);
    if (v !== undefined) out.push({ algorithm, expected: decodeDigest(v, name, "base64"), source: name, encoding: "base64" });
  }
  if (ctx.auth.body.kind === "chunked" && ctx.auth.body.trailer) {
    for (const name of (header(ctx, "x-amz-trailer") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")) {
      const algorithm = CHECKSUM_HEADERS[name];
      if (!algorithm) throw s3.invalidRequest(`x-amz-trailer announces ${name}, which is not a checksum the gateway knows`);
      if (!out.some((e) => e.source === name)) out.push({ algorithm, source: name, encoding: "base64" });
    }
  }
  return out;
}

function payloadOptions(ctx: Context, length: number, options: { md5?: boolean }): PayloadOptions {
  const mode = ctx.auth.body;
  return {
    ...options,
    declaredLength: length,
    chunked: mode.kind === "chunked" ? { signing: mode.signing, trailer: mode.trailer } : undefined,
    expectations: expectations(ctx),
  };
}

const hungUp = () => s3.incompleteBody("the client hung up before the body ended");

/** The request body through a verifier: consume it (pipe or read), then read `md5Hex` and `size` once it ended. */
export function verifiedBody(ctx: Context, length = declaredLength(ctx), options: { md5?: boolean } = {}): PayloadVerifier {
  const verifier = new PayloadVerifier(payloadOptions(ctx, length, options));
  if (ctx.req.destroyed && !ctx.req.complete) {
    verifier.destroy(hungUp());
    return verifier;
  }
  return verifier.feedFrom(ctx.req, () => (ctx.req.complete ? undefined : hungUp()));
}

export interface WholeBody {
  data: Buffer;
  /** Hex MD5 when asked for, else "". */
  md5Hex: string;
}

/**
 * A body read whole into memory and verified, without a stream in between: for bodies known to be small
 * (the caller checks the declared length). Rejects with the S3 error that failed it.
 */
export function wholeBody(ctx: Context, length = declaredLength(ctx), options: { md5?: boolean } = {}): Promise<WholeBody> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    const decoder = new PayloadDecoder(payloadOptions(ctx, length, options), (piece) => pieces.push(piece));
    const req = ctx.req;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.resume(); // the rest is read and dropped, so the connection can serve the error answer
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        decoder.write(chunk);
      } catch (err) {
        fail(err);
      }
    };
    if (req.destroyed && !req.complete) return fail(hungUp());
    req.on("data", onData);
    req.on("error", () => fail(hungUp()));
    req.on("close", () => {
      if (!req.complete) fail(hungUp());
    });
    req.on("end", () => {
      if (settled) return;
      try {
        decoder.end();
      } catch (err) {
        return fail(err);
      }
      settled = true;
      resolve({ data: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces), md5Hex: decoder.md5Hex });
    });
  });
}

/** A small body (XML requests) read whole, verified, at most `limit` bytes. */
export async function smallBody(ctx: Context, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const length = declaredLength(ctx);
  if (length > limit) throw s3.invalidRequest(`the request body of ${length} bytes is larger than the ${limit} bytes allowed`);
  return (await wholeBody(ctx, length, { md5: false })).data;
}
