export { Changer } from "./changer";
export type { ChangeResult } from "./changer";
export { restoreConfig, toConfChangeSingles } from "./restore";
export { checkConfChange, decodeConfChange, encodeConfChange, enterJoint, isLeaveJoint } from "./codec";
