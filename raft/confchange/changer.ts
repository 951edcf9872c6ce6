// Membership changes on a copy of the tracker's configuration (etcd's confchange/confchange.go). Nothing
// is changed in place: each operation returns the new configuration and progress map, or throws.
//
// - simple: at most one voter added or removed (learners freely): any quorum of the old and the new
//   configuration overlap, so no joint phase is needed.
// - enterJoint: any change; the old voters stay as the outgoing half and decisions need both halves.
// - leaveJoint: drop the outgoing half; its voters demoted to learners become learners now.
import { RaftError } from "../errors";
import { isJoint } from "../quorum";
import { Progress } from "../tracker/progress";
import { cloneTrackerConfig } from "../tracker/tracker";
import type { ProgressMap, ProgressTracker, TrackerConfig } from "../tracker/tracker";
import { ConfChangeType, NONE } from "../types";
import type { ConfChangeSingle, Index, NodeId } from "../types";

export interface ChangeResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

export class Changer {
  constructor(
    readonly tracker: Pick<ProgressTracker, "config" | "progress" | "maxInflight">,
    readonly lastIndex: Index,
  ) {}

  enterJoint(autoLeave: boolean, ccs: ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (isJoint(config.voters)) throw invalid("config is already joint");
    if (config.voters[0].size === 0) throw invalid("can't make a zero-voter config joint");
    config.voters[1] = new Set(config.voters[0]);
    this.apply(config, progress, ccs);
    config.autoLeave = autoLeave;
    return checkAndReturn(config, progress);
  }

  leaveJoint(): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (!isJoint(config.voters)) throw invalid("can't leave a non-joint config");
    for (const id of config.learnersNext) {
      config.learners.add(id);
      progress.get(id)!.isLearner = true;
    }
    config.learnersNext = new Set();
    for (const id of config.voters[1]) {
      if (!config.voters[0].has(id) && !config.learners.has(id)) progress.delete(id);
    }
    config.voters[1] = new Set();
    config.autoLeave = false;
    return checkAndReturn(config, progress);
  }

  simple(ccs: ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (isJoint(config.voters)) throw invalid("can't apply simple config change in joint config");
    this.apply(config, progress, ccs);
    const before = this.tracker.config.voters[0];
    const after = config.voters[0];
    let diff = 0;
    for (const id of before) if (!after.has(id)) diff++;
    for (const id of after) if (!before.has(id)) diff++;
    if (diff > 1) throw invalid("more than one voter changed without entering joint config");
    return checkAndReturn(config, progress);
  }

  private apply(config: TrackerConfig, progress: ProgressMap, ccs: ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.node === NONE) continue; // etcd treats a change of node 0 as a no-op
      switch (cc.type) {
        case ConfChangeType.AddVoter:
          this.makeVoter(config, progress, cc.node);
          break;
        case ConfChangeType.AddLearner:
          this.makeLearner(config, progress, cc.node);
          break;
        case ConfChangeType.RemoveNode:
          remove(config, progress, cc.node);
          break;
        default:
          throw invalid(`unknown change type ${String(cc.type)}`);
      }
    }
    if (config.voters[0].size === 0) throw invalid("removed all voters");
  }

  private makeVoter(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(config, progress, id, false);
      return;
    }
    pr.isLearner = false;
    config.learners.delete(id);
    config.learnersNext.delete(id);
    config.voters[0].add(id);
  }

  private makeLearner(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(config, progress, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove any voter role first, keeping the progress.
    remove(config, progress, id);
    progress.set(id, pr);
    // A voter of the outgoing half can only become a learner when the joint configuration is left.
    if (config.voters[1].has(id)) {
      config.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      config.learners.add(id);
    }
  }

  private initProgress(config: TrackerConfig, progress: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) config.learners.add(id);
    else config.voters[0].add(id);
    const pr = new Progress(Math.max(this.lastIndex, 1), this.tracker.maxInflight, isLearner);
    // A new member counts as active, so that check-quorum does not depose the leader right after adding it.
    pr.recentActive = true;
    progress.set(id, pr);
  }

  private checkAndCopy(): ChangeResult {
    const config = cloneTrackerConfig(this.tracker.config);
    const progress: ProgressMap = new Map();
    for (const [id, pr] of this.tracker.progress) progress.set(id, pr.clone());
    checkInvariants(config, progress);
    return { config, progress };
  }
}

function remove(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
  if (!progress.has(id)) return;
  config.voters[0].delete(id);
  config.learners.delete(id);
  config.learnersNext.delete(id);
  // An outgoing voter keeps its progress until the joint configuration is left.
  if (!config.voters[1].has(id)) progress.delete(id);
}

function checkAndReturn(config: TrackerConfig, progress: ProgressMap): ChangeResult {
  checkInvariants(config, progress);
  return { config, progress };
}

function checkInvariants(config: TrackerConfig, progress: ProgressMap): void {
  for (const ids of [config.voters[0], config.voters[1], config.learners, config.learnersNext]) {
    for (const id of ids) if (!progress.has(id)) throw invalid(`no progress for ${id}`);
  }
  for (const id of config.learnersNext) {
    if (!config.voters[1].has(id)) throw invalid(`${id} is in learnersNext but not an outgoing voter`);
    if (progress.get(id)!.isLearner) throw invalid(`${id} is in learnersNext but already a learner`);
  }
  for (const id of config.learners) {
    if (config.voters[0].has(id) || config.voters[1].has(id)) throw invalid(`${id} is both a learner and a voter`);
    if (!progress.get(id)!.isLearner) throw invalid(`${id} is a learner but its progress says voter`);
  }
  if (!isJoint(config.voters) && (config.learnersNext.size > 0 || config.autoLeave)) {
    throw invalid("learnersNext or autoLeave set outside a joint config");
  }
}

const invalid = (what: string) => new RaftError("INVALID_CONF_CHANGE", `raft: conf change: ${what}`);
