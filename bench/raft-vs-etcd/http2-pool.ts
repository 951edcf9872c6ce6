// A lean unary gRPC client for the load generator: calls go straight onto node:http2 sessions, without
// grpc-js's channel, resolver, interceptor and call-stream machinery. Both systems get exactly this client,
// so it changes neither side's share of the work; it only makes the load generator cheaper, so that on a
// small machine it leaves more CPU to the servers instead of capping both (grpc-js used ~200 us of client
// CPU per write and a whole core at 512 clients).
//
// The wire is standard gRPC over cleartext HTTP/2: a POST with content-type application/grpc, `te: trailers`
// and a grpc-timeout header; the body is one length-prefixed uncompressed message; the answer is one message
// and a grpc-status in the trailers (or in the headers of a trailers-only response).
import * as http2 from "node:http2";
import { frameMessage, unframeMessage } from "../../test/raft/process-kv-server";
import type { UnaryPool } from "./load";

/** A failed call: the gRPC status code (or UNAVAILABLE / DEADLINE_EXCEEDED for transport failures) and its message. */
export class UnaryCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`gRPC status ${code}: ${details}`);
  }
}

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

interface Pending {
  stream: http2.ClientHttp2Stream;
  deadline: number;
  fail(err: UnaryCallError): void;
}

export class Http2ChannelPool implements UnaryPool {
  private readonly sessions: (http2.ClientHttp2Session | undefined)[];
  private readonly addresses: string[];
  private next = 0;
  private readonly pending = new Set<Pending>();
  /** One sweep for all deadlines instead of a timer per call (the server is told the deadline too). */
  private readonly sweeper: NodeJS.Timeout;

  /** `size` HTTP/2 connections to each address; calls take them in turn. */
  constructor(addresses: string | string[], size: number) {
    const list = typeof addresses === "string" ? [addresses] : addresses;
    this.addresses = Array.from({ length: size * list.length }, (_, i) => list[i % list.length]);
    this.sessions = this.addresses.map(() => undefined);
    this.sweeper = setInterval(() => this.expire(), 100);
    this.sweeper.unref();
  }

  unary(path: string, body: Buffer, timeoutMs: number): Promise<Buffer> {
    const slot = this.next++ % this.sessions.length;
    const session = this.session(slot);
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(
          { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m` },
          { endStream: false },
        );
      } catch (err) {
        this.sessions[slot] = undefined;
        return reject(new UnaryCallError(UNAVAILABLE, (err as Error).message));
      }
      let settled = false;
      let grpcStatus: string | undefined;
      let grpcMessage = "";
      let first: Buffer | undefined;
      let chunks: Buffer[] | undefined;
      const call: Pending = {
        stream,
        deadline: Date.now() + timeoutMs,
        fail: (err) => {
          if (settled) return;
          settled = true;
          this.pending.delete(call);
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(err);
        },
      };
      this.pending.add(call);
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        const s = headers["grpc-status"];
        if (s !== undefined) {
          grpcStatus = String(s);
          grpcMessage = decodeURIComponent(String(headers["grpc-message"] ?? ""));
        }
      };
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => {
        if (first === undefined) first = chunk;
        else (chunks ??= [first]).push(chunk);
      });
      stream.on("error", (err: Error) => call.fail(new UnaryCallError(UNAVAILABLE, err.message)));
      stream.on("close", () => {
        if (settled) return;
        settled = true;
        this.pending.delete(call);
        if (grpcStatus === undefined) return reject(new UnaryCallError(UNAVAILABLE, `stream closed without a grpc-status (HTTP/2 code ${stream.rstCode})`));
        if (grpcStatus !== "0") return reject(new UnaryCallError(Number(grpcStatus), grpcMessage));
        const message = unframeMessage(chunks ? Buffer.concat(chunks) : (first ?? Buffer.alloc(0)), "response");
        if (Buffer.isBuffer(message)) resolve(message);
        else reject(new UnaryCallError(message.code, message.details));
      });
      stream.end(frameMessage(body));
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const call of [...this.pending]) call.fail(new UnaryCallError(UNAVAILABLE, "pool closed"));
    for (const s of this.sessions) s?.close();
    this.sessions.fill(undefined);
  }

  /** The slot's session, (re)connecting if it is missing or broken. */
  private session(slot: number): http2.ClientHttp2Session {
    const existing = this.sessions[slot];
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://${this.addresses[slot]}`);
    session.on("error", () => undefined); // its streams fail on their own
    session.on("close", () => {
      if (this.sessions[slot] === session) this.sessions[slot] = undefined;
    });
    this.sessions[slot] = session;
    return session;
  }

  private expire(): void {
    const now = Date.now();
    for (const call of this.pending) if (call.deadline <= now) call.fail(new UnaryCallError(DEADLINE_EXCEEDED, "deadline exceeded"));
  }
}
