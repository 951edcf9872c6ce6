// The library's own errors (raft/ is standalone and imports nothing from src/). Callers branch on the class
// or on `code`, never on message text.

export type RaftErrorCode =
  | "PROPOSAL_DROPPED" // not the leader, leadership transfer in progress, or the uncommitted log is full
  | "INVALID_MESSAGE" // a peer message that is malformed, local-only, or from a sender that may not send it
  | "INVALID_CONFIG" // a RaftConfig that cannot work
  | "INVALID_CONF_CHANGE" // a membership change that is not allowed from the current configuration
  | "INVALID_STATE" // stored state that contradicts itself, or an API call out of order
  | "SNAPSHOT_OUT_OF_DATE"; // a snapshot older than the one storage already holds

export class RaftError extends Error {
  readonly code: RaftErrorCode;

  constructor(code: RaftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A proposal that this node will not append; the runtime may forward it to the leader or retry. */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super("PROPOSAL_DROPPED", `raft: proposal dropped: ${reason}`);
  }
}

/** A message from the network that `step` refused without changing any state. */
export class InvalidMessageError extends RaftError {
  constructor(what: string) {
    super("INVALID_MESSAGE", `raft: invalid message: ${what}`);
  }
}

export const isRaftError = (err: unknown): err is RaftError => err instanceof RaftError;
