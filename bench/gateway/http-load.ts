// The load generator's HTTP side, one code path for every side under test (gateway or store directly):
// presigned URLs over keep-alive connections, bodies from a generated stream or one buffer.
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import { Readable } from "node:stream";

export const CONCURRENCY = 64;

export const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

export function request(method: string, url: string, body?: Buffer | Readable, length?: number): Promise<{ status: number; sink: Readable }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: length !== undefined ? { "content-length": length } : {} }, (res) => resolve({ status: res.statusCode ?? 0, sink: res }));
    req.on("error", reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

export async function drain(r: Readable): Promise<void> {
  for await (const _ of r);
}

/** `size` bytes, 1 MiB chunks of one random block (generating them must not be what is measured). */
export function generated(size: number): Readable {
  const block = randomBytes(1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
