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
  body: Readable;
}

/** The body: the socket's chunks, bounded by Content-Length, with the socket paused while the reader is full. */
class SocketBody extends Readable {
  private received = 0;

  constructor(private readonly socket: net.Socket, private readonly length: number, first: Buffer) {
    super({ highWaterMark: 256 * 1024 });
    socket.on("data", (chunk: Buffer) => this.accept(chunk));
    socket.on("end", () => this.ended());
    socket.on("error", (err) => this.destroy(err));
    if (first.length > 0) this.accept(first);
    else if (length === 0) this.finish();
  }

  private accept(chunk: Buffer): void {
    if (this.destroyed) return;
    this.received += chunk.length;
    if (this.received > this.length) return void this.destroy(new Error(`the store sent more than the ${this.length} bytes of its Content-Length`));
    if (!this.push(chunk)) this.socket.pause();
    if (this.received === this.length) this.finish();
  }

  private finish(): void {
    this.push(null);
    this.socket.destroy();
  }

  private ended(): void {
    if (this.received < this.length) this.destroy(new Error(`the store's connection closed after ${this.received} of ${this.length} bytes`));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

function connect(url: URL): net.Socket {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "https:") {
    return tls.connect({ host, port: Number(url.port || 443), servername: net.isIP(host) ? undefined : host });
  }
  return net.connect({ host, port: Number(url.port || 80) });
}

/**
 * GETs `url` on a fresh connection. Resolves with the head and a body stream once the head arrived;
 * resolves undefined when the head is one the caller should not read this way (no Content-Length, or a
 * transfer coding), having closed the connection; rejects when the store cannot be reached or talks
 * something other than HTTP.
 */
export function rawGet(url: URL, headers: Record<string, string>): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(url);
    let head: Buffer = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      let parsed: ResponseHead | undefined;
      try {
        parsed = parseResponseHead(head);
      } catch (err) {
        return fail(err as Error);
      }
      if (!parsed) return;
      socket.off("data", onData);
      socket.off("error", fail);
      socket.off("end", early);
      const length = parsed.headers["content-length"];
      if (length === undefined || !/^\d+$/.test(length) || parsed.headers["transfer-encoding"] !== undefined) {
        socket.destroy();
        return resolve(undefined);
      }
      const body = new SocketBody(socket, Number(length), head.subarray(parsed.bodyStart));
      resolve({ status: parsed.status, headers: parsed.headers, body });
    };
    const early = () => fail(new Error("the store closed the connection before its response head"));
    socket.on("data", onData);
    socket.on("error", fail);
    socket.on("end", early);
    socket.write(getRequestHead(url, headers));
  });
}
