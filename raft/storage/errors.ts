// Errors of the durable log. raft/ is a standalone library, so these do not extend Tarn's TarnError; each has
// a `code` in the same vocabulary so that Tarn's edges can map them without parsing messages.

export class LogStorageError extends Error {
  readonly code: "CORRUPTION" | "RESOURCE_EXHAUSTED" | "UNAVAILABLE" | "INVALID_ARGUMENT" | "INTERNAL";

  constructor(code: LogStorageError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A record that fails its checksum or does not parse, anywhere but the torn tail. The node must stop. */
export class LogCorruptionError extends LogStorageError {
  readonly file: string;
  /** The Raft index of the bad entry when it could be read, otherwise the one after the last good entry. */
  readonly index: number;
  readonly offset: number;

  constructor(file: string, index: number, offset: number, what: string) {
    super("CORRUPTION", `${file}: corrupt raft log record at offset ${offset} (entry index ${index}): ${what}`);
    this.file = file;
    this.index = index;
    this.offset = offset;
  }
}

/** The disk is full: writes stop, the log on disk stays as it was before the failed batch, reads go on. */
export class DiskFullError extends LogStorageError {
  readonly file: string;

  constructor(file: string, cause: unknown) {
    super("RESOURCE_EXHAUSTED", `${file}: disk full: the raft log accepts no more writes (it stays readable)`, { cause });
    this.file = file;
  }
}

/** A write or fsync failed for another reason; after an fsync failure nothing is known about the file. */
export class LogWriteError extends LogStorageError {
  constructor(file: string, cause: unknown) {
    super("UNAVAILABLE", `${file}: raft log write failed: ${(cause as Error)?.message ?? cause}; the log accepts no more writes`, { cause });
  }
}
