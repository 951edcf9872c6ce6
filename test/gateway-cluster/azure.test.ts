// The real S3 clients through `tarn gateway` before a three-member metadata cluster, the repository's data
// on Azurite (Azure Blob), multipart uploads included (blocks staged through a SAS URL, src/gateway/multipart-azure.ts).
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
}, { multipart: true, listParts: true });
