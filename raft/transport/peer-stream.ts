// The sending half of the transport for one peer: a long-lived client stream of message batches. Messages
// queue while a write is in flight and leave together in the next batch (bounded by size). When the stream
// fails, queued messages are dropped (Raft retransmits), the peer is reported unreachable, and the stream is
// reopened on the next send after a backoff that doubles up to a second.
import { Client, ClientWritableStream } from "@grpc/grpc-js";
import type { Logger } from "../node/logger";
import type { Message, NodeId } from "../types";
import { signPeerCall } from "./auth";
import { encodeMessageBatch, estimateMessageBytes, sendAckCodec } from "./codec";
import { PATHS } from "./service";

export interface PeerStreamOptions {
  self: NodeId;
  peer: NodeId;
  cluster: string;
  secret: string;
  maxBatchBytes: number;
  /** Messages beyond this many waiting for the stream are dropped and the peer reported unreachable. */
  maxQueued: number;
  logger: Logger;
  onUnreachable(peer: NodeId): void;
}

const INITIAL_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

export class PeerStream {
  private queue: Message[] = [];
  private call?: ClientWritableStream<Message[]>;
  private openedAt = 0;
  private draining = false;
  private flushScheduled = false;
  private retryAt = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly opts: PeerStreamOptions,
  ) {}

  /** True while the peer is in backoff after a failure. */
  isDown(): boolean {
    return Date.now() < this.retryAt;
  }

  send(m: Message): boolean {
    if (this.closed) return false;
    if (this.isDown() || this.queue.length >= this.opts.maxQueued) {
      this.opts.onUnreachable(this.opts.peer);
      return false;
    }
    this.queue.push(m);
    if (!this.flushScheduled && !this.draining) {
      this.flushScheduled = true;
      // Coalesce everything sent in this turn of the event loop into one batch.
      setImmediate(() => {
        if (!this.flushScheduled) return; // flushed already by flushNow()
        this.flushScheduled = false;
        this.flush();
      });
    }
    return true;
  }

  /** Hands everything queued to the stream now, instead of at the end of this turn of the event loop. */
  flushNow(): void {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    this.flush();
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.call?.end();
    this.call = undefined;
  }

  private flush(): void {
    if (this.closed || this.draining || this.queue.length === 0) return;
    const call = this.call ?? this.open();
    while (this.queue.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || bytes + estimateMessageBytes(this.queue[n]) <= this.opts.maxBatchBytes)) {
        bytes += estimateMessageBytes(this.queue[n]);
        n++;
      }
      const batch = this.queue.splice(0, n);
      if (!call.write(batch)) {
        this.draining = true;
        call.once("drain", () => {
          this.draining = false;
          this.flush();
        });
        return;
      }
    }
  }

  private open(): ClientWritableStream<Message[]> {
    const md = signPeerCall(this.opts.secret, this.opts.cluster, this.opts.self, this.opts.peer);
    const call = this.client.makeClientStreamRequest<Message[], object>(
      PATHS.send,
      encodeMessageBatch,
      sendAckCodec.decode,
      md,
      {},
      (err) => {
        if (this.call === call) this.call = undefined;
        if (err && !this.closed) this.fail(err);
      },
    );
    this.call = call;
    this.openedAt = Date.now();
    return call;
  }

  private fail(err: Error): void {
    if (Date.now() - this.openedAt > 2 * MAX_BACKOFF_MS) this.backoffMs = INITIAL_BACKOFF_MS;
    this.retryAt = Date.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.queue = [];
    this.draining = false;
    this.opts.logger.debug(`stream to ${this.opts.peer} failed: ${err.message}`);
    this.opts.onUnreachable(this.opts.peer);
  }
}
