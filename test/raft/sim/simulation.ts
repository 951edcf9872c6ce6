// A whole simulated cluster, run from a seed. Each step: maybe inject a fault, tick every live node, deliver
// the messages that are due, let every node handle its Ready, let clients act; the safety checker runs inside
// those handlers. Everything random comes from one seeded PRNG, so a seed replays exactly.
import { ConfChangeType, InvalidMessageError, MessageType, RaftError, StateRole } from "../../../raft";
import type { ConfChange, ConfState, Message, NodeId, Snapshot } from "../../../raft";
import { checkKvHistory } from "../linearizability";
import { SafetyChecker, SafetyViolation } from "./checker";
import { Clients } from "./clients";
import { Disk } from "./disk";
import { Network } from "./network";
import { SimNode } from "./node";
import type { NodeEnv } from "./node";
import { Prng } from "./prng";

export interface SimOptions {
  seed: number;
  steps: number;
  /** Steps at the end with every fault healed: the cluster must make progress again. */
  quietSteps: number;
  trace?: boolean;
}

export interface SimResult {
  seed: number;
  initialNodes: number;
  nodes: number;
  steps: number;
  ops: number;
  completed: number;
  timedOut: number;
  leaderChanges: number;
  crashes: number;
  confChanges: number;
  snapshotsSent: number;
  rejectedMessages: number;
  wglSteps: number;
  checks: number;
}

export class SimulationFailure extends Error {
  constructor(
    readonly seed: number,
    message: string,
    readonly traceTail: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SimulationFailure";
  }
}

export class Simulation {
  readonly rng: Prng;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly network: Network;
  readonly checker = new SafetyChecker();
  readonly clients: Clients;
  readonly objectStore = new Map<string, string>();
  private now = 0;
  private traceLines: string[] = [];
  private nextNodeNumber: number;
  private healAt = 0;
  private quiet = false;
  private env: NodeEnv;
  private stats = { leaderChanges: 0, crashes: 0, confChanges: 0, snapshotsSent: 0, rejected: 0 };
  private lastLeader = "";
  private everMember = new Set<NodeId>();
  private readonly maxVoters: number;
  private readonly minVoters: number;
  private readonly crashRate: number;
  private readonly initialNodes: number;

  constructor(readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    const size = this.rng.chance(0.5) ? 3 : 5;
    this.initialNodes = size;
    this.maxVoters = size === 3 ? 4 : 5;
    this.minVoters = 3;
    this.crashRate = this.rng.pick([0.004, 0.008, 0.02, 0.04]);
    this.network = new Network(this.rng.fork(), {
      loss: this.rng.pick([0, 0.01, 0.05, 0.1]),
      duplicate: this.rng.pick([0, 0.02, 0.05]),
      maxDelay: this.rng.int(0, 4),
    });
    this.clients = new Clients(this.rng.fork(), this.rng.int(2, 4), 60);
    const nodeRng = this.rng.fork();
    this.env = {
      now: () => this.now,
      rng: nodeRng,
      checker: this.checker,
      objectStore: this.objectStore,
      send: (from, m) => this.send(from, m),
      complete: (op, output) => this.clients.complete(op, output),
      leaders: () => this.leaders(),
      onConfChange: () => this.stats.confChanges++,
      trace: (line) => this.trace(line),
      config: {
        preVote: this.rng.chance(0.8),
        checkQuorum: this.rng.chance(0.8),
        snapshotEvery: this.rng.pick([10, 25, 60]),
        keepEntries: this.rng.int(0, 5),
        maxPersistDelay: this.rng.pick([0, 1, 3]),
        applyWhilePersisting: this.rng.chance(0.5),
      },
    };
    // Bootstrap as etcd's tests do: every member starts from a snapshot at index 1 holding the membership, so
    // that a node added later (with an empty log) is brought up to date by a snapshot.
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    this.nextNodeNumber = size + 1;
    const boot: Snapshot = { metadata: { index: 1, term: 1, confState: confState(ids) }, reference: "snap/boot" };
    this.objectStore.set("snap/boot", "[]");
    for (const id of ids) this.addNode(id, new Disk(boot, { term: 1, vote: "", commit: 1 })).start();
  }

