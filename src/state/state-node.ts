// A StateNode is one member of the metadata Raft group: the durable Raft log, the gRPC peer transport, the
// state machine on classic-level, the snapshot store, and the replicated key-value store over them.
//
//   <dataDir>/raft/       the Raft log (raft/storage)
//   <dataDir>/state/      the state database (keyspace.ts), with its restore siblings (db-dir.ts)
//   <dataDir>/snapshots/  snapshot tables this member wrote: whole, waiting for or done with their upload
//   <dataDir>/tmp/        snapshot tables being written or downloaded
//
// Peers authenticate with the member key derived from the cluster secret, so a gateway (which holds only
// the gateway key) cannot act as a peer.
import * as path from "node:path";
import type { Server } from "@grpc/grpc-js";
import type { Logger } from "../../raft/node";
import { RaftNode, stderrLogger } from "../../raft/node";
import type { ConfState } from "../../raft/types";
import { deriveClusterKeys } from "../auth";
import type { ObjectStore } from "../block";
import { invalidArgument } from "../errors";
import type { Applied, Membership } from "./keyspace";
import { RestoreRecord, TarnStateMachine } from "./machine";
import { registerMemberKv, unregisterMemberKv } from "./member-registry";
import { fromRaftError } from "./raft-errors";
import { ReplicatedKv } from "./replicated-kv";

export interface StateNodeOptions {
  /** This member's id: stable for its life, unique in the cluster. */
  id: string;
  dataDir: string;
  /**
   * Peer addresses (HOST:PORT) by member id, this member included. On the first start of a new cluster these
   * are its voters; later the membership comes from the log and this only supplies addresses.
   */
  members: Record<string, string>;
  /** Join an existing cluster (the leader adds this member with addLearner/addVoter). */
  join?: boolean;
  /** TARN_CLUSTER_SECRET: peers authenticate with the member key derived from it. */
  clusterSecret: string | Buffer;
  /** Distinguishes clusters that share a secret (default "tarn"). */
  clusterName?: string;
  /** Where snapshots go (shared by the members: local for one node, S3 or Azure for a cluster). */
  snapshotStore: ObjectStore;
  /** Take a snapshot and compact the log every this many applied entries (default 10000). */
  snapshotEntries?: number;
  /** Snapshots kept in the store (default 10). */
  keepSnapshots?: number;
  /** Serve the peer API on this existing gRPC server (its owner binds it), or bind `listen`. */
  server?: Server;
  listen?: string;
  /** Milliseconds per Raft tick (default 100); election after electionTicks (default 10) without a leader. */
  tickMs?: number;
  electionTicks?: number;
  /** How long a write or linearizable read waits for a leader and its apply (default 10 s). */
  timeoutMs?: number;
  logger?: Logger;
  /** Told the index range of every group of commands applied to the database in one batch (metrics, tests). */
  onApplied?: (first: number, last: Applied) => void;
}

export type MemberRole = "voter" | "learner";

export interface StateNodeStatus {
  id: string;
  role: "leader" | "follower" | "candidate" | "pre-candidate";
  term: number;
  /** The leader's id and peer address, when one is known. */
  leader?: string;
  leaderAddress?: string;
  commit: number;
  /** The last index applied to this member's database. */
  applied: number;
  members: { id: string; address?: string; role: MemberRole }[];
  /** The newest snapshot this member wrote, the newest it has put in the snapshot store, the last it restored. */
  lastSnapshot?: string;
  lastUploadedSnapshot?: string;
  /** Snapshots written but not yet in the store (uploads retry in the background). */
  snapshotUploadsPending: number;
  lastRestore?: RestoreRecord;
  /** Commands in the log that did not decode and were rejected (the same count on every member). */
  rejectedCommands: number;
}

export class StateNode {
  /** Linearizable reads; writes from any member. */
  readonly kv: ReplicatedKv;

