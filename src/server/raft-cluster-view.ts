// The metadata service's ClusterView over a Raft member (StateNode): who leads (for forwarding), the status
// of every member as this member sees it, and membership changes and leadership transfer, which the service
// only runs on the leader (a follower forwards them). Raft terms and indexes are numbers, exact to 2^53.
import { failedPrecondition, notFound } from "../errors";
import type { ClusterStatusInfo, ClusterView, MemberInfo, MemberRole } from "../metadata";
import type { StateNode } from "../state";

export class RaftClusterView implements ClusterView {
  private node?: StateNode;
  private draining = false;

  constructor(
    readonly selfId: string,
    private readonly clusterId: string,
  ) {}

  /** The member arrives after the service (see late-kv.ts); until then this member knows no leader. */
  attach(node: StateNode): void {
    this.node = node;
  }

  /**
   * Shutting down: answer every new call UNAVAILABLE ("no leader", which clients retry on another member)
   * instead of taking calls the closing server would cut off.
   */
  drain(): void {
    this.draining = true;
  }

  leader(): { id: string; address: string } | undefined {
    if (this.draining) return undefined;
    const s = this.node?.status();
    if (!s?.leader || !s.leaderAddress) return undefined;
    return { id: s.leader, address: s.leaderAddress };
  }

  isLeader(): boolean {
    return !this.draining && (this.node?.isLeader() ?? false);
  }

  async status(): Promise<ClusterStatusInfo> {
    const node = this.requireNode();
    const s = node.status();
    const progress = node.raft.status().progress ?? {};
    const members: MemberInfo[] = s.members.map((m) => {
      const p = progress[m.id];
      let role: MemberRole;
      if (m.id === s.leader) role = "leader";
      else if (m.role === "learner") role = "learner";
      else if (m.id === s.id) role = s.role;
      else if (p && !p.recentActive) role = "unreachable";
      else role = "follower";
      return {
        id: m.id,
        address: m.address ?? "",
        role,
        voter: m.role === "voter",
        term: s.term,
        appliedIndex: m.id === s.id ? s.applied : 0,
        matchIndex: p?.match ?? (m.id === s.id ? s.commit : 0),
        lastContactMs: 0,
      };
    });
    return { clusterId: this.clusterId, leaderId: s.leader ?? "", term: s.term, commitIndex: s.commit, members, responderId: s.id };
  }

  async addMember(id: string, address: string, asLearner: boolean): Promise<ClusterStatusInfo> {
    const node = this.requireNode();
    const existing = node.status().members.find((m) => m.id === id);
    if (existing && (existing.role === "voter" || asLearner)) {
      throw failedPrecondition(`member ${id} is already a ${existing.role} of the cluster (at ${existing.address ?? "unknown address"})`);
    }
    if (asLearner) await node.addLearner(id, address);
    else await node.addVoter(id, address);
    return this.status();
  }

  async removeMember(id: string): Promise<ClusterStatusInfo> {
    const node = this.requireNode();
    const members = node.status().members;
    if (!members.some((m) => m.id === id)) throw notFound(`member ${id} not found: the members are ${members.map((m) => m.id).join(", ")}`);
    if (members.filter((m) => m.role === "voter").length === 1 && members.find((m) => m.id === id)?.role === "voter") {
      throw failedPrecondition(`cannot remove member ${id}: it is the only voter`);
    }
    await node.removeMember(id);
    return this.status();
  }

  async transferLeader(targetId: string): Promise<ClusterStatusInfo> {
    const node = this.requireNode();
    const s = node.status();
    const target = targetId || this.mostUpToDateVoter();
    if (!s.members.some((m) => m.id === target && m.role === "voter")) {
      throw notFound(`member ${target} is not a voter of the cluster: the voters are ${s.members.filter((m) => m.role === "voter").map((m) => m.id).join(", ")}`);
    }
    if (target !== s.leader) await node.transferLeadership(target);
    return this.status();
  }

  /** Before a graceful stop: hand leadership to another voter, so that no election pause follows. */
  async stepDown(): Promise<void> {
    const node = this.node;
    if (!node?.isLeader() || node.status().members.filter((m) => m.role === "voter").length < 2) return;
    await node.transferLeadership(this.mostUpToDateVoter());
  }

  private mostUpToDateVoter(): string {
    const node = this.requireNode();
    const s = node.status();
    const progress = node.raft.status().progress ?? {};
    const others = s.members.filter((m) => m.role === "voter" && m.id !== s.id);
    if (others.length === 0) throw failedPrecondition(`member ${s.id} is the only voter: there is nobody to transfer leadership to`);
    others.sort((a, b) => (progress[b.id]?.match ?? 0) - (progress[a.id]?.match ?? 0));
    return others[0].id;
  }

  private requireNode(): StateNode {
    if (!this.node) throw failedPrecondition(`member ${this.selfId} is still starting`);
    return this.node;
  }
}
