// Which Raft member serves its peer API on a gRPC server. The metadata service on that same server reads the
// member's database through it: writes whose preconditions the state machine checks at apply time do not
// need their reads to be linearizable (a stale read only makes the precondition fail, and the write is
// retried after a linearizable read), so they can skip ReadIndex. The service is built before the member
// (see src/server/late-kv.ts), hence a lookup by server rather than a constructor argument.
import type { ReplicatedKv } from "./replicated-kv";

const members = new WeakMap<object, ReplicatedKv>();

export function registerMemberKv(server: object, kv: ReplicatedKv): void {
  members.set(server, kv);
}

export function unregisterMemberKv(server: object, kv: ReplicatedKv): void {
  if (members.get(server) === kv) members.delete(server);
}

/** The replicated KV of the member serving on `server`, if one is. */
export function memberKvOn(server: object): ReplicatedKv | undefined {
  return members.get(server);
}
