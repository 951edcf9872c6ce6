// A large object's bytes read from the store over a connection of its own, without Node's HTTP client.
// Node's parser copies every body chunk it hands on (one memcpy per 64 KiB read) and runs a stream per
// response; for a large GET the gateway only forwards bytes, so after the response head it takes the
// socket's chunks as they are. One request per connection (Connection: close): the connection's set-up is
// nothing beside megabytes, and the body ends where the server closes or Content-Length says.
// Anything unusual in the head (no Content-Length, a transfer coding) is left to the standard client.
import * as net from "node:net";
import { Readable } from "node:stream";
import * as tls from "node:tls";

/** The response head: status and lower-cased headers, and where the body starts in the bytes read so far. */
export interface ResponseHead {
  status: number;
  headers: Record<string, string>;
  bodyStart: number;
}

/** Largest response head accepted. */
const MAX_HEAD = 64 * 1024;

/** Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n"; undefined while the head is incomplete. */
export function parseResponseHead(buf: Buffer): ResponseHead | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new Error(`the response head is longer than ${MAX_HEAD} bytes`);
    return undefined;
  }
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
  if (!m) throw new Error(`malformed status line ${JSON.stringify(lines[0].slice(0, 100))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line.slice(0, 100))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(m[1]), headers, bodyStart: end + 4 };
}

/** The request head of a GET for `url` with extra headers. */
export function getRequestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join("\r\n") + "\r\n\r\n";
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Exactly Content-Length bytes, or an error when the connection ends before them. */
  body: RawBody;
}

// Reads land in pooled 256 KiB buffers (net.Socket's onread): four times fewer read calls than Node's 64 KiB,
// and no fresh buffer per read for the garbage collector to chase (external memory forces full collections).
// A buffer goes back to the pool once the bytes in it were handed on: written to the caller's socket
// (pipeInto) or copied (the Readable side, for consumers that keep chunks).
const READ_SIZE = 256 * 1024;
const pool: Buffer[] = [];
const takeBuffer = () => pool.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
const giveBuffer = (b: Buffer) => void (pool.length < 64 && b.length === READ_SIZE && pool.push(b));

/** Where a body's bytes go: a writable that calls back once a chunk is flushed (an http.ServerResponse). */
export interface FlushingSink {
  write(chunk: Buffer, done: () => void): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * The body, bounded by Content-Length. Read it either as a Readable (chunks are copies) or with pipeInto,
 * which writes the pooled bytes straight to a sink. The socket stays paused until one of them starts, and
 * while the consumer is full.
 */
export class RawBody extends Readable {
  private received = 0;
  private started = false;
  private finished = false;
  private sink: FlushingSink | undefined;
  private settle: ((err?: Error) => void) | undefined;
  private waitingForDrain = false;

  constructor(private readonly socket: net.Socket, private readonly length: number, private first: Buffer) {
    super({ highWaterMark: 256 * 1024 });
    socket.on("end", () => this.ended());
    socket.on("error", (err) => this.fail(err));
  }

  /** Bytes from the socket; `backing` is the pooled buffer they sit in (given back here, or once written). */
  deliver(view: Buffer, backing: Buffer | undefined): boolean {
    if (this.finished || this.destroyed) {
      if (backing) giveBuffer(backing);
      return false;
    }
    this.received += view.length;
    if (this.received > this.length) {
      if (backing) giveBuffer(backing);
      this.fail(new Error(`the store sent more than the ${this.length} bytes of its Content-Length`));
      return false;
    }
    let more: boolean;
    if (this.sink) more = this.sink.write(view, () => backing && giveBuffer(backing));
    else {
      more = this.push(backing ? Buffer.from(view) : view);
      if (backing) giveBuffer(backing);
    }
    if (this.received === this.length) {
      this.finish();
      return false;
    }
    if (!more) {
      this.socket.pause();
      if (this.sink && !this.waitingForDrain) {
        this.waitingForDrain = true;
        this.sink.once("drain", () => {
          this.waitingForDrain = false;
          if (!this.finished) this.socket.resume();
        });
      }
    }
    return more;
  }

  /** Starts the flow: the bytes that came with the head first, then the socket. */
  private start(): void {
    this.started = true;
    const first = this.first;
    this.first = Buffer.alloc(0);
    if (first.length > 0) this.deliver(first, undefined);
    else if (this.length === 0) this.finish();
    if (!this.finished && !this.waitingForDrain) this.socket.resume();
  }

  /** Writes the whole body to `sink` from the pooled buffers; resolves once the last byte was handed to it. */
  pipeInto(sink: FlushingSink): Promise<void> {
    if (this.started) return Promise.reject(new Error("the body is already being read"));
    return new Promise((resolve, reject) => {
      this.sink = sink;
      this.settle = (err) => (err ? reject(err) : resolve());
      sink.once("close", () => this.fail(new Error("the caller went away before the body was sent")));
      this.start();
    });
  }

  private finish(): void {
    this.finished = true;
    this.socket.destroy();
    if (this.sink) this.settled();
    else this.push(null);
  }

  private settled(err?: Error): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(err);
  }

  private ended(): void {
    if (this.received < this.length) this.fail(new Error(`the store's connection closed after ${this.received} of ${this.length} bytes`));
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.socket.destroy();
    if (this.sink) this.settled(err);
    else this.destroy(err);
  }

  override _read(): void {
    if (!this.started) this.start();
    else if (!this.finished) this.socket.resume();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

/** A plain connection reads into the pool; TLS hands over its own decrypted buffers ('data'). */
function connect(url: URL, onChunk: (view: Buffer, backing: Buffer | undefined) => boolean | void): net.Socket {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "https:") {
    const socket = tls.connect({ host, port: Number(url.port || 443), servername: net.isIP(host) ? undefined : host });
    socket.on("data", (chunk: Buffer) => {
      if (onChunk(chunk, undefined) === false) socket.pause();
    });
    return socket;
  }
  return net.connect({
    host, port: Number(url.port || 80),
    onread: { buffer: takeBuffer, callback: (n: number, buf: Uint8Array) => onChunk((buf as Buffer).subarray(0, n), buf as Buffer) !== false },
  });
}

