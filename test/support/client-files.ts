// Local files for the S3 client runs (test/gateway, test/gateway-cluster): writing a tree of random files and
// hashing them back (SHA-256 per path, per file, per stream).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** SHA-256 of a file, streamed (the 100 MB one is not read whole). */
export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** SHA-256 of a byte stream (a GetObject body). */
export async function sha256Stream(body: AsyncIterable<Uint8Array>): Promise<{ sha: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const chunk of body) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha: h.digest("hex"), size };
}

/** Relative path -> SHA-256 of every file under `root`. */
export function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), sha256(fs.readFileSync(p)));
    }
  };
  walk(root);
  return out;
}

export function writeTree(root: string, files: Record<string, Buffer>): void {
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), data);
  }
}