  private tickRates = new Map<NodeId, number>();

  private tickRate(id: NodeId): number {
    let r = this.tickRates.get(id);
    if (r === undefined) this.tickRates.set(id, (r = this.rng.pick([1, 1, 0.9, 0.75])));
    return r;
  }

  private addNode(id: NodeId, disk: Disk): SimNode {
    const n = new SimNode(id, disk, this.env);
    this.nodes.set(id, n);
    return n;
  }

  trace(line: string): void {
    if (this.opts.trace) console.log(`[${this.now}] ${line}`);
    this.traceLines.push(`[${this.now}] ${line}`);
    if (this.traceLines.length > 400) this.traceLines.splice(0, 200);
  }

  private leaders() {
    const out = [];
    for (const n of this.nodes.values()) {
      if (n.up && n.role() === StateRole.Leader) out.push({ id: n.id, term: n.rn!.raft.term, log: n.logView() });
    }
    return out;
  }

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && n.role() === StateRole.Leader && (!best || n.rn!.raft.term > best.rn!.raft.term)) best = n;
    }
    return best;
  }

  private send(from: SimNode, m: Message): void {
    if (m.type === MessageType.Snap) this.stats.snapshotsSent++;
    const target = this.nodes.get(m.to);
    const ok = this.network.send(m, this.now) && target !== undefined;
    if (!ok && from.up) {
      // The transport reports what it could not deliver.
      if (m.type === MessageType.Snap) from.rn!.reportSnapshot(m.to, false);
      else if (this.network.isCut(m.from, m.to)) from.rn!.reportUnreachable(m.to);
    }
  }

  private deliver(): void {
    for (const m of this.network.due(this.now)) {
      const target = this.nodes.get(m.to)!;
      const sender = this.nodes.get(m.from);
      if (!target.up) {
        if (m.type === MessageType.Snap && sender?.up) sender.rn!.reportSnapshot(m.to, false);
        continue;
      }
      try {
        target.rn!.step(m);
      } catch (err) {
        // Answers from nodes that were removed meanwhile, forwarded proposals on a non-leader: refused cleanly.
        if (!(err instanceof RaftError)) throw err;
        if (!(err instanceof InvalidMessageError) && err.code !== "PROPOSAL_DROPPED") throw err;
        this.stats.rejected++;
        continue;
      }
      if (m.type === MessageType.Snap && sender?.up) sender.rn!.reportSnapshot(m.to, true);
    }
  }

  run(): SimResult {
    try {
      const total = this.opts.steps + this.opts.quietSteps;
      let completedBeforeQuiet = 0;
      for (this.now = 1; this.now <= total; this.now++) {
        if (this.now === this.opts.steps + 1) {
          this.enterQuiet();
          completedBeforeQuiet = this.clients.completed;
        }
        this.step();
      }
      this.checkLiveness(completedBeforeQuiet);
      const verdict = checkKvHistory(this.clients.history, 2_000_000);
      if (!verdict.ok) {
        throw new SafetyViolation(`${verdict.unknown ? "linearizability undecided" : "history is not linearizable"}: ${verdict.report}`);
      }
      return {
        seed: this.opts.seed,
        initialNodes: this.initialNodes,
        nodes: this.nodes.size,
        steps: total,
        ops: this.clients.history.length,
        completed: this.clients.completed,
        timedOut: this.clients.timedOut,
        leaderChanges: this.stats.leaderChanges,
        crashes: this.stats.crashes,
        confChanges: this.stats.confChanges,
        snapshotsSent: this.stats.snapshotsSent,
        rejectedMessages: this.stats.rejected,
        wglSteps: verdict.steps,
        checks: this.checker.checks,
      };
    } catch (err) {
      if (err instanceof SimulationFailure) throw err;
      const what = err instanceof Error ? err.message : String(err);
      throw new SimulationFailure(this.opts.seed, `seed ${this.opts.seed} failed at step ${this.now}: ${what}`, this.traceLines.slice(-80), {
        cause: err,
      });
    }
  }

  private step(): void {
    if (!this.quiet) this.injectFaults();
    this.retireRemoved();
    for (const n of this.nodes.values()) {
      if (!n.up && !n.retired && !this.quiet && this.now >= n.downUntil) n.start();
    }
    // Clocks drift while faults run: each node ticks at its own rate (ticks are the only clock the core has).
    for (const n of this.nodes.values()) if (n.rn && (this.quiet || this.rng.chance(this.tickRate(n.id)))) n.rn.tick();
    this.deliver();
    for (const n of this.nodes.values()) {
      for (let i = 0; i < 4 && n.up; i++) {
        if (!n.process()) this.stats.crashes++;
      }
    }
    this.checker.afterStep(this.leaders());
    const leader = this.currentLeader();
    if (leader && leader.id !== this.lastLeader) {
      this.stats.leaderChanges++;
      this.lastLeader = leader.id;
      this.trace(`leader is ${leader.id} at term ${leader.rn!.raft.term}`);
    }
    this.clients.step(this.now, [...this.nodes.values()], this.quiet ? 0.5 : 0.3);
  }

  private enterQuiet(): void {
    this.quiet = true;
    this.network.heal();
    this.trace("quiet: healed network, restarting every member");
    for (const n of this.nodes.values()) {
      n.crashAfterPersist = false;
      if (!n.up && !n.retired) n.start();
    }
  }

  /** After the faults stop, a leader must emerge and client operations must complete again. */
  private checkLiveness(completedBeforeQuiet: number): void {
    if (this.opts.quietSteps === 0) return;
    if (!this.currentLeader()) throw new Error(`liveness: no leader after ${this.opts.quietSteps} quiet steps`);
    if (this.clients.completed === completedBeforeQuiet) {
      throw new Error(`liveness: no client operation completed in ${this.opts.quietSteps} quiet steps`);
    }
  }

  private injectFaults(): void {
    const rng = this.rng;
    if (this.healAt > 0 && this.now >= this.healAt) {
      this.network.heal();
      this.healAt = 0;
      this.trace("network healed");
    }
    const members = [...this.nodes.values()].filter((n) => !n.retired);
    if (this.healAt === 0 && rng.chance(0.012)) this.partition(members.map((n) => n.id));
    if (rng.chance(this.crashRate)) {
      const live = members.filter((n) => n.up);
      const down = members.filter((n) => !n.up).length;
      if (live.length > 0 && down < 2) {
        // Favour a leader whose write is in flight: the case where persisting in parallel could go wrong.
        const busyLeader = live.find((n) => n.role() === StateRole.Leader && n.writing());
        const victim = busyLeader && rng.chance(0.5) ? busyLeader : rng.pick(live);
        victim.downUntil = this.now + rng.int(5, 80);
        if (rng.chance(0.3)) {
          victim.crashAfterPersist = true;
        } else {
          victim.crashNow(victim.downUntil);
          this.stats.crashes++;
        }
      }
    }
    const leader = this.currentLeader();
    if (leader && rng.chance(0.006)) this.changeMembership(leader);
    if (leader && rng.chance(0.006)) {
      const voters = leader.rn!.raft.trk.voterNodes().filter((id) => id !== leader.id);
      if (voters.length > 0) {
        const to = rng.pick(voters);
        this.trace(`transfer leadership ${leader.id} -> ${to}`);
        leader.rn!.transferLeader(to);
      }
    }
  }

  private partition(ids: NodeId[]): void {
    const rng = this.rng;
    const kind = rng.int(0, 2);
    if (kind === 0) {
      const shuffled = ids.slice().sort(() => rng.next() - 0.5);
      const k = rng.int(1, ids.length - 1);
      this.network.partition(shuffled.slice(0, k), shuffled.slice(k));
      this.trace(`partition ${shuffled.slice(0, k).join(",")} | ${shuffled.slice(k).join(",")}`);
    } else if (kind === 1) {
      // Asymmetric: some directed links fail.
      const n = rng.int(1, ids.length);
      for (let i = 0; i < n; i++) {
        const a = rng.pick(ids);
        const b = rng.pick(ids);
        if (a !== b) this.network.cutLink(a, b);
      }
      this.trace(`asymmetric partition: ${this.network.cutCount()} links cut`);
    } else {
      // Isolate the leader (or a random node), the classic check-quorum/pre-vote case.
      const victim = this.currentLeader()?.id ?? rng.pick(ids);
      this.network.partition([victim], ids.filter((id) => id !== victim));
      this.trace(`isolate ${victim}`);
    }
    this.healAt = this.now + rng.int(20, 120);
  }

  private changeMembership(leader: SimNode): void {
    const r = leader.rn!.raft;
    if (r.pendingConfIndex > r.raftLog.applied) return;
    const rng = this.rng;
    if (r.trk.isJoint()) {
      // An explicit joint configuration waits for someone to ask to leave it.
      if (!r.trk.config.autoLeave) this.proposeConfChange(leader, { changes: [], leaveJoint: true });
      return;
    }
    const cs = r.trk.confState();
    const options: (() => ConfChange | undefined)[] = [];
    if (cs.voters.length + cs.learners.length < this.maxVoters + 1) {
      options.push(() => {
        const id = `n${this.nextNodeNumber++}`;
        this.addNode(id, new Disk(emptySnapshot())).start();
        return { changes: [{ type: ConfChangeType.AddLearner, node: id }] };
      });
    }
    if (cs.learners.length > 0 && cs.voters.length < this.maxVoters) {
      options.push(() => ({ changes: [{ type: ConfChangeType.AddVoter, node: rng.pick(cs.learners) }] }));
    }
    if (cs.voters.length > this.minVoters) {
      options.push(() => ({ changes: [{ type: ConfChangeType.RemoveNode, node: rng.pick(cs.voters) }] }));
    }
    if (cs.learners.length > 0 && cs.voters.length >= this.minVoters) {
      // Joint consensus: swap a voter for a learner in one change.
      options.push(() => ({
        changes: [
          { type: ConfChangeType.AddVoter, node: rng.pick(cs.learners) },
          { type: ConfChangeType.RemoveNode, node: rng.pick(cs.voters) },
        ],
      }));
    }
    if (cs.learners.length > 0 && cs.voters.length >= this.minVoters) {
      // Joint consensus, left explicitly: a learner and a voter swap roles (the voter is demoted to learner
      // when the joint configuration is left).
      options.push(() => {
        const demoted = rng.pick(cs.voters);
        return {
          changes: [
            { type: ConfChangeType.AddVoter, node: rng.pick(cs.learners) },
            { type: ConfChangeType.AddLearner, node: demoted },
          ],
          transition: "joint-explicit",
        };
      });
    }
    if (options.length === 0) return;
    const cc = rng.pick(options)();
    if (cc) this.proposeConfChange(leader, cc);
  }

  private proposeConfChange(leader: SimNode, cc: ConfChange): void {
    this.trace(`propose conf change on ${leader.id}: ${JSON.stringify(cc)}`);
    try {
      leader.rn!.proposeConfChange(cc);
    } catch (err) {
      if (!(err instanceof RaftError) || err.code !== "PROPOSAL_DROPPED") throw err;
    }
  }

  /**
   * Shuts down nodes that the most advanced member's applied configuration has dropped (ids are never
   * reused), as a real deployment stops a removed member and its peers' transports refuse it. A removed node
   * that never learns of its removal would otherwise disrupt elections forever without pre-vote.
   */
  private retireRemoved(): void {
    if (this.now % 25 !== 0) return;
    let newest: SimNode | undefined;
    // The configuration at the highest applied index anywhere (a committed one, so the truth at that index).
    for (const n of this.nodes.values()) {
      if (n.retired || n.confState.voters.length === 0) continue;
      if (!newest || n.appliedIndex > newest.appliedIndex) newest = n;
    }
    if (!newest) return;
    const cs = newest.confState;
    const inConfig = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
    for (const id of inConfig) this.everMember.add(id);
    for (const n of this.nodes.values()) {
      if (n.retired || inConfig.has(n.id) || !this.everMember.has(n.id)) continue;
      n.retired = true;
      if (n.up) n.crash(Infinity);
      this.trace(`${n.id} retired`);
    }
  }
}

export function confState(voters: NodeId[]): ConfState {
  return { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: confState([]) }, reference: "" };
}

