// The metadata service: a grpc-js server for every RPC of proto/metadata.proto. Each call goes through one
// pipeline: forward to the leader when this member is not it → authenticate the signed request bytes →
// decode (a message that does not parse is INVALID_ARGUMENT) → authorize by policy → run the handler →
// encode. Errors become gRPC statuses in one place (status.ts); every call is counted and timed.
import * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import { AuthManager, ClusterKeys, requiredPermission, requirePermission } from "../auth";
import { invalidArgument, TarnError, unavailable } from "../errors";
import type { Graveler, KvStore } from "../graveler";
import { CallerAuthenticator } from "./callers";
import type { ClusterView } from "./cluster";
import { LeaderForwarder } from "./forward";
import { memberKvOn, type ReplicatedKv } from "../state";
import type { CallContext, Handler, MemberReads, ServiceDeps, ServiceHandlers } from "./handler";
import { authService } from "./handlers/auth";
import { branchService } from "./handlers/branches";
import { clusterService } from "./handlers/cluster";
import { commitService } from "./handlers/commits";
import { objectService } from "./handlers/objects";
import { refService } from "./handlers/refs";
import { repositoryService } from "./handlers/repositories";
import { tagService } from "./handlers/tags";
import { createLogger, Logger } from "./logger";
import { createServiceMetrics, ServiceMetrics } from "./metrics";
import { apiMethods, decodeMessage, encodeMessage, FORWARDED_HEADER, LEADER_HEADER, MethodSchema } from "./proto";
import { StatusError, statusName, toStatus } from "./status";
import type { Storage } from "./storage";

/** Default cap on a request or response message; larger ones fail with RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface MetadataServerOptions {
  graveler: Graveler;
  kv: KvStore;
  auth: AuthManager;
  cluster: ClusterView;
  storage: Storage;
  logger?: Logger;
  metrics?: ServiceMetrics;
  maxMessageBytes?: number;
  /** See ServiceDeps.defaultNamespacePrefix. */
  defaultNamespacePrefix?: string;
  /**
   * Add the services to this server (made with `createGrpcServer`) instead of a new one: a Raft member serves
   * its peer API on the same port.
   */
  grpcServer?: grpc.Server;
  /**
   * The cluster's keys (deriveClusterKeys): with them the service admits gateway-signed calls (for the
   * gateway itself: GetCredentialForGateway; on behalf of a user: everything that user may do).
   */
  clusterKeys?: ClusterKeys;
}

/** A grpc-js server with the message size limits the metadata service expects. */
export function createGrpcServer(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): grpc.Server {
  // channelz off: its per-call bookkeeping costs CPU on every call (and every Raft peer message sharing the
  // server) and nothing here reads it.
  return new grpc.Server({ "grpc.max_receive_message_length": maxMessageBytes, "grpc.max_send_message_length": maxMessageBytes, "grpc.enable_channelz": 0 });
}

const identity = (b: Buffer) => b;

function serviceHandlers(deps: ServiceDeps): Record<string, ServiceHandlers> {
  return {
    RepositoryService: repositoryService(deps),
    BranchService: branchService(deps),
    TagService: tagService(deps),
    ObjectService: objectService(deps),
    CommitService: commitService(deps),
    RefService: refService(deps),
    AuthService: authService(deps),
    ClusterService: clusterService(deps),
  };
}

export class MetadataServer {
  readonly server: grpc.Server;
  readonly metrics: ServiceMetrics;
  private readonly logger: Logger;
  private readonly handlers: Record<string, ServiceHandlers>;
  private readonly forwarder: LeaderForwarder;
  private readonly maxMessageBytes: number;
  private readonly callers: CallerAuthenticator;
  private boundAddress = "";
  private ownLeaderMetadata?: { md: grpc.Metadata; until: number };
  private member?: { kv: ReplicatedKv; reads: MemberReads };

