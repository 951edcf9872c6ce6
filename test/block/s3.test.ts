import { randomBytes } from "node:crypto";
import { openObjectStore } from "../../src/block";
import { s3Server } from "../support/s3server";
import { runObjectStoreConformance } from "./conformance";

// Each test gets a fresh prefix in the shared bucket of the shared versitygw process.
runObjectStoreConformance("s3 (versitygw)", async () => {
  const s3 = await s3Server();
  return openObjectStore(`s3://${s3.bucket}/conformance-${randomBytes(6).toString("hex")}`, {
    s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});
