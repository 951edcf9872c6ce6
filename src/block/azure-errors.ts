// The one place where @azure/storage-blob errors (RestError: statusCode, and the x-ms-error-code as
// `code`) become TarnErrors. Socket failures are recognised by their Node error code.
import { TarnError } from "../errors";
import { describe, keyNotFound, MissingStoreError, networkErrorCode, unreachable } from "./errors";

export interface AzureErrorContext {
  storeUri: string;
  container: string;
  endpoint: string;
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

export function azureErrorCode(err: unknown): { status?: number; code?: string } {
  const e = (err ?? {}) as RestErrorLike;
  return { status: e.statusCode, code: e.details?.errorCode ?? e.code };
}

export function mapAzureError(ctx: AzureErrorContext, err: unknown, key?: string): TarnError {
  if (err instanceof TarnError) return err;
  const { storeUri, container, endpoint } = ctx;
  const network = networkErrorCode(err);
  if (network) return unreachable(storeUri, endpoint, network, err);
  const { status, code = "Error" } = azureErrorCode(err);
  const about = key !== undefined ? `key '${key}': ` : "";
  const detail = `(${code}${status ? ` ${status}` : ""}: ${describe(err).split("\n")[0]})`;

  if (code === "ContainerNotFound") return new MissingStoreError(storeUri, "container", container, err);
  if ((code === "BlobNotFound" || code === "CannotVerifyCopySource" || status === 404) && key !== undefined) return keyNotFound(storeUri, key, err);
  if (code === "AuthenticationFailed" || code === "InvalidAuthenticationInfo" || status === 401) {
    return new TarnError("UNAUTHENTICATED", `${storeUri}: ${about}the credentials were rejected by ${endpoint} ${detail}`, { cause: err });
  }
  if (status === 403) {
    // Azure says AuthenticationFailed for a bad signature, but Azurite (and firewalls) say AuthorizationFailure.
    return new TarnError("PERMISSION_DENIED", `${storeUri}: ${about}access denied by ${endpoint}: wrong credentials or no permission ${detail}`, { cause: err });
  }
  if (code === "InvalidBlockList") {
    return new TarnError("INVALID_ARGUMENT", `${storeUri}: ${about}a part was not uploaded, or its etag is wrong ${detail}`, { cause: err });
  }
  if (status === 412 || status === 409) return new TarnError("FAILED_PRECONDITION", `${storeUri}: ${about}conflict ${detail}`, { cause: err });
  if (status === 400) return new TarnError("INVALID_ARGUMENT", `${storeUri}: ${about}request refused ${detail}`, { cause: err });
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new TarnError("UNAVAILABLE", `${storeUri}: ${about}${endpoint} failed, try again ${detail}`, { cause: err });
  }
  return new TarnError("INTERNAL", `${storeUri}: ${about}unexpected error from ${endpoint} ${detail}`, { cause: err });
}
