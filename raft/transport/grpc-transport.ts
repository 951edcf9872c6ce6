// The gRPC peer transport: one authenticated client stream per peer for Raft messages, unary proposal
// forwarding, and the chunked snapshot fallback; the RaftPeer service on this member's own or a shared server.
import { ChannelOptions, Client, credentials, Metadata, Server, ServerCredentials, ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "../node/logger";
import { stderrLogger } from "../node/logger";
import type { Message, NodeId } from "../types";
import { signPeerCall } from "./auth";
import { proposeRequestCodec, proposeResponseCodec, snapshotChunkCodec, snapshotRequestCodec, wireNumber } from "./codec";
import { TransportError } from "./errors";
import { PeerStream } from "./peer-stream";
import { PeerHandlers, peerServiceImplementation } from "./server";
import { PATHS, raftPeerServiceDefinition } from "./service";

export interface GrpcTransportOptions {
  self: NodeId;
  /** The cluster id: calls for another cluster are refused. */
  cluster: string;
  /** The shared cluster secret (TARN_CLUSTER_SECRET) keying the peer HMACs. */
  secret: string;
  /** Addresses (HOST:PORT) of the other members; an entry for `self` is ignored. */
  peers: Record<NodeId, string>;
  /** A server to add the RaftPeer service to (its owner binds and starts it); otherwise `listen` is bound. */
  server?: Server;
  listen?: string;
  /** The largest message batch accepted or sent (default 16 MiB). */
  maxMessageBytes?: number;
  logger?: Logger;
}

export interface TransportHandlers extends PeerHandlers {
  /** A peer could not be reached: its queued messages were dropped. */
  onUnreachable(peer: NodeId): void;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A leader's refusal carried back to a forwarding follower. */
export class ForwardError extends TransportError {
  constructor(
    grpcCode: status,
    message: string,
    readonly leaderAddress?: string,
  ) {
    super(grpcCode, message);
  }
}

export class GrpcTransport {
  private readonly peers = new Map<NodeId, { address: string; client: Client; stream: PeerStream }>();
  private readonly server: Server;
  private readonly ownsServer: boolean;
  private readonly logger: Logger;
  private readonly maxMessageBytes: number;
  private readonly unreachableReported = new Map<NodeId, number>();

  constructor(
    private readonly opts: GrpcTransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.logger = opts.logger ?? stderrLogger;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.ownsServer = !opts.server;
    // gRPC's own cap sits above ours so that oversized batches reach the handler, which logs who sent them.
    this.server = opts.server ?? new Server(this.serverOptions());
    this.server.addService(
      raftPeerServiceDefinition,
      peerServiceImplementation(
        {
          self: opts.self,
          cluster: opts.cluster,
          secret: opts.secret,
          isMember: (id) => this.peers.has(id),
          maxMessageBytes: this.maxMessageBytes,
          snapshotChunkBytes: 1024 * 1024,
          logger: this.logger,
        },
        handlers,
      ),
    );
    for (const [id, address] of Object.entries(opts.peers)) if (id !== opts.self) this.setPeer(id, address);
  }

  /** Binds `listen` when the transport owns its server; returns the bound port (0 for a shared server). */
  async start(): Promise<number> {
    if (!this.ownsServer) return 0;
    if (!this.opts.listen) throw new TransportError(status.INVALID_ARGUMENT, "a transport without a shared server needs a listen address");
    return new Promise((resolve, reject) => {
      this.server.bindAsync(this.opts.listen!, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** Adds or re-addresses a member. */
  setPeer(id: NodeId, address: string): void {
    const existing = this.peers.get(id);
    if (existing?.address === address || id === this.opts.self) return;
    if (existing) this.removePeer(id);
    const client = new Client(address, credentials.createInsecure(), { ...this.channelOptions(), "grpc.enable_channelz": 0 });
    const stream = new PeerStream(client, {
      self: this.opts.self,
      peer: id,
      cluster: this.opts.cluster,
      secret: this.opts.secret,
      maxBatchBytes: Math.floor(this.maxMessageBytes / 2),
      maxQueued: 8192,
      logger: this.logger,
      onUnreachable: (peer) => this.reportUnreachable(peer),
    });
    this.peers.set(id, { address, client, stream });
  }

  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.stream.close();
    peer.client.close();
  }

  peerAddress(id: NodeId): string | undefined {
    return this.peers.get(id)?.address;
  }

  /** Queues messages for their recipients; returns the ids that are known to be unreachable right now. */
  send(messages: readonly Message[]): Set<NodeId> {
    const failed = new Set<NodeId>();
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (!peer) {
        this.logger.warn(`dropping a ${m.type} message for unknown member '${m.to}'`);
        failed.add(m.to);
      } else if (!peer.stream.send(m)) {
        failed.add(m.to);
      }
    }
    return failed;
  }

  /** Writes queued messages to their streams now (before the caller blocks, e.g. on a synchronous fsync). */
  flush(): void {
    for (const peer of this.peers.values()) peer.stream.flushNow();
  }

  /** Forwards a proposal to `leader`; resolves with the state machine's result once the leader applied it. */
  propose(leader: NodeId, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const peer = this.peers.get(leader);
    if (!peer) return Promise.reject(new ForwardError(status.UNAVAILABLE, `no address for leader '${leader}'`));
    return new Promise((resolve, reject) => {
      peer.client.makeUnaryRequest(
        PATHS.propose,
        proposeRequestCodec.encode,
        proposeResponseCodec.decode,
        { data },
        this.sign(leader),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: { result: Uint8Array }) => {
          if (err) {
            const hint = err.metadata?.get("x-tarn-leader")[0];
            reject(new ForwardError(err.code, `forwarding to ${leader}: ${err.details || err.message}`, typeof hint === "string" ? hint : undefined));
          } else resolve(res?.result ?? new Uint8Array(0));
        },
      );
    });
  }

  /** Fetches a snapshot's bytes from `from` (the local-only fallback), reassembling the chunks in order. */
  fetchSnapshot(from: NodeId, index: number, reference: string, timeoutMs = 10 * 60_000): Promise<Buffer> {
    const peer = this.peers.get(from);
    if (!peer) return Promise.reject(new TransportError(status.UNAVAILABLE, `no address for member '${from}'`));
    return new Promise((resolve, reject) => {
      const call = peer.client.makeServerStreamRequest(PATHS.fetchSnapshot, snapshotRequestCodec.encode, snapshotChunkCodec.decode, { index, reference }, this.sign(from), {
        deadline: Date.now() + timeoutMs,
      });
      const chunks: Buffer[] = [];
      let received = 0;
      let total = -1;
      let failed = false;
      const abort = (err: TransportError) => {
        failed = true;
        call.cancel();
        reject(err);
      };
      call.on("data", (chunk: { offset: number; data: Uint8Array; totalBytes: number }) => {
        if (failed) return;
        let offset: number;
        try {
          offset = wireNumber(chunk.offset, "chunk offset");
          total = wireNumber(chunk.totalBytes, "snapshot size");
        } catch (err) {
          return abort(new TransportError(status.DATA_LOSS, `snapshot ${index} from ${from}: ${(err as Error).message}`));
        }
        if (offset !== received) return abort(new TransportError(status.DATA_LOSS, `snapshot ${index} from ${from}: chunk at ${offset}, expected ${received}`));
        chunks.push(Buffer.from(chunk.data));
        received += chunk.data.length;
      });
      call.on("error", (err: Error) => reject(new TransportError((err as ServiceError).code ?? status.UNAVAILABLE, `snapshot ${index} from ${from}: ${err.message}`)));
      call.on("end", () => {
        if (received !== total) reject(new TransportError(status.DATA_LOSS, `snapshot ${index} from ${from}: ${received} of ${total} bytes`));
        else resolve(Buffer.concat(chunks));
      });
    });
  }

  stop(): Promise<void> {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    if (this.ownsServer) {
      // Peer streams never end by themselves: a graceful shutdown would wait for them forever.
      this.server.forceShutdown();
    }
    return Promise.resolve();
  }

  private sign(to: NodeId): Metadata {
    return signPeerCall(this.opts.secret, this.opts.cluster, this.opts.self, to);
  }

  /** Reports a peer unreachable at most every 100 ms, so a down peer does not flood the core. */
  private reportUnreachable(peer: NodeId): void {
    const now = Date.now();
    if (now - (this.unreachableReported.get(peer) ?? 0) < 100) return;
    this.unreachableReported.set(peer, now);
    this.handlers.onUnreachable(peer);
  }

  private channelOptions(): ChannelOptions {
    return {
      "grpc.max_receive_message_length": this.maxMessageBytes * 2,
      "grpc.max_send_message_length": this.maxMessageBytes * 2,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1_000,
    };
  }

  /**
   * Channelz stays on for the server: grpc-js (1.14) tracks the sessions that forceShutdown() destroys only
   * when it is enabled, so without it a stopped member's peers would keep their streams open. Clients turn
   * it off (its per-call bookkeeping is pure overhead to us).
   */
  private serverOptions(): ChannelOptions {
    return this.channelOptions();
  }
}
