// Commit IDs: hex SHA-256 over a typed encoding of the commit's content, so that the same commit made twice
// has the same ID and nothing about it can change without changing the ID. Each field is written as a type tag,
// a length and the bytes; maps are sorted by key; lists keep their order (parent order matters).
import { createHash, Hash } from "node:crypto";
import type { CommitId } from "../ids";
import type { Commit } from "./records";

function field(h: Hash, tag: string, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(bytes.length));
  h.update(tag).update(len).update(bytes);
}

export function computeCommitId(commit: Omit<Commit, "id" | "generation">): CommitId {
  const h = createHash("sha256");
  field(h, "s:committer", commit.committer);
  field(h, "s:message", commit.message);
  field(h, "s:metarange", commit.metaRangeId);
  field(h, "i:creation", String(commit.creationDate));
  const meta = Object.keys(commit.metadata).sort();
  field(h, "m:metadata", String(meta.length));
  for (const key of meta) {
    field(h, "s:key", key);
    field(h, "s:value", commit.metadata[key]);
  }
  field(h, "l:parents", String(commit.parents.length));
  for (const p of commit.parents) field(h, "s:parent", p);
  return h.digest("hex") as CommitId;
}
