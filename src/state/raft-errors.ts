// Raft runtime errors as Tarn errors, mapped once here so that the metadata service sees only TarnError
// codes: no leader (elections, partitions) is UNAVAILABLE "no leader yet" with the leader's address when one
// is known; a proposal whose fate is unknown is UNAVAILABLE with `mayHaveApplied` set.
import { NotLeaderError, ProposalTimeoutError, RaftNodeError } from "../../raft/node";
import { TarnError } from "../errors";

/** No leader is known, or this member could not reach it: retry, preferably at `leaderAddress`. */
export class NoLeaderError extends TarnError {
  constructor(
    message: string,
    readonly leader?: string,
    readonly leaderAddress?: string,
    options?: { cause?: unknown },
  ) {
    super("UNAVAILABLE", message, options);
  }
}

/** The write timed out: it may or may not be applied (conditional writes make a retry safe). */
export class OutcomeUnknownError extends TarnError {
  readonly mayHaveApplied = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super("UNAVAILABLE", message, options);
  }
}

export function fromRaftError(err: unknown, what: string): unknown {
  if (err instanceof TarnError || !(err instanceof RaftNodeError)) return err;
  if (err instanceof NotLeaderError) {
    const where = err.leaderAddress ? ` (leader ${err.leader} at ${err.leaderAddress})` : "";
    return new NoLeaderError(`${what}: no leader yet: ${err.message}${where}; retry`, err.leader, err.leaderAddress, { cause: err });
  }
  if (err instanceof ProposalTimeoutError) return new OutcomeUnknownError(`${what}: ${err.message}`, { cause: err });
  const code = err.code === "DEADLINE_EXCEEDED" ? "UNAVAILABLE" : err.code;
  return new TarnError(code, `${what}: ${err.message}`, { cause: err });
}