  constructor(private readonly options: MetadataServerOptions) {
    this.logger = options.logger ?? createLogger();
    this.metrics = options.metrics ?? createServiceMetrics();
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.handlers = serviceHandlers({ ...options, gatewayKey: options.clusterKeys?.gatewayKey, memberReads: () => this.memberReads() });
    this.callers = new CallerAuthenticator(options.auth, options.clusterKeys);
    this.forwarder = new LeaderForwarder(options.cluster.selfId, this.maxMessageBytes);
    this.server = options.grpcServer ?? createGrpcServer(this.maxMessageBytes);
    const byService = new Map<string, Record<string, grpc.MethodDefinition<Buffer, Buffer>>>();
    const impls = new Map<string, grpc.UntypedServiceImplementation>();
    for (const m of apiMethods().values()) {
      if (!byService.has(m.service)) {
        byService.set(m.service, {});
        impls.set(m.service, {});
      }
      byService.get(m.service)![m.name] = {
        path: m.path,
        requestStream: false,
        responseStream: m.responseStream,
        requestDeserialize: identity,
        requestSerialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
      impls.get(m.service)![m.name] = m.responseStream ? this.streamingCall(m) : this.unaryCall(m);
    }
    for (const [service, definition] of byService) this.server.addService(definition as grpc.ServiceDefinition, impls.get(service)!);
  }

  /** Binds HOST:PORT (port 0 picks one) and starts serving; resolves with the bound port. */
  async listen(address: string): Promise<number> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const host = address.slice(0, address.lastIndexOf(":"));
    this.boundAddress = `${host}:${port}`;
    // A wildcard address is no place to send clients: the cluster view must be told the real one.
    if (!["0.0.0.0", "[::]", "::", ""].includes(host)) this.options.cluster.advertise?.(this.boundAddress);
    this.logger.info("metadata service listening", { address: this.boundAddress, member: this.options.cluster.selfId });
    return port;
  }

  get address(): string {
    return this.boundAddress;
  }

  /**
   * Stops taking calls and lets running ones finish for up to `graceMs`, then cuts what is left (long-lived
   * streams, such as a Raft member's peer streams on a shared server, would otherwise hold it open).
   */
  async close(graceMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    this.server.forceShutdown();
    this.forwarder.close();
  }

  /** The Raft member serving its peer API on this server, if any (it registers itself once started). */
  private memberReads(): MemberReads | undefined {
    const kv = memberKvOn(this.server);
    if (!kv) return undefined;
    if (this.member?.kv !== kv) this.member = { kv, reads: { local: kv.localReads(), sync: () => kv.sync() } };
    return this.member.reads;
  }

  // ---- the pipeline

  /** Where to send a call this member should not answer itself, or undefined to answer here. */
  private route(metadata: grpc.Metadata): string | undefined {
    const cluster = this.options.cluster;
    if (cluster.isLeader()) return undefined;
    const forwardedBy = metadata.get(FORWARDED_HEADER)[0];
    const leader = cluster.leader();
    if (forwardedBy !== undefined) {
      throw unavailable(`member ${cluster.selfId} got a call forwarded by ${String(forwardedBy)} but is not the leader: leadership is changing, retry`);
    }
    if (!leader) throw unavailable("no leader yet, retry");
    return leader.address;
  }

  private leaderMetadata(): grpc.Metadata {
    // While this member leads, the answer is its own address: kept for a second instead of asking the cluster
    // view (a whole Raft status) on every call.
    const leading = this.options.cluster.isLeader();
    const now = Date.now();
    if (leading && this.ownLeaderMetadata && this.ownLeaderMetadata.until > now) return this.ownLeaderMetadata.md.clone();
    const md = new grpc.Metadata();
    const leader = this.options.cluster.leader();
    if (leader?.address) md.set(LEADER_HEADER, leader.address);
    this.ownLeaderMetadata = leading && leader?.id === this.options.cluster.selfId ? { md: md.clone(), until: now + 1000 } : undefined;
    return md;
  }

  /** Authenticates, decodes and authorizes a call answered here. */
  private async admit(m: MethodSchema, raw: Buffer, metadata: grpc.Metadata): Promise<{ request: Record<string, unknown>; ctx: CallContext }> {
    const admitted = await this.callers.authenticate(m.path, metadata.getMap(), raw);
    const caller = admitted.caller;
    let request: Record<string, unknown>;
    try {
      request = decodeMessage(m.requestType, raw);
    } catch (err) {
      throw invalidArgument(`request message for ${m.service}/${m.name} does not parse as ${m.requestType.name}: ${(err as Error).message}`, err);
    }
    const need = requiredPermission(m.path, request, caller.user.id);
    if (!need) throw new TarnError("INTERNAL", `no permission rule for ${m.path}`);
    if (need.kind === "gateway") {
      if (admitted.gateway === undefined) {
        const who = admitted.via !== undefined ? `gateway '${admitted.via}' acting for user ${caller.user.id}` : `user ${caller.user.id}`;
        throw new TarnError("PERMISSION_DENIED", `${m.path} is callable only by a gateway signing for itself, not by ${who}`);
      }
    } else if (admitted.gateway !== undefined) {
      throw new TarnError("PERMISSION_DENIED", `gateway '${admitted.gateway}' may call ${m.path} only on behalf of a user (${PEER_ON_BEHALF_OF})`);
    }
    if (need.kind === "permission") requirePermission(caller.user, need.action, need.resource);
    return { request, ctx: { caller, method: m.path } };
  }

