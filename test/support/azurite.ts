// Azurite (the Azure Storage emulator, from node_modules) for tests and benchmarks: its blob service on a
// free loopback port over a temp directory. `azurite()` starts one per process and reuses it; the root
// hook (hooks.ts) stops it with every other process at the end of the run.
import { BlobServiceClient } from "@azure/storage-blob";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./ports";
import { startProcess, waitUntil } from "./processes";

/** Azurite's fixed development account (public, documented by Microsoft: not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  /** The blob endpoint including the account, e.g. "http://127.0.0.1:41234/devstoreaccount1". */
  endpoint: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  /** A container created at start. */
  container: string;
  createContainer(name: string): Promise<void>;
  stop(): Promise<void>;
}

let shared: Promise<AzuriteServer> | undefined;

/** The process-wide Azurite, started on first use. */
export function azurite(): Promise<AzuriteServer> {
  shared ??= startAzurite();
  return shared;
}

export async function startAzurite(): Promise<AzuriteServer> {
  const main = path.join(path.dirname(require.resolve("azurite/package.json")), "dist/src/blob/main.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-azurite-"));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
  const proc = startProcess(process.execPath, [
    main, "--skipApiVersionCheck", "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", dir, "--silent", "--loose",
  ]);
  // However the server stops (stop(), the root hook, a crash), its temp directory goes with it.
  proc.child.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const service = BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } });
  try {
    await waitUntil("azurite", async () => (await service.getProperties())._response.status === 200, 30_000, proc);
    const createContainer = async (name: string) => {
      await service.getContainerClient(name).create();
    };
    const container = "tarn-test";
    await createContainer(container);
    return {
      endpoint,
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      connectionString,
      container,
      createContainer,
      stop: async () => {
        await proc.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
