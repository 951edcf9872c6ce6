// The process under measurement: a metadata service (temp classic-level KV) and the S3 gateway in front of
// it, with repositories stored on the S3-compatible server given in argv. Prints one JSON line with its
// endpoint and keys, then "rss BYTES" every 100 ms so the bench can report the gateway's peak memory.
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { credentialResolver, createGatewayServer } from "../../src/gateway";
import { TarnClient } from "../../src/client";
import { openLocalService, silentLogger } from "../../src/metadata";

async function main(): Promise<void> {
  const s3 = JSON.parse(process.argv[2]) as { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-gw-"));
  const svc = await openLocalService({
    dataDir: dir, clusterSecret: "bench gateway cluster secret, long enough", logger: silentLogger,
    storeConfig: { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    presignExpirySeconds: 3600,
  });
  const port = await svc.server.listen("127.0.0.1:0");
  const admin = svc.admin!;
  const client = new TarnClient({ endpoints: [`127.0.0.1:${port}`], ...admin });
  await client.createRepository({ name: "bench", storageNamespace: `s3://${s3.bucket}/tarn-bench` });
  const server = createGatewayServer({ client, credentials: credentialResolver((id) => svc.auth.secretOf(id)), readCacheMs: Number(process.env.BENCH_GATEWAY_READ_CACHE_MS ?? 0) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const gw = (server.address() as AddressInfo).port;
  process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${gw}`, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey }) + "\n");
  setInterval(() => process.stdout.write(`rss ${process.memoryUsage.rss()}\n`), 100).unref();
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    client.close();
    await svc.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.stdin.on("end", () => void stop());
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
