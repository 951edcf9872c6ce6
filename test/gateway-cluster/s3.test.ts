// The real S3 clients through `tarn gateway` before a three-member metadata cluster, the repository's data
// on versitygw (an S3-compatible server).
import { randomBytes } from "node:crypto";
import { s3Server } from "../support/s3server";
import { describeGatewayCluster } from "./suite";

describeGatewayCluster("S3 (versitygw)", async () => {
  const s = await s3Server();
  const run = randomBytes(4).toString("hex");
  return {
    env: { TARN_S3_ENDPOINT: s.endpoint, TARN_S3_REGION: s.region, TARN_S3_ACCESS_KEY_ID: s.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s.secretAccessKey },
    namespace: (repo) => `s3://${s.bucket}/gateway-cluster-${run}/${repo}`,
  };
}, { multipart: true, listParts: true });
