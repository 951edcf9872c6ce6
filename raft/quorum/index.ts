export { majorityCommitted, majorityVoteResult, VoteResult } from "./majority";
export type { AckedIndexer } from "./majority";
export { isJoint, jointCommitted, jointIds, jointVoteResult } from "./joint";
export type { JointConfig } from "./joint";
