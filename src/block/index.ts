// The object-store module's public face: open a store by URI, and the interface every adapter implements.
//
//   const store = openObjectStore("s3://bucket/ns", { s3: { endpoint, accessKeyId, secretAccessKey } });
//   await store.put("data/abc", stream);  ...  await store.close();
import { invalidArgument } from "../errors";
import type * as AzureModule from "./azure";
import { LocalObjectStore } from "./local";
import type { LocalPresignConfig } from "./local-presign";
import type * as S3Module from "./s3";
import type { ObjectStore } from "./types";
import { parseStoreUri } from "./uri";

export interface ObjectStoreConfig {
  s3?: {
    /** An S3-compatible server, e.g. "http://127.0.0.1:7070"; path-style addressing is then the default. */
    endpoint?: string;
    /** Default: AWS_REGION, AWS_DEFAULT_REGION, then "us-east-1". */
    region?: string;
    forcePathStyle?: boolean;
    /** Static credentials (both or neither); without them the AWS SDK's default chain is used. */
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
  };
  azure?: {
    /** Takes precedence over accountKey/endpoint; its account must be the URI's. */
    connectionString?: string;
    /** When given, must equal the URI's account. */
    accountName?: string;
    accountKey?: string;
    /** Blob service URL with the account, for Azurite: "http://127.0.0.1:10000/devstoreaccount1". */
    endpoint?: string;
  };
  local?: {
    /** Enables presigned URLs, answered by `createLocalPresignHandler` mounted at `presign.baseUrl`. */
    presign?: LocalPresignConfig;
  };
  /** Remote stores: how long a TCP connect may take (default 2000 ms), attempts per request (default 3). */
  network?: { connectTimeoutMs?: number; maxAttempts?: number };
}

export function openObjectStore(uri: string, config: ObjectStoreConfig = {}): ObjectStore {
  const location = parseStoreUri(uri);
  const network = config.network ?? {};
  switch (location.kind) {
    case "local":
      if (config.local?.presign) checkUrl(uri, "local.presign.baseUrl", config.local.presign.baseUrl);
      return new LocalObjectStore(location.root, { presign: config.local?.presign });
    case "s3": {
      const s3 = config.s3 ?? {};
      if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
        throw invalidArgument(`${uri}: s3.accessKeyId and s3.secretAccessKey must be given together`);
      }
      if (s3.endpoint !== undefined) checkUrl(uri, "s3.endpoint", s3.endpoint);
      return new (loadS3().S3ObjectStore)({ ...location, ...s3, ...network });
    }
    case "azure": {
      const azure = config.azure ?? {};
      if (azure.accountName !== undefined && azure.accountName !== location.account) {
        throw invalidArgument(`${uri}: azure.accountName '${azure.accountName}' is not the URI's account '${location.account}'`);
      }
      if (azure.endpoint !== undefined) checkUrl(uri, "azure.endpoint", azure.endpoint);
      const accountKey = azure.accountKey ?? process.env.AZURE_STORAGE_KEY;
      const connectionString = azure.connectionString ?? (accountKey ? undefined : process.env.AZURE_STORAGE_CONNECTION_STRING);
      return new (loadAzure().AzureObjectStore)({ ...location, connectionString, accountKey, endpoint: azure.endpoint, ...network });
    }
  }
}

// The cloud SDKs are loaded when a store of their kind is first opened: each costs ~15 MB of memory and
// ~0.2 s of start-up, which a `tarn` command or a process using only local storage should not pay.
/* eslint-disable @typescript-eslint/no-require-imports */
const loadS3 = (): typeof S3Module => require("./s3");
const loadAzure = (): typeof AzureModule => require("./azure");
/* eslint-enable @typescript-eslint/no-require-imports */

function checkUrl(uri: string, name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${uri}: ${name} '${value}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidArgument(`${uri}: ${name} '${value}' must be an http or https URL`);
}

export type * from "./types";
export { parseStoreUri, type StoreLocation } from "./uri";
export { MissingStoreError } from "./errors";
export { createLocalPresignHandler, type LocalPresignConfig } from "./local-presign";
export { LocalObjectStore } from "./local";
export type { S3ObjectStore, S3StoreOptions } from "./s3";
export { S3Presigner, type S3PresignTarget } from "./s3-presign";
export type { AzureObjectStore, AzureStoreOptions } from "./azure";
