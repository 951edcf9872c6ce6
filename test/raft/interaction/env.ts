// The environment scenario scripts drive: RawNodes over MemoryStorage, a message queue per recipient, and a
// runtime that persists, applies (including conf changes) and advances exactly when a script says so.
import { EntryType, MemoryStorage, RawNode, decodeConfChange } from "../../../raft";
import type { ConfState, Message, NodeId, ReadOnlyOption } from "../../../raft";
import { collapse, describeMessage, describeReady } from "./format";

export interface EnvNode {
  id: NodeId;
  rn: RawNode;
  storage: MemoryStorage;
  /** Entries the state machine applied (Normal, non-empty). */
  applied: string[];
  confState: ConfState;
  appliedIndex: number;
  /** What it was started with (a restart on a wiped disk starts the same way). */
  opts: NodeOptions;
}

export interface NodeOptions {
  preVote: boolean;
  checkQuorum: boolean;
  readOnly: ReadOnlyOption;
  applied: number;
}

export class InteractionEnv {
  readonly nodes = new Map<NodeId, EnvNode>();
  /** Messages sent and not yet delivered, in send order. */
  messages: Message[] = [];
  private cut = new Set<string>();
  /** Warnings a node logged while stepping a message, printed after the message. */
  private warnings: string[] = [];
  readonly log: string[] = [];

  nodeIds(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  }

  node(id: string | undefined): EnvNode {
    const n = id === undefined ? undefined : this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  addNode(id: NodeId, storage: MemoryStorage, opts: NodeOptions): EnvNode {
    const rn = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      applied: opts.applied,
      maxSizePerMsg: Number.MAX_SAFE_INTEGER,
      maxInflightMsgs: 256,
      preVote: opts.preVote,
      checkQuorum: opts.checkQuorum,
      readOnlyOption: opts.readOnly,
      // No jitter: an election timeout is exactly electionTick ticks, so scripts are exact.
      random: () => 0,
      logger: {
        debug() {},
        info() {},
        warn: (msg, fields) => this.warnings.push(`WARN ${id} ${msg} ${JSON.stringify(fields ?? {})}`),
      },
    });
    const n: EnvNode = { id, rn, storage, applied: [], confState: storage.initialState().confState, appliedIndex: opts.applied, opts };
    this.nodes.set(id, n);
    return n;
  }

  /** The runtime's work for one Ready: persist, send, apply, advance. Returns the description. */
  processReady(id: NodeId): string[] {
    const n = this.node(id);
    if (!n.rn.hasReady()) return [];
    const rd = n.rn.ready();
    const out = describeReady(rd);
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.confState = rd.snapshot.metadata.confState;
      n.appliedIndex = rd.snapshot.metadata.index;
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    this.messages.push(...rd.messages);
    for (const e of rd.committedEntries) {
      n.appliedIndex = e.index;
      if (e.type === EntryType.ConfChange) {
        n.confState = n.rn.applyConfChange(decodeConfChange(e.data));
        out.push(`INFO ${id} switched to configuration ${describeConfStateShort(n.confState)}`);
      } else if (e.data.length > 0) {
        n.applied.push(new TextDecoder().decode(e.data));
      }
    }
    n.rn.advance(rd);
    return out;
  }

  /** Delivers every queued message addressed to `id`; returns what happened. */
  deliver(id: NodeId, type?: string): string[] {
    const pick = (m: Message) => m.to === id && (type === undefined || m.type === type);
    const mine = this.messages.filter(pick);
    this.messages = this.messages.filter((m) => !pick(m));
    const out: string[] = [];
    for (const m of mine) {
      if (this.cut.has(`${m.from}>${m.to}`)) {
        out.push(`dropped: ${describeMessage(m)}`);
        continue;
      }
      out.push(describeMessage(m));
      this.warnings.length = 0; // only what stepping this message logged
      try {
        this.node(id).rn.step(m);
      } catch (err) {
        out.push(`error: ${(err as Error).message}`);
      }
      out.push(...this.warnings.splice(0));
    }
    return collapse(out);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Processes Readies and delivers messages among `ids` until nothing is left to do. */
  stabilize(ids: NodeId[]): string[] {
    const out: string[] = [];
    for (let round = 0; round < 1000; round++) {
      let done = true;
      for (const id of ids) {
        const rd = this.processReady(id);
        if (rd.length === 0) continue;
        done = false;
        out.push(`> ${id} handling Ready`, ...rd.map((l) => `  ${l}`));
      }
      for (const id of ids) {
        if (!this.messages.some((m) => m.to === id)) continue;
        done = false;
        out.push(`> ${id} receiving messages`, ...this.deliver(id).map((l) => `  ${l}`));
      }
      if (done) return out;
    }
    throw new Error("stabilize did not converge in 1000 rounds");
  }
}

export const describeConfStateShort = (cs: ConfState): string => {
  let s = cs.voters.join(" ");
  if (cs.votersOutgoing.length > 0) s = `(${s})&&(${cs.votersOutgoing.join(" ")})`;
  if (cs.learners.length > 0) s += ` learners=(${cs.learners.join(" ")})`;
  if (cs.learnersNext.length > 0) s += ` learners_next=(${cs.learnersNext.join(" ")})`;
  if (cs.autoLeave) s += " autoleave";
  return s;
};
