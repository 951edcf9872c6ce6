// A BlockHandle points at a block: varint64 offset, varint64 size (without the 5-byte trailer).
import { putUvarint, uvarintLength, Decoder } from "./coding";
import { BLOCK_TRAILER_SIZE } from "./format";

export interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

export const handleLength = (h: BlockHandle): number => uvarintLength(h.offset) + uvarintLength(h.size);

export function putHandle(buf: Uint8Array, pos: number, h: BlockHandle): number {
  return putUvarint(buf, putUvarint(buf, pos, h.offset), h.size);
}

export function encodeHandle(h: BlockHandle): Buffer {
  const b = Buffer.allocUnsafe(handleLength(h));
  putHandle(b, 0, h);
  return b;
}

export function decodeHandle(d: Decoder): BlockHandle {
  const offset = d.uvarint();
  const size = d.uvarint();
  return { offset, size };
}

/** True when the block and its trailer lie inside [0, limit). */
export const handleWithin = (h: BlockHandle, limit: number): boolean => h.offset + h.size + BLOCK_TRAILER_SIZE <= limit;

export const formatHandle = (h: BlockHandle): string => `[offset ${h.offset}, size ${h.size}]`;
