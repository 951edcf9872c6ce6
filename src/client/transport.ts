// How the SDK reaches the metadata cluster: a list of members, the leader cached from `x-tarn-leader`,
// every call signed over the exact bytes sent, and UNAVAILABLE retried with backoff on the next member.
// Unary calls go over plain HTTP/2 connections (http2-unary.ts); server streams over grpc-js.
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http2";
import { signPeerRequest, signRequest } from "../auth";
import { invalidArgument } from "../errors";
import { LEADER_HEADER } from "../metadata/proto";
import { backoffDelay, DEFAULT_RETRY, RetryPolicy, sleep } from "./backoff";
import { ApiError, apiError } from "./errors";
import { UnaryChannel } from "./http2-unary";

export interface TransportOptions {
  /** Members as HOST:PORT; the leader is found among them (or told by them). */
  endpoints: string[];
  /** A user's access key, or `gateway` below. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Sign as a gateway (src/auth/peer.ts): `key` from gatewayKeyFrom(cluster secret or gateway token). */
  gateway?: { key: Buffer; id: string };
  retry?: Partial<RetryPolicy>;
  /** Per attempt; default 60 s. */
  deadlineMs?: number;
  /** Largest message sent or received; default 4 MiB, the server's default too. */
  maxMessageBytes?: number;
  random?: () => number;
}

const identity = (b: Buffer) => b;

/**
 * Nonces: a random prefix per transport and a counter, unique per signer within the replay window without
 * drawing random bytes on every call.
 */
function nonceSource(): () => string {
  const prefix = randomBytes(12).toString("base64url");
  let counter = 0;
  return () => prefix + (++counter).toString(36);
}

export class Transport {
  private readonly endpoints: string[];
  /** grpc-js channels, for server-streaming calls. */
  private readonly clients = new Map<string, grpc.Client>();
  /** Plain HTTP/2 connections, for unary calls (http2-unary.ts). */
  private readonly channels = new Map<string, UnaryChannel>();
  private readonly retry: RetryPolicy;
  private next = 0;
  private readonly nonce = nonceSource();
  /** The leader as last reported by a member; calls go straight there while it answers. */
  leader: string | undefined;

  constructor(private readonly options: TransportOptions) {
    if (options.endpoints.length === 0) throw invalidArgument("no metadata endpoints given: set TARN_ENDPOINT (HOST:PORT, comma-separated for a cluster)");
    if (!options.gateway && (!options.accessKeyId || options.secretAccessKey === undefined)) {
      throw invalidArgument("no credentials for the metadata service: give an access key id and secret, or a gateway key");
    }
    this.endpoints = [...options.endpoints];
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  private client(address: string): grpc.Client {
    let c = this.clients.get(address);
    if (!c) {
      const max = this.options.maxMessageBytes ?? 4 * 1024 * 1024;
      // channelz off: its per-call bookkeeping costs CPU on every call and nothing here reads it.
      c = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": max, "grpc.max_send_message_length": max, "grpc.enable_channelz": 0 });
      this.clients.set(address, c);
    }
    return c;
  }

  /** Where the next attempt goes: the cached leader, else the members in turn. */
  target(): string {
    return this.leader ?? this.endpoints[this.next % this.endpoints.length];
  }

  private learn(md: grpc.Metadata | undefined): void {
    const leader = md?.get(LEADER_HEADER)[0];
    if (typeof leader === "string" && leader !== "") this.leader = leader;
  }

  private readonly learnHeaders = (headers: IncomingHttpHeaders): void => {
    const leader = headers[LEADER_HEADER];
    if (typeof leader === "string" && leader !== "") this.leader = leader;
  };

  private unavailableAt(address: string): void {
    if (this.leader === address) this.leader = undefined;
    else this.next++;
  }

  /** True when calls are signed with a gateway key (and may act on behalf of users). */
  get isGateway(): boolean {
    return this.options.gateway !== undefined;
  }

  private signature(path: string, body: Buffer, onBehalfOf: string | undefined): Record<string, string> {
    const gw = this.options.gateway;
    return gw
      ? signPeerRequest({ role: "gateway", key: gw.key, peerId: gw.id, method: path, body, onBehalfOf, nonce: this.nonce() })
      : signRequest({ method: path, accessKeyId: this.options.accessKeyId!, secretAccessKey: this.options.secretAccessKey!, body, nonce: this.nonce() });
  }

  private signed(path: string, body: Buffer, onBehalfOf: string | undefined): grpc.Metadata {
    const md = new grpc.Metadata();
    const headers = this.signature(path, body, onBehalfOf);
    for (const k in headers) md.set(k, headers[k]);
    return md;
  }

  private channel(address: string): UnaryChannel {
    let c = this.channels.get(address);
    if (!c) {
      c = new UnaryChannel(address, this.options.maxMessageBytes ?? 4 * 1024 * 1024);
      this.channels.set(address, c);
    }
    return c;
  }

  private deadline(): Date {
    return new Date(Date.now() + (this.options.deadlineMs ?? 60_000));
  }

  private async backoff(attempt: number): Promise<void> {
    await sleep(backoffDelay(attempt, this.retry, this.options.random));
  }

  /** One unary call, retried on UNAVAILABLE. `body` is the serialized request message. */
  async unary(path: string, body: Buffer, onBehalfOf?: string): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      const address = this.target();
      try {
        return await this.channel(address).call(path, body, this.signature(path, body, onBehalfOf), this.options.deadlineMs ?? 60_000, this.learnHeaders);
      } catch (err) {
        if (err instanceof ApiError) this.learn(err.trailers);
        if (!(err instanceof ApiError) || err.status !== grpc.status.UNAVAILABLE || attempt >= this.retry.attempts) throw err;
        this.unavailableAt(address);
        await this.backoff(attempt);
      }
    }
  }

  /** A server-streaming call; retried on UNAVAILABLE only until the first message arrives. */
  async *stream(path: string, body: Buffer, onBehalfOf?: string): AsyncGenerator<Buffer> {
    for (let attempt = 1; ; attempt++) {
      const address = this.target();
      const call = this.client(address).makeServerStreamRequest(path, identity, identity, body, this.signed(path, body, onBehalfOf), { deadline: this.deadline() });
      call.on("metadata", (md) => this.learn(md));
      call.on("status", (s: grpc.StatusObject) => this.learn(s.metadata));
      let received = false;
      try {
        for await (const chunk of call as AsyncIterable<Buffer>) {
          received = true;
          yield chunk;
        }
        return;
      } catch (raw) {
        const err = apiError(raw, address);
        if (received || err.status !== grpc.status.UNAVAILABLE || attempt >= this.retry.attempts) throw err;
        this.unavailableAt(address);
        await this.backoff(attempt);
      } finally {
        call.cancel();
      }
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }
}
