// Checks a message from the network before the core sees it. Invariants of a well-formed message:
//  1. its type is a known, non-local type;
//  2. from and to are non-empty ids, and it is addressed to this node;
//  3. term, index, logTerm, commit and rejectHint are integers in [0, 2^53);
//  4. only Propose and ReadIndex (forwarded by a follower) may carry term 0;
//  5. entries are well-formed, contiguous, and (for App) follow `index` with terms that never decrease and
//     never exceed the message's term;
//  6. Snap carries a snapshot with valid metadata and a membership.
// A message that breaks one is refused with an InvalidMessageError before any state changes.
import { InvalidMessageError } from "./errors";
import { LOCAL_TYPES } from "./messages";
import { EntryType, MessageType } from "./types";
import type { ConfState, Entry, Message, NodeId } from "./types";

const KNOWN_TYPES = new Set<string>(Object.values(MessageType));
const TERM_ZERO_OK = new Set<MessageType>([MessageType.Propose, MessageType.ReadIndex]);

export function validatePeerMessage(m: unknown, self: NodeId): asserts m is Message {
  if (typeof m !== "object" || m === null) throw new InvalidMessageError("not an object");
  const msg = m as Record<string, unknown>;
  const type = msg.type;
  if (typeof type !== "string" || !KNOWN_TYPES.has(type)) throw new InvalidMessageError(`unknown type ${JSON.stringify(type)}`);
  const t = type as MessageType;
  if (LOCAL_TYPES.has(t)) throw new InvalidMessageError(`${t} is local-only and may not come from a peer`);
  const where = `${t} from ${String(msg.from)}`;
  if (typeof msg.from !== "string" || msg.from === "") throw new InvalidMessageError(`${t} without a sender`);
  if (typeof msg.to !== "string" || msg.to !== self) throw new InvalidMessageError(`${where} is addressed to ${JSON.stringify(msg.to)}, not ${self}`);
  for (const field of ["term", "index", "logTerm", "commit", "rejectHint"]) checkIndex(msg[field], `${where}: ${field}`);
  if (msg.term === 0 && !TERM_ZERO_OK.has(t)) throw new InvalidMessageError(`${where}: term 0`);
  if (typeof msg.reject !== "boolean") throw new InvalidMessageError(`${where}: reject is not a boolean`);
  if (msg.context !== undefined && !(msg.context instanceof Uint8Array)) throw new InvalidMessageError(`${where}: context is not bytes`);
  if (!Array.isArray(msg.entries)) throw new InvalidMessageError(`${where}: entries is not an array`);
  const entries = msg.entries as unknown[];
  entries.forEach((e, i) => checkEntry(e, `${where}: entry ${i}`));
  checkContiguous(entries as Entry[], msg as unknown as Message, where);
  if (t === MessageType.Snap) checkSnapshot(msg.snapshot, msg.term as number, where);
}

function checkIndex(v: unknown, what: string): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidMessageError(`${what} is ${String(v)}, not an integer in [0, 2^53)`);
  }
}

function checkEntry(e: unknown, what: string): void {
  if (typeof e !== "object" || e === null) throw new InvalidMessageError(`${what} is not an object`);
  const entry = e as Record<string, unknown>;
  checkIndex(entry.term, `${what}: term`);
  checkIndex(entry.index, `${what}: index`);
  if (entry.type !== EntryType.Normal && entry.type !== EntryType.ConfChange) {
    throw new InvalidMessageError(`${what}: unknown entry type ${String(entry.type)}`);
  }
  if (!(entry.data instanceof Uint8Array)) throw new InvalidMessageError(`${what}: data is not bytes`);
}

function checkContiguous(entries: Entry[], m: Message, where: string): void {
  if (m.type === MessageType.App) {
    if (m.logTerm > m.term) throw new InvalidMessageError(`${where}: logTerm ${m.logTerm} is above the message term ${m.term}`);
    let prevTerm = m.logTerm;
    entries.forEach((e, i) => {
      if (e.index !== m.index + 1 + i) {
        throw new InvalidMessageError(`${where}: entries not contiguous: entry ${i} has index ${e.index}, expected ${m.index + 1 + i}`);
      }
      if (e.term < prevTerm || e.term > m.term) {
        throw new InvalidMessageError(`${where}: entry ${e.index} has term ${e.term} outside [${prevTerm}, ${m.term}]`);
      }
      prevTerm = e.term;
    });
    return;
  }
  if (m.type === MessageType.Propose) {
    if (entries.length === 0) throw new InvalidMessageError(`${where}: a proposal without entries`);
    return;
  }
  if (entries.length > 0) throw new InvalidMessageError(`${where}: ${m.type} may not carry entries`);
}

function checkSnapshot(s: unknown, term: number, where: string): void {
  if (typeof s !== "object" || s === null) throw new InvalidMessageError(`${where}: Snap without a snapshot`);
  const snap = s as Record<string, unknown>;
  if (typeof snap.reference !== "string") throw new InvalidMessageError(`${where}: snapshot reference is not a string`);
  if (snap.data !== undefined && !(snap.data instanceof Uint8Array)) throw new InvalidMessageError(`${where}: snapshot data is not bytes`);
  const md = snap.metadata as Record<string, unknown> | undefined;
  if (typeof md !== "object" || md === null) throw new InvalidMessageError(`${where}: snapshot without metadata`);
  checkIndex(md.index, `${where}: snapshot index`);
  checkIndex(md.term, `${where}: snapshot term`);
  if (md.index === 0) throw new InvalidMessageError(`${where}: empty snapshot`);
  if ((md.term as number) > term) throw new InvalidMessageError(`${where}: snapshot term ${String(md.term)} is above the message term ${term}`);
  checkConfState(md.confState, `${where}: snapshot confState`);
}

function checkConfState(v: unknown, what: string): asserts v is ConfState {
  if (typeof v !== "object" || v === null) throw new InvalidMessageError(`${what} is missing`);
  const cs = v as Record<string, unknown>;
  for (const f of ["voters", "learners", "votersOutgoing", "learnersNext"]) {
    const ids = cs[f];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && id !== "")) {
      throw new InvalidMessageError(`${what}: ${f} is not a list of node ids`);
    }
  }
  if (typeof cs.autoLeave !== "boolean") throw new InvalidMessageError(`${what}: autoLeave is not a boolean`);
  if ((cs.voters as string[]).length === 0) throw new InvalidMessageError(`${what}: no voters`);
}
