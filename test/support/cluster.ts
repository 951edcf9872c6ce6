// A production-shaped deployment for tests: three `tarn metadata` members on loopback (one cluster secret,
// the admin's keys from the environment) and one `tarn gateway` process in front of all three, each a real
// `node bin/tarn` child from the compiled dist (the dev loop runs `npx tsc -p .` first). The caller passes
// the object-store settings (TARN_S3_* or TARN_AZURE_*) the members need to presign their repositories' data.
import * as fs from "node:fs";
import * as path from "node:path";
import type { TarnClient } from "../../src/client";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, memberSpecs, peersFlag, startMemberProcess, TARN, tempDir, waitForLeader } from "../server/support";
import { freePort } from "./ports";
import { startProcess, type StartedProcess, waitUntil } from "./processes";
import { s3ClientEnv } from "./s3-clients";

export interface GatewayCluster {
  /** The gateway's S3 endpoint, e.g. "http://127.0.0.1:41234". */
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** gRPC HOST:PORT of each member. */
  metadata: string[];
  /** Environment for `tarn` CLI children: TARN_ENDPOINT (all members) and the admin's keys. */
  cliEnv: NodeJS.ProcessEnv;
  /** Environment for the aws CLI, boto3, s3cmd and rclone: the admin's keys, a region, no config files. */
  s3Env: NodeJS.ProcessEnv;
  /** An admin TarnClient on all members. */
  client: TarnClient;
  members: StartedProcess[];
  gateway: StartedProcess;
  stop(): Promise<void>;
}

export async function startGatewayCluster(name: string, storeEnv: NodeJS.ProcessEnv): Promise<GatewayCluster> {
  const root = tempDir(`cluster-${name}`);
  const env = cleanEnv({
    ...storeEnv,
    TARN_CLUSTER_SECRET: CLUSTER_SECRET,
    TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  const specs = await memberSpecs(["m1", "m2", "m3"], root);
  const members = specs.map((m) => startMemberProcess(m, { peers: peersFlag(specs), env }));
  const metadata = specs.map((m) => `127.0.0.1:${m.port}`);
  const client = adminClient(metadata);
  let gateway: StartedProcess | undefined;
  const stop = async () => {
    client.close();
    await Promise.all([gateway, ...members].map((p) => p?.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitForLeader(client, members[0]);
    const cliEnv = { ...env, TARN_ENDPOINT: metadata.join(","), TARN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };
    const port = await freePort();
    // The gateway gets the cluster secret and the admin's keys as its client configuration, nothing of the store.
    const gatewayEnv = cleanEnv({ TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    gateway = startProcess(process.execPath, [TARN, "gateway", "--listen", `127.0.0.1:${port}`, "--metadata", metadata.join(","), "--log-level", "warn"], {
      env: gatewayEnv,
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntil("tarn gateway", async () => (await fetch(`${endpoint}/healthz`)).status === 200, 30_000, gateway);
    const s3Env = s3ClientEnv(ADMIN, { HOME: path.join(root, "home") });
    fs.mkdirSync(s3Env.HOME!, { recursive: true });
    return { endpoint, port, ...ADMIN, metadata, cliEnv, s3Env, client, members, gateway, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
