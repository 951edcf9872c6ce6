// The Raft runtime: a RaftNode drives the core over the durable log and the gRPC transport.
export { RaftNode } from "./raft-node";
export type { NodeStatus, RaftNodeOptions } from "./raft-node";
export type { StateMachine } from "./state-machine";
export { NodeFailedError, NodeStoppedError, NotLeaderError, ProposalLostError, ProposalTimeoutError, RaftNodeError } from "./errors";
export type { Logger } from "./logger";
export { stderrLogger, verboseLogger } from "./logger";
