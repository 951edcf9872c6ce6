// The snapshot stores the state tests run against: a local directory, versitygw (S3) and Azurite, each
// under a fresh prefix.
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import type { ObjectStore } from "../../src/block";
import { openObjectStore } from "../../src/block";
import { azurite } from "../support/azurite";
import { s3Server } from "../support/s3server";

export type StoreKind = "local" | "s3" | "azure";

export async function snapshotStore(kind: StoreKind): Promise<ObjectStore> {
  const prefix = `state-${randomBytes(6).toString("hex")}`;
  switch (kind) {
    case "local":
      return openObjectStore(`local://${path.join(os.tmpdir(), `tarn-${prefix}`)}`);
    case "s3": {
      const s3 = await s3Server();
      return openObjectStore(`s3://${s3.bucket}/${prefix}`, {
        s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
    }
    case "azure": {
      const az = await azurite();
      return openObjectStore(`azure://${az.accountName}/${az.container}/${prefix}`, { azure: { accountKey: az.accountKey, endpoint: az.endpoint } });
    }
  }
}
