// Errors the Raft runtime hands to its callers. `code` uses the same vocabulary as Tarn's errors and gRPC
// statuses so that the metadata service maps them once.

export class RaftNodeError extends Error {
  readonly code: "UNAVAILABLE" | "FAILED_PRECONDITION" | "DEADLINE_EXCEEDED" | "INVALID_ARGUMENT" | "INTERNAL";

  constructor(code: RaftNodeError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** No leader is known, or the leader could not be reached: the caller may retry (gRPC UNAVAILABLE). */
export class NotLeaderError extends RaftNodeError {
  constructor(
    message: string,
    /** The leader's id and peer address when known, so a client can go there directly. */
    readonly leader?: string,
    readonly leaderAddress?: string,
  ) {
    super("UNAVAILABLE", message);
  }
}

/**
 * The proposal's fate is unknown: it may still be applied. Callers that retry must make their commands
 * idempotent or conditional (Tarn's commands carry their preconditions).
 */
export class ProposalTimeoutError extends RaftNodeError {
  constructor(what: string, ms: number) {
    super("DEADLINE_EXCEEDED", `${what} not applied within ${ms} ms (it may still be applied)`);
  }
}

/** The proposal was definitely not applied (another entry took its place in the log): safe to retry. */
export class ProposalLostError extends RaftNodeError {
  constructor(index: number) {
    super("UNAVAILABLE", `proposal lost: another leader's entry was committed at index ${index}; retry`);
  }
}

export class NodeStoppedError extends RaftNodeError {
  constructor() {
    super("UNAVAILABLE", "the raft node is stopped");
  }
}

/** The log could not be written (disk full, failed fsync): the node stopped and takes no more writes. */
export class NodeFailedError extends RaftNodeError {
  constructor(cause: Error) {
    super("UNAVAILABLE", `the raft node stopped: ${cause.message}`, { cause });
  }
}
