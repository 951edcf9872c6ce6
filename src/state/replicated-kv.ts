// The graveler key-value interface over the Raft log. A write is a proposal (any member takes it: the
// runtime forwards a follower's proposal to the leader) whose command carries the batch with its
// preconditions; the proposer gets the apply result back. Reads are linearizable by default (ReadIndex:
// wait until this member has applied everything committed before the read, then read the local database);
// `localReads()` gives a view that reads the local database as it is, for callers that accept stale data.
import type { RaftNode } from "../../raft/node";
import { ProposalLostError } from "../../raft/node";
import { failedPrecondition, invalidArgument, TarnError } from "../errors";
import type { KvBatch, KvRecord, KvScanOptions, KvStore } from "../graveler/kv/types";
import { decodeResult, encodeCommand, ResultStatus } from "./command";
import type { TarnStateMachine } from "./machine";
import { fromRaftError } from "./raft-errors";
import { ReadBarrier } from "./read-barrier";

/** Largest encoded command (the peer transport carries up to 16 MiB per batch). */
export const MAX_COMMAND_BYTES = 4 * 1024 * 1024;
/** A lost proposal was definitely not applied: retried this many times before giving up. */
const LOST_RETRIES = 3;

export type ReadMode = "linearizable" | "local";

export class ReplicatedKv implements KvStore {
  constructor(
    private readonly raft: RaftNode,
    private readonly sm: TarnStateMachine,
    readonly readMode: ReadMode = "linearizable",
    private readonly reads: ReadBarrier = new ReadBarrier(() => raft.readIndex()),
  ) {}

  /** The same store, reading this member's database without ReadIndex (may lag the leader). */
  localReads(): ReplicatedKv {
    return new ReplicatedKv(this.raft, this.sm, "local", this.reads);
  }

  /** Resolves once this member has applied everything committed before the call (a no-op for local reads). */
  sync(): Promise<void> {
    return this.barrier("read");
  }

  async get(key: Buffer): Promise<KvRecord | undefined> {
    if (!Buffer.isBuffer(key)) throw invalidArgument("key-value get: the key must be a Buffer");
    await this.barrier("read");
    return this.sm.get(key);
  }

  async scan(options: KvScanOptions): Promise<KvRecord[]> {
    await this.barrier("scan");
    return this.sm.scan(options);
  }

  /** Proposes the batch; resolves once applied, rejects FAILED_PRECONDITION naming the key that failed. */
  async write(batch: KvBatch): Promise<void> {
    checkBatch(batch);
    if (batch.mutations.length === 0 && (batch.preconditions ?? []).length === 0) return;
    const command = encodeCommand(batch);
    if (command.length > MAX_COMMAND_BYTES) throw invalidArgument(`key-value write: the batch encodes to ${command.length} bytes, above the limit of ${MAX_COMMAND_BYTES}`);
    const result = decodeResult(await this.propose(command));
    if (result.status === ResultStatus.PreconditionFailed) throw failedPrecondition(result.message);
    if (result.status === ResultStatus.Rejected) throw invalidArgument(result.message);
  }

  /** Views share the member: closing one closes nothing (the StateNode owns the database and Raft). */
  async close(): Promise<void> {}

  private async propose(command: Uint8Array): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.raft.propose(command);
      } catch (err) {
        if (err instanceof ProposalLostError && attempt < LOST_RETRIES) continue;
        throw fromRaftError(err, "key-value write");
      }
    }
  }

  private async barrier(what: string): Promise<void> {
    if (this.readMode === "local") return;
    try {
      await this.reads.wait();
    } catch (err) {
      throw fromRaftError(err, `linearizable ${what}`);
    }
  }
}

function checkBatch(batch: KvBatch): void {
  if (!batch || !Array.isArray(batch.mutations)) throw invalidArgument("key-value write: a batch needs a mutations array");
  for (const [i, p] of (batch.preconditions ?? []).entries()) {
    if (!Buffer.isBuffer(p?.key)) throw invalidArgument(`key-value write: precondition ${i} has no Buffer key`);
    const ok = ("absent" in p && p.absent === true) || ("equals" in p && Buffer.isBuffer(p.equals)) || ("version" in p && Number.isSafeInteger(p.version) && p.version >= 0);
    if (!ok) throw invalidArgument(`key-value write: precondition ${i} must be absent, equals (a Buffer) or version (a non-negative integer)`);
  }
  for (const [i, m] of batch.mutations.entries()) {
    if (!Buffer.isBuffer(m?.key)) throw invalidArgument(`key-value write: mutation ${i} has no Buffer key`);
    if (m.op === "put" && !Buffer.isBuffer(m.value)) throw invalidArgument(`key-value write: mutation ${i} (put) has no Buffer value`);
    if (m.op !== "put" && m.op !== "delete") throw new TarnError("INVALID_ARGUMENT", `key-value write: mutation ${i} has unknown op ${JSON.stringify((m as { op: unknown }).op)}`);
  }
}
