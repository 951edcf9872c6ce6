// Unary calls straight on node:http2, without grpc-js's channel, resolver, load balancer, interceptor and
// call-stream layers: on the SDK's hot path (one small signed request, one small answer) those layers cost
// more CPU than everything else the client does (about half of the client's profile at 512 concurrent
// callers). Server-streaming calls keep using grpc-js (transport.ts).
//
// The wire is plain gRPC over cleartext HTTP/2 (the service is insecure too, see createInsecure): a POST with
// content-type application/grpc, `te: trailers` and grpc-timeout; the body is one length-prefixed,
// uncompressed message; the answer is response headers (initial metadata), one message, and trailers with
// grpc-status and grpc-message (or all of it in the headers of a trailers-only answer). A connection that
// fails or drops is UNAVAILABLE, like grpc-js says it, so the caller's retry policy stays the same.
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { ApiError } from "./errors";

/** How long a connection suspected dead (a call on it ran out of time) has to answer a ping. */
const PING_TIMEOUT_MS = 2000;

/** A unary answer: the response message and the response headers (initial metadata). */
export interface UnaryReply {
  message: Buffer;
  headers: http2.IncomingHttpHeaders;
}

/** One HTTP/2 connection to a member, opened on first use and again after it fails or is closed. */
export class UnaryChannel {
  private session?: http2.ClientHttp2Session;
  private inflight = 0;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * Sends `body` to `path` with `headers` (signature) and resolves with the answer, or rejects with an ApiError
   * carrying the gRPC status, the answer's trailers and, in `headers`, what the member told in its headers.
   */
  call(path: string, body: Buffer, headers: Record<string, string>, timeoutMs: number, onHeaders: (h: http2.IncomingHttpHeaders) => void): Promise<Buffer> {
    if (body.length > this.maxMessageBytes) {
      return Promise.reject(new ApiError(grpc.status.RESOURCE_EXHAUSTED, `request message of ${body.length} bytes is larger than the limit of ${this.maxMessageBytes}`, this.address));
    }
    return new Promise<Buffer>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connection().request(
          { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`, ...headers },
          { endStream: false },
        );
      } catch (err) {
        // The session ran out of stream ids or was closing: the next call opens a new one.
        this.drop();
        reject(new ApiError(grpc.status.UNAVAILABLE, `${this.address}: ${(err as Error).message}`, this.address, { cause: err }));
        return;
      }
      this.started();
      let settled = false;
      let status: number | undefined;
      let details = "";
      let trailers: http2.IncomingHttpHeaders | undefined;
      let chunks: Buffer[] = [];
      let bytes = 0;
      let failure: ApiError | undefined;
      const timer = setTimeout(() => {
        failure = new ApiError(grpc.status.DEADLINE_EXCEEDED, `deadline of ${timeoutMs} ms exceeded calling ${path} on ${this.address}`, this.address);
        if (stream.session) this.checkAlive(stream.session);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] === undefined) return;
        status = Number(h["grpc-status"]);
        details = decodeMessage(h["grpc-message"]);
        trailers = h;
      };
      stream.on("response", (h) => {
        onHeaders(h);
        if (h[":status"] !== 200 && h["grpc-status"] === undefined) {
          failure = new ApiError(httpStatusToGrpc(Number(h[":status"])), `${this.address} answered HTTP ${h[":status"]} to ${path}`, this.address);
        }
        readStatus(h);
      });
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > this.maxMessageBytes + 5) {
          failure ??= new ApiError(grpc.status.RESOURCE_EXHAUSTED, `response to ${path} is larger than the limit of ${this.maxMessageBytes} bytes`, this.address);
          stream.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        chunks.push(chunk);
      });
      stream.on("error", (err: Error) => {
        failure ??= new ApiError(grpc.status.UNAVAILABLE, `${this.address}: ${err.message}`, this.address, { cause: err });
      });
      stream.on("close", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.finished();
        const md = trailers && grpc.Metadata.fromHttp2Headers(trailers);
        if (status !== undefined && status !== grpc.status.OK) return reject(new ApiError(status, details, this.address, { trailers: md }));
        if (failure) return reject(failure);
        if (status === undefined) {
          const dropped = stream.session === undefined || stream.session.closed || stream.session.destroyed;
          return reject(new ApiError(statusOfReset(stream.rstCode, dropped), `${this.address} closed the call to ${path} without a status (HTTP/2 code ${stream.rstCode})`, this.address));
        }
        const message = unframe(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        chunks = [];
        if (typeof message === "string") return reject(new ApiError(grpc.status.INTERNAL, `${this.address}: ${message} (answer to ${path})`, this.address));
        resolve(message);
      });
      stream.end(frame(body));
    });
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private connection(): http2.ClientHttp2Session {
    if (this.closed) throw new Error("the client is closed");
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://${this.address}`);
    session.on("error", () => undefined); // its calls fail on their own, as UNAVAILABLE
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on("close", forget);
    session.on("goaway", forget);
    if (this.inflight === 0) session.unref();
    this.session = session;
    return session;
  }

  /** While calls are in flight the connection keeps the process alive; idle, it does not. */
  private started(): void {
    if (this.inflight++ === 0) this.session?.ref();
  }

  private finished(): void {
    if (--this.inflight === 0) this.session?.unref();
  }

  /**
   * A call ran out of time. A member whose host vanished (power off, a partition) leaves the TCP connection
   * open for many minutes, and every later call on it would wait out its deadline too: unless the connection
   * answers a ping within PING_TIMEOUT_MS, it is destroyed (its calls fail UNAVAILABLE, the next call reconnects).
   */
  private checkAlive(session: http2.Http2Session): void {
    if (session.closed || session.destroyed) return;
    const dead = () => {
      if (this.session === session) this.session = undefined;
      session.destroy();
    };
    const timer = setTimeout(dead, PING_TIMEOUT_MS);
    timer.unref();
    try {
      session.ping((err) => {
        clearTimeout(timer);
        if (err) dead();
      });
    } catch {
      clearTimeout(timer);
      dead();
    }
  }

  private drop(): void {
    const s = this.session;
    this.session = undefined;
    s?.close();
  }
}

function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The one message of an answer, or what is wrong with it. */
function unframe(body: Buffer): Buffer | string {
  if (body.length < 5) return `answer of ${body.length} bytes has no gRPC message`;
  if (body[0] !== 0) return "answer is compressed, which this client does not ask for";
  const length = body.readUInt32BE(1);
  if (length !== body.length - 5) return `answer holds ${body.length - 5} bytes for a message of ${length}`;
  return body.subarray(5);
}

function decodeMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A call that ended without a grpc-status. A connection that went away (the member was killed or closed it)
 * resets its streams with CANCEL, and a member that refuses new streams sends REFUSED_STREAM: both are
 * UNAVAILABLE, which callers retry, as grpc-js reports them. Protocol errors are INTERNAL.
 */
function statusOfReset(code: number | undefined, dropped: boolean): grpc.status {
  const c = http2.constants;
  if (code === undefined || code === c.NGHTTP2_CANCEL || code === c.NGHTTP2_REFUSED_STREAM || (code === c.NGHTTP2_NO_ERROR && dropped)) return grpc.status.UNAVAILABLE;
  if (code === c.NGHTTP2_ENHANCE_YOUR_CALM) return grpc.status.RESOURCE_EXHAUSTED;
  return grpc.status.INTERNAL;
}

/** gRPC's mapping of HTTP statuses without a grpc-status (proxies, wrong ports). */
function httpStatusToGrpc(httpStatus: number): grpc.status {
  if (httpStatus === 400) return grpc.status.INTERNAL;
  if (httpStatus === 401) return grpc.status.UNAUTHENTICATED;
  if (httpStatus === 403) return grpc.status.PERMISSION_DENIED;
  if (httpStatus === 404) return grpc.status.UNIMPLEMENTED;
  if ([429, 502, 503, 504].includes(httpStatus)) return grpc.status.UNAVAILABLE;
  return grpc.status.UNKNOWN;
}
