// Message construction and classification.
import { MessageType, NONE } from "./types";
import type { Message } from "./types";

export function newMessage(m: Partial<Message> & { type: MessageType }): Message {
  return {
    from: NONE,
    to: NONE,
    term: 0,
    index: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...m,
  };
}

/** Types that only the node itself produces (ticks, runtime reports); never accepted from the network. */
export const LOCAL_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.Hup,
  MessageType.Beat,
  MessageType.SnapStatus,
  MessageType.Unreachable,
]);

/**
 * Answers to requests this node made as leader or candidate: it counts them only from members, so a sender
 * outside its configuration is refused outright.
 */
export const RESPONSE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.AppResp,
  MessageType.VoteResp,
  MessageType.PreVoteResp,
  MessageType.HeartbeatResp,
]);

/**
 * Requests only a member may make of this node. Vote and PreVote are not among them: a candidate may be a
 * voter of a configuration this node has not applied yet, and refusing it could leave the group leaderless.
 */
export const MEMBER_REQUEST_TYPES: ReadonlySet<MessageType> = new Set([MessageType.TransferLeader, MessageType.ReadIndex, MessageType.Propose]);

export const voteRespType = (t: MessageType): MessageType => (t === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp);

export const CAMPAIGN_TRANSFER = new TextEncoder().encode("CampaignTransfer");

export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
