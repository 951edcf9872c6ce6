// Errors the SDK throws: a TarnError whose code is the gRPC status mapped back to Tarn's codes, with the
// gRPC status kept for callers that need it (RESOURCE_EXHAUSTED has no Tarn code of its own).
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, TarnError } from "../errors";

const CODE: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.NOT_FOUND]: "NOT_FOUND",
  [grpc.status.ALREADY_EXISTS]: "ALREADY_EXISTS",
  [grpc.status.FAILED_PRECONDITION]: "FAILED_PRECONDITION",
  [grpc.status.INVALID_ARGUMENT]: "INVALID_ARGUMENT",
  [grpc.status.OUT_OF_RANGE]: "INVALID_ARGUMENT",
  [grpc.status.RESOURCE_EXHAUSTED]: "INVALID_ARGUMENT",
  [grpc.status.UNAUTHENTICATED]: "UNAUTHENTICATED",
  [grpc.status.PERMISSION_DENIED]: "PERMISSION_DENIED",
  [grpc.status.UNAVAILABLE]: "UNAVAILABLE",
  [grpc.status.DEADLINE_EXCEEDED]: "UNAVAILABLE",
  [grpc.status.DATA_LOSS]: "CORRUPTION",
};

export class ApiError extends TarnError {
  /** The gRPC status code, e.g. grpc.status.NOT_FOUND. */
  readonly status: grpc.status;
  /** Its name, e.g. "NOT_FOUND". */
  readonly statusName: string;
  /** The member that answered, HOST:PORT. */
  readonly endpoint: string;
  /** Trailing metadata of the refusal, e.g. x-tarn-merge-conflicts-bin. */
  readonly trailers?: grpc.Metadata;
  /** For a merge refused for conflicts: the conflicting paths (decoded from x-tarn-merge-conflicts-bin). */
  conflicts?: { paths: string[]; truncated: boolean };

  constructor(status: grpc.status, details: string, endpoint: string, options?: { cause?: unknown; trailers?: grpc.Metadata }) {
    super(CODE[status] ?? "INTERNAL", details, options);
    this.status = status;
    this.statusName = grpc.status[status] ?? String(status);
    this.endpoint = endpoint;
    this.trailers = options?.trailers;
  }
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === "object" && err !== null && typeof (err as grpc.ServiceError).code === "number" && "details" in err;
}

export function apiError(err: unknown, endpoint: string): ApiError {
  if (err instanceof ApiError) return err;
  if (isServiceError(err)) return new ApiError(err.code, err.details || err.message, endpoint, { cause: err, trailers: err.metadata });
  return new ApiError(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err), endpoint, { cause: err });
}
