// S3 errors: a code and HTTP status from the S3 error table, a message naming what was wrong, and the XML
// body S3 clients parse. Tarn errors from the metadata service are mapped here once.
import { TarnError } from "../errors";
import { xmlDocument, xmlElement } from "./xml";

export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown; resource?: string },
  ) {
    super(message, options);
    this.name = "S3Error";
  }
}

const make = (code: string, status: number) => (message: string, cause?: unknown) => new S3Error(code, status, message, { cause });

export const s3 = {
  accessDenied: make("AccessDenied", 403),
  signatureDoesNotMatch: make("SignatureDoesNotMatch", 403),
  invalidAccessKeyId: make("InvalidAccessKeyId", 403),
  requestTimeTooSkewed: make("RequestTimeTooSkewed", 403),
  authorizationHeaderMalformed: make("AuthorizationHeaderMalformed", 400),
  missingSecurityHeader: make("MissingSecurityHeader", 400),
  invalidArgument: make("InvalidArgument", 400),
  invalidRequest: make("InvalidRequest", 400),
  invalidDigest: make("InvalidDigest", 400),
  badDigest: make("BadDigest", 400),
  contentSha256Mismatch: make("XAmzContentSHA256Mismatch", 400),
  incompleteBody: make("IncompleteBody", 400),
  malformedXml: make("MalformedXML", 400),
  invalidPart: make("InvalidPart", 400),
  invalidPartOrder: make("InvalidPartOrder", 400),
  entityTooSmall: make("EntityTooSmall", 400),
  entityTooLarge: make("EntityTooLarge", 400),
  keyTooLong: make("KeyTooLongError", 400),
  invalidBucketName: make("InvalidBucketName", 400),
  invalidRange: make("InvalidRange", 416),
  missingContentLength: make("MissingContentLength", 411),
  noSuchBucket: make("NoSuchBucket", 404),
  noSuchKey: make("NoSuchKey", 404),
  noSuchUpload: make("NoSuchUpload", 404),
  methodNotAllowed: make("MethodNotAllowed", 405),
  preconditionFailed: make("PreconditionFailed", 412),
  conflict: make("OperationAborted", 409),
  notImplemented: make("NotImplemented", 501),
  internal: make("InternalError", 500),
  unavailable: make("ServiceUnavailable", 503),
  requestTimeout: make("RequestTimeout", 400),
};

/**
 * Any error → S3Error. `missing` says what a NOT_FOUND means where it happened (a key for object calls, a
 * bucket for bucket calls).
 */
export function toS3Error(err: unknown, missing: "key" | "bucket" = "key"): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof TarnError) {
    switch (err.code) {
      case "NOT_FOUND":
        return missing === "bucket" ? s3.noSuchBucket(err.message, err) : s3.noSuchKey(err.message, err);
      case "ALREADY_EXISTS":
        return new S3Error("BucketAlreadyExists", 409, err.message, { cause: err });
      case "FAILED_PRECONDITION":
        return s3.conflict(err.message, err);
      case "INVALID_ARGUMENT":
        return s3.invalidArgument(err.message, err);
      case "UNAUTHENTICATED":
        return s3.invalidAccessKeyId(err.message, err);
      case "PERMISSION_DENIED":
        return s3.accessDenied(err.message, err);
      case "UNAVAILABLE":
        return s3.unavailable(err.message, err);
      default:
        return s3.internal(err.message, err);
    }
  }
  return s3.internal(err instanceof Error ? err.message : String(err), err);
}

export function errorXml(err: S3Error, resource: string, requestId: string): string {
  return xmlDocument(
    xmlElement("Error", [
      xmlElement("Code", err.code),
      xmlElement("Message", err.message),
      xmlElement("Resource", resource),
      xmlElement("RequestId", requestId),
    ]),
  );
}
