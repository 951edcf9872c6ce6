// Presigned UploadPart URLs for S3 stores. The block module's ObjectStore presigns whole-object GET and PUT
// only, so the service signs parts itself with the same configuration the store was opened with: with the
// block module's SDK-free presigner when the credentials are static, else through the SDK.
import { S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { S3Presigner } from "../block";
import { invalidArgument } from "../errors";

export interface S3PartTarget {
  bucket: string;
  /** "" or "a/b/": put in front of every key, as the store does. */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

const MAX_PART = 10_000;

export async function presignS3Parts(target: S3PartTarget, key: string, uploadId: string, partNumbers: number[], expiresIn: number): Promise<string[]> {
  for (const n of partNumbers) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_PART) throw invalidArgument(`invalid part number ${n}: parts are numbered 1 to ${MAX_PART}`);
  }
  const region = target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const forcePathStyle = target.forcePathStyle ?? target.endpoint !== undefined;
  if (target.accessKeyId && target.secretAccessKey) {
    // Static credentials: signed here without building an SDK client per call.
    const presigner = new S3Presigner({ ...target, accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey, region, forcePathStyle });
    return partNumbers.map((n) => presigner.presign("PUT", target.prefix + key, expiresIn, { partNumber: String(n), uploadId }));
  }
  const client = new S3Client({
    endpoint: target.endpoint,
    region,
    forcePathStyle,
    credentials: target.accessKeyId && target.secretAccessKey ? { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey, sessionToken: target.sessionToken } : undefined,
  });
  try {
    return await Promise.all(
      partNumbers.map((n) => getSignedUrl(client, new UploadPartCommand({ Bucket: target.bucket, Key: target.prefix + key, UploadId: uploadId, PartNumber: n }), { expiresIn })),
    );
  } finally {
    client.destroy();
  }
}
