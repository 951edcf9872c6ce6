// ClusterView over a Raft member of src/state (StateNode). Typed by the shape it uses, so the service does
// not reach into the state module's internals. Members serve the metadata API and the peer API on one gRPC
// port, so a member's peer address is where clients reach it; `clientAddress` maps it when they differ.
import { alreadyExists, failedPrecondition, notFound } from "../errors";
import type { ClusterStatusInfo, ClusterView, MemberInfo } from "./cluster";

export interface RaftMemberLike {
  readonly id: string;
  status(): {
    id: string;
    role: "leader" | "follower" | "candidate" | "pre-candidate";
    term: number;
    leader?: string;
    leaderAddress?: string;
    commit: number;
    applied: number;
    members: { id: string; address?: string; role: "voter" | "learner" }[];
  };
  isLeader(): boolean;
  addVoter(id: string, address: string): Promise<unknown>;
  addLearner(id: string, address: string): Promise<unknown>;
  removeMember(id: string): Promise<unknown>;
  transferLeadership(to: string): Promise<void>;
}

export interface StateClusterViewOptions {
  clusterId?: string;
  /** Where clients reach a member, given its id and peer address; default: the peer address itself. */
  clientAddress?: (id: string, peerAddress: string) => string;
}

export class StateClusterView implements ClusterView {
  readonly selfId: string;
  private readonly clientAddress: (id: string, peerAddress: string) => string;

  constructor(
    private readonly node: RaftMemberLike,
    private readonly options: StateClusterViewOptions = {},
  ) {
    this.selfId = node.id;
    this.clientAddress = options.clientAddress ?? ((_id, address) => address);
  }

  leader() {
    const s = this.node.status();
    if (!s.leader || !s.leaderAddress) return undefined;
    return { id: s.leader, address: this.clientAddress(s.leader, s.leaderAddress) };
  }

  isLeader(): boolean {
    return this.node.isLeader();
  }

  async status(): Promise<ClusterStatusInfo> {
    const s = this.node.status();
    const members: MemberInfo[] = s.members.map((m) => ({
      id: m.id,
      address: m.address ? this.clientAddress(m.id, m.address) : "",
      role: m.id === s.leader ? "leader" : m.role === "learner" ? "learner" : m.id === s.id ? (s.role === "leader" ? "follower" : s.role) : "follower",
      voter: m.role === "voter",
      // Only this member's own progress is known here; others report theirs when asked.
      term: m.id === s.id ? s.term : 0,
      appliedIndex: m.id === s.id ? s.applied : 0,
      matchIndex: 0,
      lastContactMs: 0,
    }));
    return { clusterId: this.options.clusterId ?? "tarn", leaderId: s.leader ?? "", term: s.term, commitIndex: s.commit, members, responderId: s.id };
  }

  async addMember(id: string, address: string, asLearner: boolean): Promise<ClusterStatusInfo> {
    const s = this.node.status();
    if (s.members.some((m) => m.id === id)) throw alreadyExists(`member ${id} is already in the cluster`);
    const taken = s.members.find((m) => m.address === address);
    if (taken) throw alreadyExists(`address ${address} is already used by member ${taken.id}`);
    await this.node.addLearner(id, address);
    if (!asLearner) await this.node.addVoter(id, address);
    return this.status();
  }

  async removeMember(id: string): Promise<ClusterStatusInfo> {
    const s = this.node.status();
    const member = s.members.find((m) => m.id === id);
    if (!member) throw notFound(`member ${id} not found: members are ${s.members.map((m) => m.id).join(", ")}`);
    if (member.role === "voter" && s.members.filter((m) => m.role === "voter").length === 1) throw failedPrecondition(`removing member ${id} would leave no voter`);
    await this.node.removeMember(id);
    return this.status();
  }

  async transferLeader(targetId: string): Promise<ClusterStatusInfo> {
    const s = this.node.status();
    const voters = s.members.filter((m) => m.role === "voter");
    let target = targetId;
    if (target === "") {
      const other = voters.find((m) => m.id !== s.id);
      if (!other) return this.status(); // a single voter already leads
      target = other.id;
    }
    const member = s.members.find((m) => m.id === target);
    if (!member) throw notFound(`member ${target} not found: members are ${s.members.map((m) => m.id).join(", ")}`);
    if (member.role !== "voter") throw failedPrecondition(`member ${target} is a learner: only voters can lead`);
    if (target !== s.leader) await this.node.transferLeadership(target);
    return this.status();
  }
}
