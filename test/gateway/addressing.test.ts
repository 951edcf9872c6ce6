// Addressing: virtual-host style under the configured domain (REPO.DOMAIN/REF/PATH) beside path style, and a
// bucket listing whose prefix names no ref yet, which lists branches as common prefixes.
import assert from "node:assert/strict";
import * as http from "node:http";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { signedHeaders } from "./raw";
import { startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

describe("gateway: addressing", () => {
  let g: TestGateway;
  let s3: S3Client;
  before(async () => {
    g = await startGateway(["vhost"]);
    s3 = s3ClientFor(g);
    await g.service.client.createBranch({ repository: "vhost", name: "feature-a", source: "main" });
    await g.service.client.createBranch({ repository: "vhost", name: "feature-b", source: "main" });
    await s3.send(new PutObjectCommand({ Bucket: "vhost", Key: "feature-a/docs/readme.md", Body: "virtual host" }));
  });
  after(async () => {
    s3?.destroy();
    await g?.close();
  });

  /** A signed GET sent to the gateway's port with Host: `host`. */
  const getVia = (host: string, pathAndQuery: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`http://${host}${pathAndQuery}`);
      const headers = signedHeaders({ method: "GET", url, headers: {}, payloadHash: "UNSIGNED-PAYLOAD", accessKeyId: g.accessKeyId, secretAccessKey: g.secretAccessKey });
      http.get({ host: "127.0.0.1", port: g.port, path: pathAndQuery, headers }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      }).on("error", reject);
    });

  it("serves REPO.DOMAIN/REF/PATH like /REPO/REF/PATH", async () => {
    const vhost = await getVia(`vhost.s3.local.test:${g.port}`, "/feature-a/docs/readme.md");
    assert.equal(vhost.status, 200);
    assert.equal(vhost.body, "virtual host");
    const listing = await getVia(`vhost.s3.local.test:${g.port}`, "/?list-type=2&prefix=feature-a%2F");
    assert.match(listing.body, /<Key>feature-a\/docs\/readme.md<\/Key>/);
    // A host outside the domain is path style: the first segment is the bucket.
    const pathStyle = await getVia(`127.0.0.1:${g.port}`, "/vhost/feature-a/docs/readme.md");
    assert.equal(pathStyle.body, "virtual host");
  });

  it("lists branches as common prefixes until the prefix names a ref", async () => {
    const all = await getVia(`127.0.0.1:${g.port}`, "/vhost?list-type=2&delimiter=%2F");
    assert.deepEqual([...all.body.matchAll(/<Prefix>([^<]+)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]), ["feature-a/", "feature-b/", "main/"]);
    const some = await getVia(`127.0.0.1:${g.port}`, "/vhost?list-type=2&delimiter=%2F&prefix=feat");
    assert.deepEqual([...some.body.matchAll(/<Prefix>([^<]+)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]), ["feature-a/", "feature-b/"]);
    const paged = await getVia(`127.0.0.1:${g.port}`, "/vhost?list-type=2&delimiter=%2F&max-keys=2");
    assert.match(paged.body, /<IsTruncated>true<\/IsTruncated>/);
    const token = /<NextContinuationToken>([^<]+)</.exec(paged.body)![1];
    const rest = await getVia(`127.0.0.1:${g.port}`, `/vhost?list-type=2&delimiter=%2F&continuation-token=${token}`);
    assert.deepEqual([...rest.body.matchAll(/<Prefix>([^<]+)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]), ["main/"]);
  });

  it("continues a delimited listing past a common prefix without repeating it", async () => {
    for (const k of ["p/a/1", "p/a/2", "p/b/1", "p/c"]) await s3.send(new PutObjectCommand({ Bucket: "vhost", Key: `main/${k}`, Body: k }));
    const seen: string[] = [];
    let token = "";
    for (let page = 0; page < 10; page++) {
      const res = await getVia(`127.0.0.1:${g.port}`, `/vhost?list-type=2&delimiter=%2F&prefix=main%2Fp%2F&max-keys=1${token ? `&continuation-token=${token}` : ""}`);
      seen.push(...[...res.body.matchAll(/<(?:Key|Prefix)>(main\/p\/[^<]+)</g)].map((m) => m[1]));
      const next = /<NextContinuationToken>([^<]+)</.exec(res.body);
      if (!next) break;
      token = next[1];
    }
    assert.deepEqual(seen, ["main/p/a/", "main/p/b/", "main/p/c"]);
  });
});
