// The client-facing server of the test KV member: gRPC unary calls served straight from node:http2, without
// grpc-js's server machinery. Per call grpc-js builds an intercepting call, parses metadata, arms a
// deadline timer and runs its stream pipeline; for the benchmark's tiny Put that was most of the member's
// per-write CPU outside Raft (a 64-client echo microbenchmark: 75 us of server CPU per call with grpc-js,
// 59 with channelz off, 41 here). Any gRPC client can call it: requests are length-prefixed messages on
// an HTTP/2 stream, the response is one message and a grpc-status trailer.
//
// Limits: uncompressed messages only (a compressed one is refused with UNIMPLEMENTED), unary calls only,
// request bodies up to 4 MiB; the caller's deadline is not enforced here (the member's own timeouts apply).
import * as http2 from "node:http2";
import { status } from "@grpc/grpc-js";

/** What a handler returns on failure: a gRPC status code and a message for the caller. */
export interface CallError {
  code: status;
  details: string;
}

/** A unary method: the request message's bytes in, the response message's bytes out (or a CallError). */
export type UnaryHandler = (request: Buffer, done: (err: CallError | null, response?: Buffer) => void) => void;

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc" };

/** Frames one uncompressed gRPC message (also the benchmark's lean client, bench/raft-vs-etcd/http2-pool.ts). */
export function frameMessage(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The message of a unary request or response body (5-byte prefix + message), or a CallError naming what is wrong. */
export function unframeMessage(body: Buffer, what = "request"): Buffer | CallError {
  if (body.length < 5) return { code: status.INTERNAL, details: `${what} body of ${body.length} bytes is shorter than a gRPC message prefix` };
  if (body[0] !== 0) return { code: status.UNIMPLEMENTED, details: `compressed ${what}s are not supported here` };
  const length = body.readUInt32BE(1);
  if (length !== body.length - 5) return { code: status.INTERNAL, details: `${what} message of ${length} bytes in a body of ${body.length - 5}: expected exactly one message` };
  return body.subarray(5);
}

function sendError(stream: http2.ServerHttp2Stream, err: CallError): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  // A trailers-only response: status and message in the one HEADERS frame.
  stream.respond({ ...RESPONSE_HEADERS, "grpc-status": String(err.code), "grpc-message": encodeURIComponent(err.details) }, { endStream: true });
}

function sendResponse(stream: http2.ServerHttp2Stream, message: Buffer): void {
  if (stream.destroyed || stream.closed) return; // the caller gave up (deadline or cancel)
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(frameMessage(message));
}

/** An HTTP/2 (cleartext) server answering unary gRPC calls by path. */
export function createUnaryServer(methods: Record<string, UnaryHandler>): http2.Http2Server {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 4096 } });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined); // a reset by the caller: nothing to answer
    const handler = methods[headers[":path"] ?? ""];
    if (!handler) {
      stream.resume();
      return sendError(stream, { code: status.UNIMPLEMENTED, details: `unknown method ${headers[":path"]}` });
    }
    if (!String(headers["content-type"] ?? "").startsWith("application/grpc")) {
      stream.resume();
      return sendError(stream, { code: status.INTERNAL, details: `content-type ${headers["content-type"]} is not application/grpc` });
    }
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let bytes = 0;
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    stream.on("end", () => {
      if (bytes > MAX_REQUEST_BYTES) return sendError(stream, { code: status.RESOURCE_EXHAUSTED, details: `request of ${bytes} bytes exceeds ${MAX_REQUEST_BYTES}` });
      const body = chunks ? Buffer.concat(chunks) : (first ?? Buffer.alloc(0));
      const request = unframeMessage(body);
      if (!Buffer.isBuffer(request)) return sendError(stream, request);
      try {
        handler(request, (err, response) => (err ? sendError(stream, err) : sendResponse(stream, response ?? Buffer.alloc(0))));
      } catch (err) {
        sendError(stream, { code: status.INTERNAL, details: (err as Error).message });
      }
    });
  });
  return server;
}

/** Binds `address` (HOST:PORT). */
export function listen(server: http2.Http2Server, address: string): Promise<void> {
  const at = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(address.slice(at + 1)), address.slice(0, at), () => {
      server.off("error", reject);
      resolve();
    });
  });
}
