// Where a local store keeps what. Pure: maps keys to paths under the root and refuses keys that could
// leave it. Objects are plain files at ROOT/<key> (so the tree is readable with ls and cat); everything
// else lives under one reserved directory that no key may name:
//
//   ROOT/.tarn-local/tmp/<random>                 bytes being written, renamed into place when complete
//   ROOT/.tarn-local/meta/<key>.json              sidecar: etag, content type, user metadata
//   ROOT/.tarn-local/uploads/<upload id>/...      multipart uploads in progress
import * as path from "node:path";
import { invalidArgument } from "../errors";

export const RESERVED_DIR = ".tarn-local";
/** A file name is at most 255 bytes on Linux filesystems; the sidecar adds ".json". */
const MAX_SEGMENT_BYTES = 250;

/**
 * Refuses keys a directory tree cannot hold faithfully or that would escape the root: absolute paths,
 * `.`/`..` segments, empty segments (`a//b`, a trailing `/`), backslashes (a path separator elsewhere and
 * an escape trick everywhere), and the reserved directory. The generic checks (NUL, length) ran before.
 */
export function checkLocalKey(storeUri: string, key: string): void {
  const refuse = (why: string) => invalidArgument(`${storeUri}: key ${JSON.stringify(key)} is refused: ${why}`);
  if (key.startsWith("/") || path.isAbsolute(key)) throw refuse("absolute paths would escape the store root");
  if (key.includes("\\")) throw refuse("backslashes are not allowed in local keys");
  const segments = key.split("/");
  for (const segment of segments) {
    if (segment === "..") throw refuse("'..' segments would escape the store root");
    if (segment === ".") throw refuse("'.' segments are not allowed");
    if (segment === "") throw refuse("empty path segments (leading, trailing or doubled '/') are not allowed");
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw refuse(`a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segments[0] === RESERVED_DIR) throw refuse(`'${RESERVED_DIR}/' is reserved for the store's own files`);
}

export class LocalLayout {
  readonly internal: string;
  readonly tmpDir: string;
  readonly metaDir: string;
  readonly uploadsDir: string;

  constructor(readonly root: string) {
    this.internal = path.join(root, RESERVED_DIR);
    this.tmpDir = path.join(this.internal, "tmp");
    this.metaDir = path.join(this.internal, "meta");
    this.uploadsDir = path.join(this.internal, "uploads");
  }

  /** The data file of a key already checked by `checkLocalKey`; the assertion is a second line of defence. */
  objectPath(key: string): string {
    return this.inside(this.root, path.join(this.root, ...key.split("/")));
  }

  sidecarPath(key: string): string {
    return this.inside(this.metaDir, path.join(this.metaDir, ...key.split("/")) + ".json");
  }

  uploadDir(uploadId: string): string {
    return this.inside(this.uploadsDir, path.join(this.uploadsDir, uploadId));
  }

  private inside(base: string, p: string): string {
    if (!p.startsWith(base + path.sep)) throw new Error(`internal: ${p} is outside ${base}`);
    return p;
  }
}
