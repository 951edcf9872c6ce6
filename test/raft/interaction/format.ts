// Compact, stable text for entries, messages, Readies and state, in the spirit of etcd's raft describe
// functions, so that scenario files read like a protocol trace.
import { ConfChangeType, decodeConfChange, EntryType, MessageType } from "../../../raft";
import type { ConfChange, ConfState, Entry, HardState, Message, Ready, Snapshot } from "../../../raft";

export function describeConfChange(cc: ConfChange): string {
  if (cc.leaveJoint || cc.changes.length === 0) return "leave-joint";
  const letter = { [ConfChangeType.AddVoter]: "v", [ConfChangeType.AddLearner]: "l", [ConfChangeType.RemoveNode]: "r" };
  const s = cc.changes.map((c) => `${letter[c.type]}${c.node}`).join(" ");
  return cc.transition && cc.transition !== "auto" ? `${s} (${cc.transition})` : s;
}

export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) return `${e.term}/${e.index} EntryConfChange ${describeConfChange(decodeConfChange(e.data))}`;
  return `${e.term}/${e.index} EntryNormal ${JSON.stringify(new TextDecoder().decode(e.data))}`;
}

export function describeConfState(cs: ConfState): string {
  let s = `Voters:[${cs.voters.join(" ")}]`;
  if (cs.votersOutgoing.length > 0) s += ` VotersOutgoing:[${cs.votersOutgoing.join(" ")}]`;
  if (cs.learners.length > 0) s += ` Learners:[${cs.learners.join(" ")}]`;
  if (cs.learnersNext.length > 0) s += ` LearnersNext:[${cs.learnersNext.join(" ")}]`;
  if (cs.autoLeave) s += " AutoLeave:true";
  return s;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:${describeConfState(s.metadata.confState)} Ref:${s.reference}`;
}

const ctx = (c: Uint8Array | undefined) => (c && c.length > 0 ? ` Context:${JSON.stringify(new TextDecoder().decode(c))}` : "");

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case MessageType.App:
      s += ` Log:${m.logTerm}/${m.index} Commit:${m.commit}`;
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      break;
    case MessageType.AppResp:
      s += ` Log:${m.logTerm}/${m.index}`;
      if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` Log:${m.logTerm}/${m.index}${ctx(m.context)}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      if (m.reject) s += " Rejected";
      break;
    case MessageType.Heartbeat:
      s += ` Commit:${m.commit}${ctx(m.context)}`;
      break;
    case MessageType.HeartbeatResp:
      if (m.reject) s += ` Rejected (Log: ${m.logTerm}/${m.rejectHint})`;
      s += ctx(m.context);
      break;
    case MessageType.Snap:
      s += ` Snapshot: ${describeSnapshot(m.snapshot!)}`;
      break;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResp:
      s += ` Index:${m.index}${ctx(m.context)}`;
      break;
    default:
      break;
  }
  return s;
}

export const describeHardState = (hs: HardState) => `HardState Term:${hs.term} Vote:${hs.vote || "-"} Commit:${hs.commit}`;

export function describeReady(rd: Ready): string[] {
  const out = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`State:${rd.softState.role} Lead:${rd.softState.leader || "-"}`);
  if (rd.hardState) out.push(describeHardState(rd.hardState));
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.entries.length > 0) out.push("Entries:", ...rd.entries.map(describeEntry));
  if (rd.committedEntries.length > 0) out.push("CommittedEntries:", ...rd.committedEntries.map(describeEntry));
  if (rd.readStates.length > 0) {
    out.push("ReadStates:", ...rd.readStates.map((r) => `Index:${r.index} Context:${JSON.stringify(new TextDecoder().decode(r.requestCtx))}`));
  }
  if (rd.messages.length > 0) out.push("Messages:", ...collapse(rd.messages.map(describeMessage)));
  return out;
}

/** Identical lines (a burst of heartbeats) once each, in first-seen order, with a count. */
export function collapse(lines: string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts].map(([l, n]) => (n > 1 ? `${l} (x${n})` : l));
}
