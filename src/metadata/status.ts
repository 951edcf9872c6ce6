// The one place where Tarn's error codes become gRPC status codes (src/errors.ts: "mapped once at the edge").
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, isCorruption, TarnError } from "../errors";

const STATUS: Record<ErrorCode, grpc.status> = {
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  CORRUPTION: grpc.status.DATA_LOSS,
  INTERNAL: grpc.status.INTERNAL,
};

export interface StatusError {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

/** A refusal that carries trailing metadata (a binary `-bin` header) beside its status. */
export class TrailedError extends TarnError {
  constructor(
    base: TarnError,
    readonly trailers: Record<string, Buffer | string>,
  ) {
    super(base.code, base.message, { cause: base });
  }
}

/** A TarnError keeps its message; corruption says so; anything else is INTERNAL with its message. */
export function toStatus(err: unknown): StatusError {
  if (isCorruption(err)) return { code: grpc.status.DATA_LOSS, details: `stored data is corrupt: ${err.message}` };
  if (err instanceof TrailedError) {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(err.trailers)) metadata.set(k, v);
    return { code: STATUS[err.code], details: err.message, metadata };
  }
  if (err instanceof TarnError) return { code: STATUS[err.code], details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: `internal error: ${message}` };
}

/** The status code's name, for metrics and logs: "NOT_FOUND". */
export const statusName = (code: grpc.status): string => grpc.status[code] ?? String(code);

/**
 * Whether `err` concerns one item of a batch call (its code is one of `codes`), so that the item fails alone
 * with it; any other error (corruption, unavailable) fails the whole call.
 */
export function perItemErrors(...codes: ErrorCode[]): (err: unknown) => err is TarnError {
  const set = new Set<string>(codes);
  return (err: unknown): err is TarnError => err instanceof TarnError && set.has(err.code);
}

/** One item's error in a batch answer (StageObjects, StatObjects, CreateBranches): what its own call would have said. */
export function itemError(err: unknown): { errorCode: string; errorMessage: string } {
  const status = toStatus(err);
  return { errorCode: statusName(status.code), errorMessage: status.details };
}
