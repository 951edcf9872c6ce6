// Large store reads past Node's HTTP client (src/gateway/raw-get.ts): the head parser, and reads from a
// real HTTP server that answers whole, ranged, short, chunked and failing responses.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestHead, parseResponseHead, rawGet } from "../../src/gateway/raw-get";
import { readFromStore, RAW_READ } from "../../src/gateway/store-io";
import type * as M from "../../src/metadata/messages";

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("gateway: raw store reads", () => {
  it("parses a response head, folding repeated headers, and waits for the blank line", () => {
    const text = "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello";
    assert.equal(parseResponseHead(Buffer.from(text.slice(0, 40))), undefined);
    const head = parseResponseHead(Buffer.from(text));
    assert.deepEqual(head, { status: 206, headers: { "content-length": "5", "x-a": "1, 2" }, bodyStart: text.indexOf("hello") });
    assert.throws(() => parseResponseHead(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")), /malformed status line/);
    assert.throws(() => parseResponseHead(Buffer.from("HTTP/1.1 200 OK\r\nno colon\r\n\r\n")), /malformed header line/);
    assert.throws(() => parseResponseHead(Buffer.alloc(70 * 1024, "a")), /longer than/);
  });

  it("writes a GET head with the path, query, host and extra headers", () => {
    const head = getRequestHead(new URL("http://127.0.0.1:9/b/k%20x?X-Amz-Signature=ab&y=1"), { range: "bytes=0-9" });
    assert.equal(head, "GET /b/k%20x?X-Amz-Signature=ab&y=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\nrange: bytes=0-9\r\n\r\n");
  });

  describe("against a server", () => {
    const data = randomBytes(RAW_READ + 3 * 65536 + 17);
    let server: http.Server;
    let base = "";
    before(async () => {
      server = http.createServer((req, res) => {
        const path = req.url!.split("?")[0];
        if (path === "/whole" || path === "/ranged") {
          const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
          const part = m ? data.subarray(Number(m[1]), Number(m[2]) + 1) : data;
          res.writeHead(m ? 206 : 200, { "content-length": part.length });
          res.end(part);
        } else if (path === "/short") {
          res.writeHead(200, { "content-length": data.length });
          res.write(data.subarray(0, 100_000), () => res.destroy());
        } else if (path === "/chunked") {
          res.writeHead(200, { "transfer-encoding": "chunked" });
          res.end(data);
        } else {
          res.writeHead(404, { "content-type": "application/xml" });
          res.end("<Error><Code>NoSuchKey</Code></Error>");
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    const got = (path: string, size: number) => ({ presignedUrl: `${base}${path}?sig=1`, stats: { sizeBytes: size, physicalAddress: path } }) as unknown as M.GetObjectResponse;

    it("returns exactly the bytes, whole and ranged", async () => {
      assert.ok((await collect(await readFromStore(got("/whole", data.length), undefined, "whole"))).equals(data));
      const range = { start: 12345, end: 12345 + RAW_READ };
      assert.ok((await collect(await readFromStore(got("/ranged", data.length), range, "ranged"))).equals(data.subarray(range.start, range.end + 1)));
    });

    it("fails the body when the connection ends before Content-Length", async () => {
      const res = await rawGet(new URL(`${base}/short`), {});
      assert.ok(res);
      await assert.rejects(collect(res.body), /closed after \d+ of \d+ bytes/);
    });

    it("pipes the pooled bytes into a response at the pace of a slow reader, and rejects a short body", async () => {
      const failures: Error[] = [];
      const relay = http.createServer((req, res) => {
        void (async () => {
          const upstream = await rawGet(new URL(`${base}${req.url}`), {});
          assert.ok(upstream);
          res.writeHead(200, { "content-length": upstream.headers["content-length"] });
          try {
            await upstream.body.pipeInto(res);
            res.end();
          } catch (err) {
            failures.push(err as Error);
            res.destroy();
          }
        })();
      });
      await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
      const at = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
      try {
        const res = await fetch(`${at}/whole`);
        const chunks: Buffer[] = [];
        const reader = res.body!.getReader();
        for (let i = 0; ; i++) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(Buffer.from(value));
          if (i % 8 === 0) await new Promise((r) => setTimeout(r, 5)); // slower than the store: back-pressure
        }
        assert.ok(Buffer.concat(chunks).equals(data));
        await assert.rejects(fetch(`${at}/short`).then((r) => r.arrayBuffer()));
        assert.match(failures.map((e) => e.message).join("; "), /closed after \d+ of \d+ bytes/);
      } finally {
        relay.closeAllConnections();
        relay.close();
      }
    });

    it("leaves a chunked response to the standard client, which reads it whole", async () => {
      assert.equal(await rawGet(new URL(`${base}/chunked`), {}), undefined);
      assert.ok((await collect(await readFromStore(got("/chunked", data.length), undefined, "chunked"))).equals(data));
    });

    it("answers NoSuchKey for bytes missing from the store, and ServiceUnavailable for a store that is not there", async () => {
      await assert.rejects(readFromStore(got("/missing", data.length), undefined, "object m"), (err: Error & { code?: string }) => err.code === "NoSuchKey" && /object m/.test(err.message));
      const closed = { presignedUrl: "http://127.0.0.1:1/x", stats: { sizeBytes: data.length } } as unknown as M.GetObjectResponse;
      await assert.rejects(readFromStore(closed, undefined, "object u"), (err: Error & { code?: string }) => err.code === "ServiceUnavailable");
    });
  });
});
