// The runtime's envelope around a proposed command inside a Normal log entry, so that the member that
// proposed it can match the applied entry to the caller waiting for it:
//
//   version u8 (=1) | proposer incarnation u32 LE | sequence u32 LE | command bytes
//
// The incarnation is random per process start, so ids from before a restart never match a new waiter.
// Empty entry data is the no-op a new leader appends; it carries no envelope.
import { randomInt } from "node:crypto";

export const ENVELOPE_BYTES = 9;
const VERSION = 1;

export interface Enveloped {
  /** incarnation * 2^32 + sequence: unique per proposal of one process. */
  id: number;
  command: Uint8Array;
}

export class ProposalIds {
  readonly incarnation = randomInt(1, 2 ** 21); // keeps id below 2^53
  private seq = 0;

  next(): number {
    this.seq = (this.seq + 1) % 2 ** 32;
    return this.incarnation * 2 ** 32 + this.seq;
  }
}

export function wrapCommand(id: number, command: Uint8Array): Uint8Array {
  const buf = Buffer.allocUnsafe(ENVELOPE_BYTES + command.length);
  buf[0] = VERSION;
  buf.writeUInt32LE(Math.floor(id / 2 ** 32), 1);
  buf.writeUInt32LE(id % 2 ** 32, 5);
  buf.set(command, ENVELOPE_BYTES);
  return buf;
}

/** Throws on data no version of this runtime wrote (the log is checksummed, so that is a bug, not a disk). */
export function unwrapCommand(data: Uint8Array): Enveloped {
  if (data.length < ENVELOPE_BYTES || data[0] !== VERSION) {
    throw new Error(`raft entry of ${data.length} bytes does not start with a version ${VERSION} proposal envelope`);
  }
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { id: view.readUInt32LE(1) * 2 ** 32 + view.readUInt32LE(5), command: data.subarray(ENVELOPE_BYTES) };
}
