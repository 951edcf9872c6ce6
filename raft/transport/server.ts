// The receiving half of the transport: the RaftPeer service handlers. Every call is authenticated first
// (auth.ts); a refused call, a malformed or oversized batch, or a message that claims another sender or
// recipient is logged and ends the call with a gRPC error — the node itself never sees it and never crashes.
import { Metadata, sendUnaryData, ServerReadableStream, ServerUnaryCall, ServerWritableStream, status, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "../node/logger";
import type { Message, NodeId } from "../types";
import { verifyPeerCall } from "./auth";
import { decodeMessageBatch, wireNumber } from "./codec";
import { TransportError } from "./errors";

export interface PeerHandlers {
  /** A batch of validated messages from `from`, all addressed to this member. */
  onMessages(from: NodeId, messages: Message[]): void;
  /** A proposal forwarded by a follower; resolves with the state machine's result once applied. */
  onPropose?(from: NodeId, data: Uint8Array): Promise<Uint8Array>;
  /** The bytes of a snapshot this member made (the local-only fallback). */
  readSnapshot?(index: number, reference: string): Promise<Uint8Array>;
}

export interface PeerServerOptions {
  self: NodeId;
  cluster: string;
  secret: string;
  isMember(id: NodeId): boolean;
  maxMessageBytes: number;
  snapshotChunkBytes: number;
  logger: Logger;
}

const STATUS_BY_NAME: Record<string, status | undefined> = {
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  INTERNAL: status.INTERNAL,
};

type Refusal = { code: status; details: string; metadata?: Metadata };

export function peerServiceImplementation(opts: PeerServerOptions, handlers: PeerHandlers): UntypedServiceImplementation {
  const authenticate = (md: Metadata, peer: string, method: string): string | Refusal => {
    const check = verifyPeerCall(md, opts.secret, opts.cluster, opts.self, opts.isMember);
    if (check.ok) return check.from;
    opts.logger.warn(`refused ${method} from ${peer}: ${check.reason}`);
    return { code: check.code, details: check.reason };
  };

  const send = (call: ServerReadableStream<Buffer, object>, callback: sendUnaryData<object>) => {
    const from = authenticate(call.metadata, call.getPeer(), "Send");
    if (typeof from !== "string") return callback(from);
    let done = false;
    const reject = (code: status, details: string) => {
      if (done) return;
      done = true;
      opts.logger.warn(`rejected a message batch from ${from}: ${details}`);
      callback({ code, details });
    };
    call.on("data", (buf: Buffer) => {
      if (done) return;
      if (buf.length > opts.maxMessageBytes) return reject(status.RESOURCE_EXHAUSTED, `batch of ${buf.length} bytes exceeds the limit of ${opts.maxMessageBytes}`);
      let messages: Message[];
      try {
        messages = decodeMessageBatch(buf);
      } catch (err) {
        return reject(status.INVALID_ARGUMENT, (err as Error).message);
      }
      for (const m of messages) {
        if (m.from !== from) return reject(status.PERMISSION_DENIED, `message claims to come from '${m.from}' on a stream authenticated as '${from}'`);
        if (m.to !== opts.self) return reject(status.INVALID_ARGUMENT, `message for '${m.to}' reached '${opts.self}'`);
      }
      try {
        handlers.onMessages(from, messages);
      } catch (err) {
        opts.logger.error(`handling messages from ${from} failed: ${(err as Error).message}`);
      }
    });
    call.on("end", () => {
      if (!done) {
        done = true;
        callback(null, {});
      }
    });
    call.on("error", () => {
      done = true; // the caller went away; it reconnects on its own
    });
  };

  const propose = (call: ServerUnaryCall<{ data: Uint8Array }, { result: Uint8Array }>, callback: sendUnaryData<{ result: Uint8Array }>) => {
    const from = authenticate(call.metadata, call.getPeer(), "Propose");
    if (typeof from !== "string") return callback(from);
    if (!handlers.onPropose) return callback({ code: status.UNIMPLEMENTED, details: "this member takes no forwarded proposals" });
    handlers.onPropose(from, call.request.data ?? new Uint8Array(0)).then(
      (result) => callback(null, { result }),
      (err: unknown) => {
        const metadata = new Metadata();
        const leader = (err as { leaderAddress?: string }).leaderAddress;
        if (leader) metadata.set("x-tarn-leader", leader);
        const named = STATUS_BY_NAME[(err as { code?: string }).code ?? ""];
        const code = err instanceof TransportError ? err.grpcCode : ((err as { grpcCode?: status }).grpcCode ?? named ?? status.UNAVAILABLE);
        callback({ code, details: (err as Error).message, metadata });
      },
    );
  };

  // A server stream ends with a status only through an "error" event (grpc-js sends it as the trailers);
  // destroy() would drop the call without one and leave the fetching member waiting.
  const fail = (call: ServerWritableStream<unknown, object>, code: status, details: string) => {
    call.emit("error", Object.assign(new Error(details), { code, details }));
  };

  const fetchSnapshot = async (call: ServerWritableStream<{ index: unknown; reference: string }, object>) => {
    const from = authenticate(call.metadata, call.getPeer(), "FetchSnapshot");
    if (typeof from !== "string") return fail(call, from.code, from.details);
    if (!handlers.readSnapshot) return fail(call, status.UNIMPLEMENTED, "this member serves no snapshots");
    try {
      const index = wireNumber(call.request.index as number, "snapshot index");
      const bytes = await handlers.readSnapshot(index, call.request.reference ?? "");
      for (let offset = 0; offset < bytes.length || offset === 0; offset += opts.snapshotChunkBytes) {
        const data = bytes.subarray(offset, offset + opts.snapshotChunkBytes);
        if (!call.write({ offset, data, totalBytes: bytes.length })) await new Promise((r) => call.once("drain", r));
        if (bytes.length === 0) break;
      }
      call.end();
    } catch (err) {
      opts.logger.warn(`snapshot fetch by ${from} failed: ${(err as Error).message}`);
      if (!call.cancelled) fail(call, status.UNAVAILABLE, `snapshot ${String(call.request.index)} (${call.request.reference}): ${(err as Error).message}`);
    }
  };

  return { Send: send, Propose: propose, FetchSnapshot: fetchSnapshot };
}
