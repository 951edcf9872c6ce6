// The records the ref manager keeps, and their encodings in the key-value store (JSON: small, and readable
// with any LevelDB tool while debugging).
import { CorruptionError } from "../../errors";
import type { BranchId, CommitId, MetaRangeId, RepositoryId, StagingToken } from "../ids";

export interface Repository {
  id: RepositoryId;
  storageNamespace: string;
  defaultBranch: BranchId;
  creationDate: string;
}

export interface Commit {
  id: CommitId;
  committer: string;
  message: string;
  metaRangeId: MetaRangeId;
  /** Seconds since the epoch. */
  creationDate: number;
  parents: CommitId[];
  metadata: Record<string, string>;
  /** 1 + the largest generation of the parents (1 for the initial commit). */
  generation: number;
}

export interface BranchRecord {
  commitId: CommitId;
  /** Where new writes go. */
  stagingToken: StagingToken;
  /** Tokens sealed by commits in progress or interrupted, newest first; reads see them under the token. */
  sealedTokens: StagingToken[];
}

export const encodeRecord = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), "utf8");

export function decodeRecord<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw new CorruptionError(what, "record does not parse as JSON", { cause: err });
  }
}