  private handler(m: MethodSchema): Handler {
    const h = this.handlers[m.service]?.[m.name];
    if (!h) throw new TarnError("INTERNAL", `${m.path} has no implementation`);
    return h;
  }

  private done(m: MethodSchema, started: bigint, status: StatusError | undefined, caller?: string): void {
    const code = status ? statusName(status.code) : "OK";
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.observe(m.name, code, seconds);
    const fields = { method: m.path, code, ms: Math.round(seconds * 1e4) / 10, caller };
    if (!status) this.logger.debug("call", fields);
    else if (status.code === grpc.status.INTERNAL || status.code === grpc.status.DATA_LOSS) this.logger.error("call failed", { ...fields, error: status.details });
    else this.logger.info("call refused", { ...fields, error: status.details });
  }

  private failure(err: unknown): StatusError {
    if (isServiceError(err)) {
      // A forwarded refusal: keep the leader's trailers (merge conflicts), with the leader header once.
      const metadata = err.metadata?.clone() ?? new grpc.Metadata();
      metadata.remove(LEADER_HEADER);
      metadata.merge(this.leaderMetadata());
      return { code: err.code, details: err.details, metadata };
    }
    const status = toStatus(err);
    const metadata = this.leaderMetadata();
    if (status.metadata) metadata.merge(status.metadata);
    return { ...status, metadata };
  }

  private unaryCall(m: MethodSchema) {
    return (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const started = process.hrtime.bigint();
      let caller: string | undefined;
      const run = async (): Promise<Buffer> => {
        const leader = this.route(call.metadata);
        if (leader !== undefined) {
          this.metrics.forwarded(m.name);
          return this.forwarder.unary(leader, m.path, call.request, call.metadata, call.getDeadline());
        }
        const { request, ctx } = await this.admit(m, call.request, call.metadata);
        caller = ctx.caller.user.id;
        const h = this.handler(m);
        if (h.kind !== "unary") throw new TarnError("INTERNAL", `${m.path} is registered as a stream`);
        if (!CHANGES_CREDENTIALS.has(m.name)) return encodeMessage(m.responseType, await h.run(request, ctx));
        // Users and keys change: forget cached ones before (a call racing the write) and after.
        this.callers.forget();
        try {
          return encodeMessage(m.responseType, await h.run(request, ctx));
        } finally {
          this.callers.forget();
        }
      };
      run().then(
        (reply) => {
          call.sendMetadata(this.leaderMetadata());
          this.done(m, started, undefined, caller);
          callback(null, reply);
        },
        (err: unknown) => {
          const status = this.failure(err);
          this.done(m, started, status, caller);
          callback(status);
        },
      );
    };
  }

  private streamingCall(m: MethodSchema) {
    return (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const started = process.hrtime.bigint();
      let caller: string | undefined;
      let cancelled = false;
      call.on("cancelled", () => (cancelled = true));
      const write = async (chunk: Buffer) => {
        if (!call.write(chunk)) await Promise.race([once(call, "drain"), once(call, "cancelled")]);
      };
      const run = async (): Promise<void> => {
        const leader = this.route(call.metadata);
        if (leader !== undefined) {
          this.metrics.forwarded(m.name);
          const upstream = this.forwarder.stream(leader, m.path, call.request, call.metadata, call.getDeadline());
          call.on("cancelled", () => upstream.cancel());
          call.sendMetadata(this.leaderMetadata());
          for await (const chunk of upstream as AsyncIterable<Buffer>) {
            if (cancelled) return;
            await write(chunk);
          }
          return;
        }
        const { request, ctx } = await this.admit(m, call.request, call.metadata);
        caller = ctx.caller.user.id;
        const h = this.handler(m);
        if (h.kind !== "stream") throw new TarnError("INTERNAL", `${m.path} is registered as unary`);
        let first = true;
        for await (const message of h.run(request, ctx)) {
          if (cancelled) return;
          if (first) call.sendMetadata(this.leaderMetadata());
          first = false;
          await write(encodeMessage(m.responseType, message));
        }
      };
      run().then(
        () => {
          this.done(m, started, undefined, caller);
          call.end();
        },
        (err: unknown) => {
          const status = this.failure(err);
          this.done(m, started, status, caller);
          call.emit("error", status);
        },
      );
    };
  }
}

/** AuthService calls after which cached callers may be stale. */
const CHANGES_CREDENTIALS = new Set(["CreateUser", "DeleteUser", "PutUserPolicy", "DeleteAccessKey"]);

const PEER_ON_BEHALF_OF = "x-tarn-peer-on-behalf-of";

function isServiceError(err: unknown): err is grpc.ServiceError {
  return typeof err === "object" && err !== null && typeof (err as grpc.ServiceError).code === "number" && "details" in err && !(err instanceof TarnError);
}
