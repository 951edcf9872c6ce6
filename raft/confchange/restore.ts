// Rebuilds a tracker configuration from a ConfState (etcd's confchange/restore.go) by replaying it as a
// sequence of changes through the Changer, so that a restored configuration obeys the same rules.
import { ConfChangeType } from "../types";
import type { ConfChangeSingle, ConfState } from "../types";
import { Changer } from "./changer";
import type { ChangeResult } from "./changer";

/** The changes that build `cs`: `outgoing` builds the outgoing half, `incoming` is then applied jointly. */
export function toConfChangeSingles(cs: ConfState): { outgoing: ConfChangeSingle[]; incoming: ConfChangeSingle[] } {
  const outgoing = cs.votersOutgoing.map((node) => ({ type: ConfChangeType.AddVoter, node }));
  const incoming: ConfChangeSingle[] = [
    ...cs.votersOutgoing.map((node) => ({ type: ConfChangeType.RemoveNode, node })),
    ...cs.voters.map((node) => ({ type: ConfChangeType.AddVoter, node })),
    ...cs.learners.map((node) => ({ type: ConfChangeType.AddLearner, node })),
    ...cs.learnersNext.map((node) => ({ type: ConfChangeType.AddLearner, node })),
  ];
  return { outgoing, incoming };
}

export function restoreConfig(changer: Changer, cs: ConfState): ChangeResult {
  const { outgoing, incoming } = toConfChangeSingles(cs);
  let tracker = { ...changer.tracker };
  let result: ChangeResult = { config: tracker.config, progress: tracker.progress };
  const step = (f: (c: Changer) => ChangeResult) => {
    result = f(new Changer(tracker, changer.lastIndex));
    tracker = { ...tracker, config: result.config, progress: result.progress };
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step((c) => c.simple([cc]));
  } else {
    for (const cc of outgoing) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return result;
}
