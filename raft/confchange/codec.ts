// The encoding of a ConfChange inside a log entry (EntryType.ConfChange). JSON: small, rare, and readable
// in a log dump. Decoding checks the shape, because entries come from disk and from peers.
import { RaftError } from "../errors";
import { ConfChangeType } from "../types";
import type { ConfChange, ConfChangeSingle } from "../types";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const TRANSITIONS = new Set(["auto", "joint-implicit", "joint-explicit"]);

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new RaftError("INVALID_CONF_CHANGE", "raft: conf change entry is not valid JSON", { cause: err });
  }
  checkConfChange(v);
  return v;
}

/** Throws a RaftError naming what is wrong unless `v` is a well-formed ConfChange. */
export function checkConfChange(v: unknown): asserts v is ConfChange {
  const bad = (what: string) => new RaftError("INVALID_CONF_CHANGE", `raft: conf change: ${what}`);
  if (typeof v !== "object" || v === null) throw bad("not an object");
  const cc = v as Record<string, unknown>;
  if (!Array.isArray(cc.changes)) throw bad("changes is not an array");
  if (cc.leaveJoint !== undefined && typeof cc.leaveJoint !== "boolean") throw bad("leaveJoint is not a boolean");
  if (cc.transition !== undefined && !TRANSITIONS.has(cc.transition as string)) throw bad(`unknown transition ${String(cc.transition)}`);
  if (cc.leaveJoint && cc.changes.length > 0) throw bad("leaveJoint with changes");
  for (const c of cc.changes as unknown[]) checkSingle(c, bad);
}

function checkSingle(v: unknown, bad: (what: string) => Error): asserts v is ConfChangeSingle {
  if (typeof v !== "object" || v === null) throw bad("change is not an object");
  const c = v as Record<string, unknown>;
  if (typeof c.node !== "string" || c.node === "") throw bad("change without a node id");
  if (c.type !== ConfChangeType.AddVoter && c.type !== ConfChangeType.AddLearner && c.type !== ConfChangeType.RemoveNode) {
    throw bad(`unknown change type ${String(c.type)} for ${c.node}`);
  }
  if (c.address !== undefined && typeof c.address !== "string") throw bad(`address of ${c.node} is not a string`);
}

/** Whether the change enters a joint configuration, and if so whether it leaves it automatically. */
export function enterJoint(cc: ConfChange): { enter: boolean; autoLeave: boolean } {
  const t = cc.transition ?? "auto";
  if (cc.changes.length > 1 || t !== "auto") return { enter: true, autoLeave: t !== "joint-explicit" };
  return { enter: false, autoLeave: false };
}

/** A leaveJoint change; an empty change list with no transition also means "leave" as in etcd. */
export const isLeaveJoint = (cc: ConfChange): boolean => cc.leaveJoint === true || (cc.changes.length === 0 && (cc.transition ?? "auto") === "auto");
