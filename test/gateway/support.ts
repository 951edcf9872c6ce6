// A metadata service in this process (test/metadata/support.ts: classic-level KV, local:// stores under a
// temp dir) with the S3 gateway in front of it on a loopback port, and a repository to write to. Real S3
// clients are pointed at `endpoint` with the admin's keys.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type * as http from "node:http";
import { gatewayKeyFrom } from "../../src/auth";
import { TarnClient } from "../../src/client";
import { credentialResolver, createGatewayServer, remoteCredentialResolver, type GatewayOptions } from "../../src/gateway";
import { CLUSTER_SECRET, startService, type TestService } from "../metadata/support";
import { azurite } from "../support/azurite";
import { s3ClientEnv } from "../support/s3-clients";
import { s3Server } from "../support/s3server";

export interface TestGateway {
  service: TestService;
  server: http.Server;
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment for the aws CLI, boto3, s3cmd and rclone children: keys, region, no config files. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export type StoreKind = "local" | "s3" | "azure";

/**
 * `store: "s3"` keeps the repositories on versitygw (the bytes then move by presigned URLs, and multipart
 * uploads are the store's own); "azure" on Azurite (SAS URLs, multipart as staged blocks); "local" (the
 * default) on a local:// directory the gateway writes directly.
 */
/**
 * `sidecar: true` runs the gateway as `tarn gateway` does: one client signed with the gateway key, acting on
 * behalf of each caller, and credentials looked up with GetCredentialForGateway.
 */
export async function startGateway(
  repositories: string[] = ["repo"],
  options: { readCacheMs?: number; store?: StoreKind; sidecar?: boolean; gateway?: Pick<GatewayOptions, "uploadMaxAgeMs" | "uploadSweepIntervalMs"> } = {},
): Promise<TestGateway> {
  const remote = options.store === "s3" ? await s3Server() : undefined;
  const blob = options.store === "azure" ? await azurite() : undefined;
  const storeConfig = remote ? { s3: { endpoint: remote.endpoint, region: remote.region, forcePathStyle: true, accessKeyId: remote.accessKeyId, secretAccessKey: remote.secretAccessKey } }
    : blob ? { azure: { connectionString: blob.connectionString } } : undefined;
  const service = await startService({ storeConfig });
  const admin = service.svc.admin!;
  const run = randomBytes(4).toString("hex");
  for (const name of repositories) {
    const storageNamespace = remote ? `s3://${remote.bucket}/gateway-${run}/${name}`
      : blob ? `azure://${blob.accountName}/${blob.container}/gateway-${run}/${name}` : service.namespace(name);
    await service.client.createRepository({ name, storageNamespace });
  }
  const gatewayKey = gatewayKeyFrom(CLUSTER_SECRET);
  const sidecar = options.sidecar ? new TarnClient({ endpoints: [service.address], gateway: { key: gatewayKey, id: "test-gateway" } }) : undefined;
  const server = createGatewayServer({
    client: sidecar ?? service.client,
    endpoints: sidecar ? undefined : [service.address],
    credentials: sidecar ? remoteCredentialResolver(sidecar, gatewayKey) : credentialResolver((id) => service.svc.auth.secretOf(id)),
    domains: ["s3.local.test"],
    readCacheMs: options.readCacheMs,
    ...options.gateway,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    service,
    server,
    endpoint,
    port,
    accessKeyId: admin.accessKeyId,
    secretAccessKey: admin.secretAccessKey,
    env: s3ClientEnv(admin),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      sidecar?.close();
      await service.close();
    },
  };
}

export { sha256 } from "../support/client-files";
