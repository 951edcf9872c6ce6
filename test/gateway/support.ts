// A metadata service in this process (test/metadata/support.ts: classic-level KV, local:// stores under a
// temp dir) with the S3 gateway in front of it on a loopback port, and a repository to write to. Real S3
// clients are pointed at `endpoint` with the admin's keys.
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import type * as http from "node:http";
import { credentialResolver, createGatewayServer } from "../../src/gateway";
import { startService, type TestService } from "../metadata/support";

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

export async function startGateway(repositories: string[] = ["repo"]): Promise<TestGateway> {
  const service = await startService();
  const admin = service.svc.admin!;
  for (const name of repositories) await service.client.createRepository({ name, storageNamespace: service.namespace(name) });
  const server = createGatewayServer({
    client: service.client,
    endpoints: [service.address],
    credentials: credentialResolver((id) => service.svc.auth.secretOf(id)),
    domains: ["s3.local.test"],
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
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
    },
  };
}

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
