// One handler per script command. Each returns the text the script expects after `----`.
import { ConfChangeType, MemoryStorage, ProgressState } from "../../../raft";
import type { ConfChange, ConfChangeSingle, ReadOnlyOption, Snapshot } from "../../../raft";
import type { Command } from "./datadriven";
import { describeConfStateShort } from "./env";
import type { InteractionEnv } from "./env";
import { describeEntry, describeHardState } from "./format";

type Handler = (env: InteractionEnv, cmd: Command) => string[];

const one = (cmd: Command, key: string): string | undefined => cmd.kv.get(key)?.[0];
const flag = (cmd: Command, key: string, dflt: boolean) => (cmd.kv.has(key) ? one(cmd, key) === "true" : dflt);
const idsOrAll = (env: InteractionEnv, cmd: Command) => (cmd.args.length > 0 ? cmd.args : env.nodeIds());

export const handlers: Record<string, Handler> = {
  /** add-nodes N [voters=(..)] [learners=(..)] [index=I] [prevote=true] [checkquorum=true] [read-only=safe] */
  "add-nodes"(env, cmd) {
    const n = Number(cmd.args[0]);
    const voters = cmd.kv.get("voters") ?? [];
    const learners = cmd.kv.get("learners") ?? [];
    const index = Number(one(cmd, "index") ?? 0);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(env.nodes.size + 1);
      const confState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
      const storage = new MemoryStorage({ confState });
      if (index > 0) {
        const snap: Snapshot = { metadata: { index, term: 1, confState }, reference: "boot" };
        storage.applySnapshot(snap);
        storage.setHardState({ term: 1, vote: "", commit: index });
      }
      env.addNode(id, storage, {
        preVote: flag(cmd, "prevote", false),
        checkQuorum: flag(cmd, "checkquorum", false),
        readOnly: (one(cmd, "read-only") ?? "safe") as ReadOnlyOption,
        applied: index,
      });
      out.push(`INFO ${id} started: term=${index > 0 ? 1 : 0} commit=${index} config=${describeConfStateShort(confState) || "()"}`);
    }
    return out;
  },

  campaign(env, cmd) {
    env.node(cmd.args[0]).rn.campaign();
    return [];
  },

  propose(env, cmd) {
    env.node(cmd.args[0]).rn.propose(new TextEncoder().encode(cmd.args[1] ?? ""));
    return [];
  },

  /** propose-conf-change ID [transition=auto|joint-implicit|joint-explicit] v4 l5 r1 (empty: leave joint) */
  "propose-conf-change"(env, cmd) {
    const [id, ...ops] = cmd.args;
    const letters: Record<string, ConfChangeType> = { v: ConfChangeType.AddVoter, l: ConfChangeType.AddLearner, r: ConfChangeType.RemoveNode };
    const changes: ConfChangeSingle[] = ops.map((op) => {
      const type = letters[op[0]];
      if (type === undefined) throw new Error(`unknown change ${op}`);
      return { type, node: op.slice(1) };
    });
    const cc: ConfChange = { changes };
    const transition = one(cmd, "transition");
    if (transition) cc.transition = transition as ConfChange["transition"];
    if (changes.length === 0) cc.leaveJoint = true;
    env.node(id).rn.proposeConfChange(cc);
    return [];
  },

  "transfer-leadership"(env, cmd) {
    env.node(one(cmd, "from")).rn.transferLeader(one(cmd, "to")!);
    return [];
  },

  "read-index"(env, cmd) {
    env.node(cmd.args[0]).rn.readIndex(new TextEncoder().encode(cmd.args[1]));
    return [];
  },

  /** tick-election ID...: one election timeout of ticks. */
  "tick-election"(env, cmd) {
    for (const id of cmd.args) {
      const n = env.node(id);
      for (let i = 0; i < n.rn.raft.electionTimeout; i++) n.rn.tick();
    }
    return [];
  },

  "tick-heartbeat"(env, cmd) {
    for (const id of cmd.args) {
      const n = env.node(id);
      for (let i = 0; i < n.rn.raft.heartbeatTimeout; i++) n.rn.tick();
    }
    return [];
  },

  stabilize(env, cmd) {
    return env.stabilize(idsOrAll(env, cmd));
  },

  "process-ready"(env, cmd) {
    const out: string[] = [];
    for (const id of cmd.args) out.push(...(cmd.args.length > 1 ? [`> ${id} handling Ready`] : []), ...env.processReady(id).map((l) => (cmd.args.length > 1 ? `  ${l}` : l)));
    return out;
  },

  "deliver-msgs"(env, cmd) {
    const out: string[] = [];
    for (const id of cmd.args) out.push(...env.deliver(id, one(cmd, "type")));
    return out;
  },

  /** Drops every queued message to the given nodes (a lossy network). */
  "drop-msgs"(env, cmd) {
    const drop = new Set(cmd.args);
    const dropped = env.messages.filter((m) => drop.has(m.to));
    env.messages = env.messages.filter((m) => !drop.has(m.to));
    return dropped.map((m) => `dropped: ${m.from}->${m.to} ${m.type}`);
  },

  /** cut from=(1) to=(2,3) [symmetric=true]: messages on these links are dropped when delivered. */
  cut(env, cmd) {
    const symmetric = flag(cmd, "symmetric", true);
    for (const a of cmd.kv.get("from") ?? []) {
      for (const b of cmd.kv.get("to") ?? []) {
        env.cutLink(a, b);
        if (symmetric) env.cutLink(b, a);
      }
    }
    return [];
  },

  heal(env) {
    env.heal();
    return [];
  },

  /** compact ID INDEX: snapshot the state machine at its applied index, then drop the log up to INDEX. */
  compact(env, cmd) {
    const n = env.node(cmd.args[0]);
    const index = Number(cmd.args[1]);
    n.storage.createSnapshot(n.appliedIndex, n.confState, `snap-${n.id}-${n.appliedIndex}`);
    n.storage.compact(index);
    return logOf(env, n.id);
  },

  /**
   * wipe ID [snapshot-index=S]: the node's disk is lost and it restarts on a fresh one (same id, same
   * membership): empty, or restored from a snapshot of the state at S (as from the object store), whose term
   * is the one its old log had there. Messages queued to or from it are left alone.
   */
  wipe(env, cmd) {
    const old = env.node(cmd.args[0]);
    const index = Number(one(cmd, "snapshot-index") ?? 0);
    const confState = old.rn.status().confState;
    const storage = new MemoryStorage({ confState });
    if (index > 0) {
      const term = old.storage.term(index);
      storage.applySnapshot({ metadata: { index, term, confState }, reference: `store-${index}` });
      storage.setHardState({ term, vote: "", commit: index });
    }
    const n = env.addNode(old.id, storage, { ...old.opts, applied: index });
    return [`INFO ${n.id} restarted on a wiped disk: ${logOf(env, n.id)[0]}`];
  },

  "report-unreachable"(env, cmd) {
    env.node(cmd.args[0]).rn.reportUnreachable(cmd.args[1]);
    return [];
  },

  "report-snapshot"(env, cmd) {
    env.node(cmd.args[0]).rn.reportSnapshot(cmd.args[1], flag(cmd, "ok", true));
    return [];
  },

  "raft-log"(env, cmd) {
    return logOf(env, cmd.args[0]);
  },

  /** raft-state: one line per node. */
  "raft-state"(env) {
    return env.nodeIds().map((id) => {
      const s = env.node(id).rn.status();
      return `${id}: ${s.role} (term ${s.term}, lead ${s.leader || "-"}, commit ${s.commit}, applied ${s.applied}, last ${s.lastIndex}) ${describeConfStateShort(s.confState) || "()"}`;
    });
  },

  /** status ID: the leader's view of its followers. */
  status(env, cmd) {
    const s = env.node(cmd.args[0]).rn.status();
    if (!s.progress) return [`${s.id} is ${s.role} (term ${s.term}, lead ${s.leader || "-"})`];
    return Object.entries(s.progress).map(([id, p]) => {
      let line = `${id}: StateType ${p.state} match=${p.match} next=${p.next}`;
      if (p.isLearner) line += " learner";
      if (p.state === ProgressState.Snapshot) line += " (sending snapshot)";
      return line;
    });
  },

  "applied"(env, cmd) {
    return env.node(cmd.args[0]).applied.map((d, i) => `${i + 1}: ${d}`);
  },
};

function logOf(env: InteractionEnv, id: string): string[] {
  const n = env.node(id);
  const first = n.storage.firstIndex();
  const last = n.storage.lastIndex();
  const out = [`first=${first} last=${last} ${describeHardState(n.storage.initialState().hardState)}`];
  if (last >= first) out.push(...n.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map(describeEntry));
  return out;
}
