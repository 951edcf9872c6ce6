// The metadata API's schema, loaded once from proto/metadata.proto with protobufjs. The server and the SDK
// both move raw bytes over grpc-js and encode/decode here, so the server can hash the exact bytes it
// received (signatures), forward them untouched (leader forwarding), and answer a message that does not
// parse with INVALID_ARGUMENT instead of grpc-js's generic INTERNAL.
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { checkWireFraming } from "./wire-check";

export const PACKAGE = "tarn.metadata.v1";

export interface MethodSchema {
  service: string;
  name: string;
  /** Full gRPC path: /tarn.metadata.v1.CommitService/Commit. */
  path: string;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
  responseStream: boolean;
}

function protoFile(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "proto", "metadata.proto");
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`proto/metadata.proto not found in any directory above ${__dirname}`);
}

let cached: { root: protobuf.Root; methods: Map<string, MethodSchema> } | undefined;

function load() {
  if (cached) return cached;
  const root = protobuf.loadSync(protoFile());
  root.resolveAll();
  const methods = new Map<string, MethodSchema>();
  const pkg = root.lookup(PACKAGE) as protobuf.Namespace;
  for (const nested of pkg.nestedArray) {
    if (!(nested instanceof protobuf.Service)) continue;
    for (const m of nested.methodsArray) {
      const schema: MethodSchema = {
        service: nested.name,
        name: m.name,
        path: `/${PACKAGE}.${nested.name}/${m.name}`,
        requestType: m.resolvedRequestType!,
        responseType: m.resolvedResponseType!,
        responseStream: Boolean(m.responseStream),
      };
      methods.set(schema.path, schema);
    }
  }
  cached = { root, methods };
  return cached;
}

/** Every RPC of the API, keyed by full path. */
export function apiMethods(): ReadonlyMap<string, MethodSchema> {
  return load().methods;
}

export function methodPath(service: string, method: string): string {
  return `/${PACKAGE}.${service}/${method}`;
}

export function messageType(name: string): protobuf.Type {
  return load().root.lookupType(`${PACKAGE}.${name}`);
}

/** Decoded messages as plain objects: camelCase fields, int64 as numbers, enums as their names, defaults filled. */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  checkWireFraming(bytes);
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

export function encodeMessage(type: protobuf.Type, value: object): Buffer {
  return Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish());
}

/** The leader's HOST:PORT, in response metadata of every answered call. */
export const LEADER_HEADER = "x-tarn-leader";
/** Set by a follower on a call it forwards, so a call is forwarded at most once. */
export const FORWARDED_HEADER = "x-tarn-forwarded-by";
/** Trailing metadata of a merge refused for conflicts: a serialized MergeConflicts. */
export const CONFLICTS_TRAILER = "x-tarn-merge-conflicts-bin";
