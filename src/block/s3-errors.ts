// The one place where @aws-sdk/client-s3 errors become TarnErrors. Service errors are told apart by
// their S3 error code (`name`) and HTTP status; socket failures by their Node error code.
import { TarnError } from "../errors";
import { describe, keyNotFound, MissingStoreError, networkErrorCode, unreachable, uploadNotFound } from "./errors";

export interface S3ErrorContext {
  storeUri: string;
  bucket: string;
  endpoint: string;
}

/** What the failed call was about, for the message. */
export interface S3Subject {
  key?: string;
  uploadId?: string;
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired", "CredentialsProviderError", "InvalidSecurity",
  "XAdminUserNotFound", // versitygw, for an unknown access key (with status 404)
]);
const ARGUMENT_CODES = new Set(["InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge", "InvalidArgument", "InvalidRequest", "KeyTooLongError", "InvalidDigest", "BadDigest", "IncompleteBody", "MetadataTooLarge", "InvalidBucketName"]);

export function mapS3Error(ctx: S3ErrorContext, err: unknown, subject: S3Subject = {}): TarnError {
  if (err instanceof TarnError) return err;
  const { storeUri, bucket, endpoint } = ctx;
  const network = networkErrorCode(err);
  if (network) return unreachable(storeUri, endpoint, network, err);
  const e = (err ?? {}) as SdkError;
  const code = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const about = subject.key !== undefined ? `key '${subject.key}': ` : "";
  const detail = `(${code}${status ? ` ${status}` : ""}: ${describe(err)})`;

  if (code === "NoSuchBucket") return new MissingStoreError(storeUri, "bucket", bucket, err);
  if (code === "NoSuchUpload" && subject.key !== undefined) return uploadNotFound(storeUri, subject.key, subject.uploadId ?? "?", err);
  if (CREDENTIAL_CODES.has(code) || status === 401) {
    return new TarnError("UNAUTHENTICATED", `${storeUri}: ${about}the credentials were rejected by ${endpoint} ${detail}`, { cause: err });
  }
  if ((code === "NoSuchKey" || code === "NotFound" || status === 404) && subject.key !== undefined) return keyNotFound(storeUri, subject.key, err);
  if (code === "AccessDenied" || code === "AllAccessDisabled" || status === 403) {
    return new TarnError("PERMISSION_DENIED", `${storeUri}: ${about}access denied by ${endpoint} ${detail}`, { cause: err });
  }
  if (code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed" || status === 301) {
    return new TarnError("INVALID_ARGUMENT", `${storeUri}: bucket '${bucket}' is not served by ${endpoint} in this region ${detail}`, { cause: err });
  }
  if (code === "PreconditionFailed" || status === 412) return new TarnError("FAILED_PRECONDITION", `${storeUri}: ${about}precondition failed ${detail}`, { cause: err });
  if (ARGUMENT_CODES.has(code) || status === 400) return new TarnError("INVALID_ARGUMENT", `${storeUri}: ${about}request refused ${detail}`, { cause: err });
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new TarnError("UNAVAILABLE", `${storeUri}: ${about}${endpoint} failed, try again ${detail}`, { cause: err });
  }
  return new TarnError("INTERNAL", `${storeUri}: ${about}unexpected error from ${endpoint} ${detail}`, { cause: err });
}
