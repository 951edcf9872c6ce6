// The shape of an RPC implementation, and what every implementation may use.
import type { AuthManager, Caller } from "../auth";
import type { Graveler, KvStore } from "../graveler";
import type { ClusterView } from "./cluster";
import type { Storage } from "./storage";

export interface ServiceDeps {
  graveler: Graveler;
  /** The key-value store graveler runs on (a few operations need it directly, e.g. dropping one staged entry). */
  kv: KvStore;
  auth: AuthManager;
  cluster: ClusterView;
  storage: Storage;
  /**
   * Where a repository created without a storage namespace lives: `<prefix>/<name>` (tarn run: a local
   * directory in its data dir). Without it the namespace is required.
   */
  defaultNamespacePrefix?: string;
  /** The cluster's gateway key: seals secrets for GetCredentialForGateway (refused without it). */
  gatewayKey?: Buffer;
  /**
   * The Raft member beside the service, once there is one: its database as it is (no ReadIndex: for reads
   * whose use a precondition checks at apply time, see staging-write.ts), and `sync`, after which such local
   * reads are linearizable. Undefined without a member (`tarn run`'s single store, tests).
   */
  memberReads?: () => MemberReads | undefined;
}

export interface MemberReads {
  local: KvStore;
  /** Resolves once the member has applied everything committed before the call (one ReadIndex round). */
  sync(): Promise<void>;
}

export interface CallContext {
  caller: Caller;
  /** Full gRPC method path. */
  method: string;
}

export type Handler =
  | { kind: "unary"; run(request: Record<string, unknown>, ctx: CallContext): Promise<object> }
  | { kind: "stream"; run(request: Record<string, unknown>, ctx: CallContext): AsyncIterable<object> };

/** A unary handler over the typed request (requests arrive decoded with every field present, see proto.ts). */
export const unary = <T>(run: (request: T, ctx: CallContext) => Promise<object>): Handler => ({
  kind: "unary",
  run: (request, ctx) => run(request as unknown as T, ctx),
});

export const stream = <T>(run: (request: T, ctx: CallContext) => AsyncIterable<object>): Handler => ({
  kind: "stream",
  run: (request, ctx) => run(request as unknown as T, ctx),
});

/** Handlers of one service, keyed by method name. */
export type ServiceHandlers = Record<string, Handler>;