  private constructor(
    readonly id: string,
    /** The Raft runtime, for callers that need more than this class offers. */
    readonly raft: RaftNode,
    /** The state machine (local reads, snapshot and restore records). */
    readonly machine: TarnStateMachine,
    private readonly server?: Server,
  ) {
    this.kv = new ReplicatedKv(raft, machine);
  }

  static async start(opts: StateNodeOptions): Promise<StateNode> {
    if (!opts.join && !(opts.id in opts.members)) throw invalidArgument(`state node ${opts.id}: not among the members ${Object.keys(opts.members).join(", ")}`);
    const logger = opts.logger ?? stderrLogger;
    const voters = opts.join ? [] : Object.keys(opts.members).sort();
    const initialMembership: Membership = {
      confState: { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      addresses: opts.join ? {} : { ...opts.members },
    };
    const machine = await TarnStateMachine.open({
      dir: opts.dataDir,
      store: opts.snapshotStore,
      initialMembership,
      keepSnapshots: opts.keepSnapshots,
      onApplied: opts.onApplied,
      log: (m) => logger.info(m, { id: opts.id }),
    });
    let raft: RaftNode;
    try {
      raft = await RaftNode.start({
        id: opts.id,
        members: opts.members,
        join: opts.join,
        dataDir: path.join(opts.dataDir, "raft"),
        cluster: opts.clusterName ?? "tarn",
        secret: deriveClusterKeys(opts.clusterSecret).memberKey.toString("hex"),
        stateMachine: machine,
        server: opts.server,
        listen: opts.listen,
        tickMs: opts.tickMs,
        electionTicks: opts.electionTicks,
        snapshotEntries: opts.snapshotEntries,
        timeoutMs: opts.timeoutMs,
        logger,
      });
    } catch (err) {
      await machine.close();
      throw fromRaftError(err, `state node ${opts.id}: start`);
    }
    const node = new StateNode(opts.id, raft, machine, opts.server);
    if (opts.server) registerMemberKv(opts.server, node.kv);
    return node;
  }

  status(): StateNodeStatus {
    const s = this.raft.status();
    const members = [
      ...s.confState.voters.map((id) => ({ id, role: "voter" as const })),
      ...s.confState.learners.map((id) => ({ id, role: "learner" as const })),
    ].map((m) => ({ ...m, address: this.raft.addressOf(m.id) }));
    return {
      id: this.id,
      role: s.role,
      term: s.term,
      leader: s.leader || undefined,
      leaderAddress: s.leader ? this.raft.addressOf(s.leader) : undefined,
      commit: s.commit,
      applied: this.machine.appliedIndex(),
      members,
      lastSnapshot: this.machine.lastSnapshot,
      lastUploadedSnapshot: this.machine.uploader.lastUploaded,
      snapshotUploadsPending: this.machine.uploader.pending(),
      lastRestore: this.machine.lastRestore,
      rejectedCommands: this.machine.rejectedCommands,
    };
  }

  isLeader(): boolean {
    return this.raft.isLeader();
  }

  /** Membership changes and leadership transfer: on the leader only (others get UNAVAILABLE naming it). */
  addVoter(id: string, address: string): Promise<ConfState> {
    return this.mapped(`add voter ${id}`, () => this.raft.addVoter(id, address));
  }

  addLearner(id: string, address: string): Promise<ConfState> {
    return this.mapped(`add learner ${id}`, () => this.raft.addLearner(id, address));
  }

  removeMember(id: string): Promise<ConfState> {
    return this.mapped(`remove member ${id}`, () => this.raft.removeMember(id));
  }

  transferLeadership(to: string): Promise<void> {
    return this.mapped(`transfer leadership to ${to}`, () => this.raft.transferLeadership(to));
  }

  /** Stops Raft (finishing the apply in progress), then closes the database. */
  async stop(): Promise<void> {
    if (this.server) unregisterMemberKv(this.server, this.kv);
    await this.raft.stop();
    await this.machine.close();
  }

  private async mapped<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromRaftError(err, what);
    }
  }
}
