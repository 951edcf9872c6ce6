// One error type for all of Tarn. Each error carries a code that the edges map once: to a gRPC status in the
// metadata service, to an S3 error in the gateway, to an exit status and one line on stderr in the CLI.
// Callers branch on `code` (or `instanceof CorruptionError`), never on message text.

export type ErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION" // conflict, protected branch, dirty branch, compare-and-set lost
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "UNAVAILABLE" // no leader yet, store unreachable: the caller may retry
  | "CORRUPTION" // stored data failed a checksum or does not parse: never retried, never ignored
  | "INTERNAL";

export class TarnError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Stored bytes that fail a checksum, a magic number or a parse. `file` names what was being read. */
export class CorruptionError extends TarnError {
  readonly file: string;

  constructor(file: string, what: string, options?: { cause?: unknown }) {
    super("CORRUPTION", `${file}: corrupt: ${what}`, options);
    this.file = file;
  }
}

export const isCorruption = (err: unknown): err is CorruptionError => err instanceof CorruptionError;

export const notFound = (message: string, cause?: unknown) => new TarnError("NOT_FOUND", message, { cause });
export const alreadyExists = (message: string, cause?: unknown) => new TarnError("ALREADY_EXISTS", message, { cause });
export const invalidArgument = (message: string, cause?: unknown) => new TarnError("INVALID_ARGUMENT", message, { cause });
export const failedPrecondition = (message: string, cause?: unknown) => new TarnError("FAILED_PRECONDITION", message, { cause });
export const unavailable = (message: string, cause?: unknown) => new TarnError("UNAVAILABLE", message, { cause });

export const hasCode = (err: unknown, code: ErrorCode): boolean => err instanceof TarnError && err.code === code;
