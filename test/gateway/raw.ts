// Hand-made S3 requests for bad-input tests: SigV4 header signing with src/auth/sigv4 (the parts the SDKs
// never get wrong on purpose: bodies that lie about their length or checksum, broken XML, torn uploads).
import * as http from "node:http";
import * as v4 from "../../src/auth/sigv4";

export interface RawResponse {
  status: number;
  body: string;
}

export function signedHeaders(opts: { method: string; url: URL; headers: Record<string, string>; payloadHash: string; accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const credential = { accessKeyId: opts.accessKeyId, date: amzDate.slice(0, 8), region: "us-east-1", service: "s3" };
  const headers: Record<string, string> = { ...opts.headers, host: opts.url.host, "x-amz-date": amzDate, "x-amz-content-sha256": opts.payloadHash };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lookup = (n: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === n)?.[1];
  const canonical = v4.canonicalRequest({ method: opts.method, rawPath: opts.url.pathname, query: v4.parseQuery(opts.url.search.slice(1)), signedHeaders: names, header: lookup, payloadHash: opts.payloadHash });
  const signature = v4.signHex(v4.signingKey(opts.secretAccessKey, credential), v4.stringToSign(amzDate, credential, canonical));
  return { ...headers, authorization: `${v4.SIGV4_ALGORITHM} Credential=${opts.accessKeyId}/${v4.scopeOf(credential)}, SignedHeaders=${names.join(";")}, Signature=${signature}` };
}

/** Sends a request; `body` pieces are written in order; `hangUp` destroys the socket after them instead of ending. */
export function send(method: string, url: URL, headers: Record<string, string>, body: Buffer[] = [], hangUp = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", (err) => (hangUp ? resolve({ status: 0, body: String(err) }) : reject(err)));
    for (const b of body) req.write(b);
    if (hangUp) setTimeout(() => req.destroy(), 200);
    else req.end();
  });
}

/** aws-chunked framing without chunk signatures, with trailer lines after the last chunk. */
export function unsignedChunked(pieces: Buffer[], trailers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const p of pieces) parts.push(Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n"));
  parts.push(Buffer.from("0\r\n" + Object.entries(trailers).map(([k, v]) => `${k}:${v}\r\n`).join("") + "\r\n"));
  return Buffer.concat(parts);
}

export const code = (r: RawResponse) => /<Code>([^<]*)<\/Code>/.exec(r.body)?.[1];
