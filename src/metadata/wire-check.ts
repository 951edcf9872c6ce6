// A strict walk over a message's top-level wire framing, before protobufjs decodes it: protobufjs reads a
// length-delimited string past a truncated end without complaint, so a cut-off request could decode as a
// shorter, different one. Pure; throws an Error naming the first fault and its byte offset.
import { Reader } from "protobufjs/minimal";

export function checkWireFraming(bytes: Uint8Array): void {
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const at = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new Error(`field number 0 at byte ${at}`);
    switch (wire) {
      case 0:
        r.skipType(0);
        break;
      case 1:
        if (r.pos + 8 > r.len) throw new Error(`field ${field} at byte ${at}: 8-byte value runs past the end`);
        r.skip(8);
        break;
      case 2: {
        const length = r.uint32();
        if (r.pos + length > r.len) throw new Error(`field ${field} at byte ${at}: ${length} bytes declared, ${r.len - r.pos} left`);
        r.skip(length);
        break;
      }
      case 5:
        if (r.pos + 4 > r.len) throw new Error(`field ${field} at byte ${at}: 4-byte value runs past the end`);
        r.skip(4);
        break;
      default:
        throw new Error(`field ${field} at byte ${at}: wire type ${wire} is not valid in proto3`);
    }
  }
}