/**
 * GETs `url` on a fresh connection. Resolves with the head and a body stream once the head arrived;
 * resolves undefined when the head is one the caller should not read this way (no Content-Length, or a
 * transfer coding), having closed the connection; rejects when the store cannot be reached or talks
 * something other than HTTP.
 */
export function rawGet(url: URL, headers: Record<string, string>): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    let body: RawBody | undefined;
    let done = false;
    const fail = (err: Error) => {
      socket.destroy();
      if (!done) reject(err);
      done = true;
    };
    const onChunk = (view: Buffer, backing: Buffer | undefined): boolean => {
      if (body) return body.deliver(view, backing);
      if (done) return false;
      head = Buffer.concat([head, view]); // a copy: the pooled buffer goes back at once
      if (backing) giveBuffer(backing);
      let parsed: ResponseHead | undefined;
      try {
        parsed = parseResponseHead(head);
      } catch (err) {
        fail(err as Error);
        return false;
      }
      if (!parsed) return true;
      done = true;
      socket.off("error", fail);
      socket.off("end", early);
      const length = parsed.headers["content-length"];
      if (length === undefined || !/^\d+$/.test(length) || parsed.headers["transfer-encoding"] !== undefined) {
        socket.destroy();
        resolve(undefined);
        return false;
      }
      body = new RawBody(socket, Number(length), head.subarray(parsed.bodyStart));
      resolve({ status: parsed.status, headers: parsed.headers, body });
      return false; // paused until the body is read
    };
    const socket = connect(url, onChunk);
    const early = () => fail(new Error("the store closed the connection before its response head"));
    socket.on("error", fail);
    socket.on("end", early);
    socket.write(getRequestHead(url, headers));
  });
}
