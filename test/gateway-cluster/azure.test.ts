// The real S3 clients through `tarn gateway` before a three-member metadata cluster, the repository's data
// on Azurite (Azure Blob). Multipart is left out: the gateway answers CreateMultipartUpload on an
// Azure-backed repository with NotImplemented ("multipart uploads to repository lake are not supported by its
// store yet"); set `multipart: true` once it does.
import { randomBytes } from "node:crypto";
import { azurite } from "../support/azurite";
import { describeGatewayCluster } from "./suite";

describeGatewayCluster("Azure Blob (Azurite)", async () => {
  const a = await azurite();
  const run = randomBytes(4).toString("hex");
  return {
    env: { TARN_AZURE_CONNECTION_STRING: a.connectionString },
    namespace: (repo) => `azure://${a.accountName}/${a.container}/gateway-cluster-${run}/${repo}`,
  };
}, { multipart: false });
