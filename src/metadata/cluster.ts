// What the metadata service needs to know about its Raft group: who leads (to forward calls there), and the
// membership operations behind ClusterService. The replicated state node implements this; LocalClusterView
// is the single-node answer for `tarn run` and tests. Raft terms and indexes are numbers, exact to 2^53.
import { failedPrecondition, notFound } from "../errors";

export type MemberRole = "leader" | "follower" | "candidate" | "pre-candidate" | "learner" | "unreachable";

export interface MemberInfo {
  id: string;
  /** The gRPC HOST:PORT clients and peers use. */
  address: string;
  role: MemberRole;
  voter: boolean;
  term: number;
  appliedIndex: number;
  matchIndex: number;
  lastContactMs: number;
}

export interface ClusterStatusInfo {
  clusterId: string;
  /** Empty while no leader is known. */
  leaderId: string;
  term: number;
  commitIndex: number;
  members: MemberInfo[];
  /** The member that answered. */
  responderId: string;
}

export interface ClusterView {
  /** This member's id. */
  readonly selfId: string;
  /** The current leader as this member knows it, or undefined during an election. */
  leader(): { id: string; address: string } | undefined;
  isLeader(): boolean;
  status(): Promise<ClusterStatusInfo>;
  addMember(id: string, address: string, asLearner: boolean): Promise<ClusterStatusInfo>;
  removeMember(id: string): Promise<ClusterStatusInfo>;
  /** To the most up-to-date voter when `targetId` is empty. */
  transferLeader(targetId: string): Promise<ClusterStatusInfo>;
  /** Called by the server once it is bound, with the address it serves on (for the local view). */
  advertise?(address: string): void;
}

/** A group of one: this member always leads; membership changes are refused with the reason. */
export class LocalClusterView implements ClusterView {
  private address: string;

  constructor(
    readonly selfId = "local",
    address = "",
    private readonly clusterId = "local",
  ) {
    this.address = address;
  }

  advertise(address: string): void {
    if (this.address === "") this.address = address;
  }

  leader() {
    return { id: this.selfId, address: this.address };
  }

  isLeader(): boolean {
    return true;
  }

  async status(): Promise<ClusterStatusInfo> {
    return {
      clusterId: this.clusterId,
      leaderId: this.selfId,
      term: 1,
      commitIndex: 0,
      members: [{ id: this.selfId, address: this.address, role: "leader", voter: true, term: 1, appliedIndex: 0, matchIndex: 0, lastContactMs: 0 }],
      responderId: this.selfId,
    };
  }

  async addMember(id: string): Promise<ClusterStatusInfo> {
    throw failedPrecondition(`cannot add member ${id}: this is a single-node server (tarn run) without a Raft group; start members with tarn metadata`);
  }

  async removeMember(id: string): Promise<ClusterStatusInfo> {
    if (id !== this.selfId) throw notFound(`member ${id} not found: the only member is ${this.selfId}`);
    throw failedPrecondition(`cannot remove member ${id}: it is the only voter`);
  }

  async transferLeader(targetId: string): Promise<ClusterStatusInfo> {
    if (targetId !== "" && targetId !== this.selfId) throw notFound(`member ${targetId} not found: the only member is ${this.selfId}`);
    return this.status();
  }
}
