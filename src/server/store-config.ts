// Object-store settings for server processes, from the environment (flags override some of them). Pure:
// the environment is a parameter. Documented in README "Configuration".
//
//   TARN_S3_ENDPOINT            an S3-compatible server (path-style addressing then by default)
//   TARN_S3_REGION              default AWS_REGION / us-east-1
//   TARN_S3_FORCE_PATH_STYLE    "true" / "false"
//   TARN_S3_ACCESS_KEY_ID, TARN_S3_SECRET_ACCESS_KEY   static keys (else the AWS default chain)
//   TARN_AZURE_CONNECTION_STRING (or AZURE_STORAGE_CONNECTION_STRING), TARN_AZURE_ACCOUNT_KEY,
//   TARN_AZURE_ENDPOINT         blob service URL with the account (Azurite)
import type { ObjectStoreConfig } from "../block";
import { invalidArgument } from "../errors";

export interface StoreFlags {
  s3Endpoint?: string;
  azureEndpoint?: string;
}

export function storeConfigFromEnv(env: NodeJS.ProcessEnv, flags: StoreFlags = {}): ObjectStoreConfig {
  const get = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const config: ObjectStoreConfig = {};
  const s3: NonNullable<ObjectStoreConfig["s3"]> = {};
  const endpoint = flags.s3Endpoint ?? get("TARN_S3_ENDPOINT");
  if (endpoint) s3.endpoint = endpoint;
  const region = get("TARN_S3_REGION");
  if (region) s3.region = region;
  const pathStyle = get("TARN_S3_FORCE_PATH_STYLE");
  if (pathStyle !== undefined) {
    if (pathStyle !== "true" && pathStyle !== "false") throw invalidArgument(`TARN_S3_FORCE_PATH_STYLE must be 'true' or 'false', not '${pathStyle}'`);
    s3.forcePathStyle = pathStyle === "true";
  } else if (endpoint) {
    s3.forcePathStyle = true;
  }
  const id = get("TARN_S3_ACCESS_KEY_ID");
  const secret = get("TARN_S3_SECRET_ACCESS_KEY");
  if ((id === undefined) !== (secret === undefined)) throw invalidArgument("TARN_S3_ACCESS_KEY_ID and TARN_S3_SECRET_ACCESS_KEY must be set together");
  if (id && secret) Object.assign(s3, { accessKeyId: id, secretAccessKey: secret });
  if (Object.keys(s3).length > 0) config.s3 = s3;

  const azure: NonNullable<ObjectStoreConfig["azure"]> = {};
  const connectionString = get("TARN_AZURE_CONNECTION_STRING") ?? get("AZURE_STORAGE_CONNECTION_STRING");
  if (connectionString) azure.connectionString = connectionString;
  const accountKey = get("TARN_AZURE_ACCOUNT_KEY");
  if (accountKey) azure.accountKey = accountKey;
  const azureEndpoint = flags.azureEndpoint ?? get("TARN_AZURE_ENDPOINT");
  if (azureEndpoint) azure.endpoint = azureEndpoint;
  if (Object.keys(azure).length > 0) config.azure = azure;
  return config;
}
