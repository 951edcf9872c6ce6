// What the operation files (objects, diffs, merging, resets) share: the three managers, the key-value store and
// a few helpers. The Graveler class builds one and hands it to them; nothing here is public.
import { randomBytes } from "node:crypto";
import { invalidArgument } from "../errors";
import type { CommittedManager, Repo } from "./committed/manager";
import type { StagingToken } from "./ids";
import type { KvStore } from "./kv/types";
import { computeCommitId } from "./refs/commit-id";
import type { RefManager } from "./refs/manager";
import type { Commit, Repository } from "./refs/records";
import type { StagingManager } from "./staging/manager";

export interface Engine {
  kv: KvStore;
  refs: RefManager;
  staging: StagingManager;
  committed: CommittedManager;
  getRepository(name: string): Promise<Repository>;
  makeCommit(fields: Omit<Commit, "id" | "generation" | "creationDate">, parentGeneration: number): Commit;
  /** Deletes staging tokens no branch refers to any more, in the background. */
  dropTokens(tokens: StagingToken[]): void;
}

/** How many times a write that lost a compare-and-set to a concurrent branch update is retried. */
export const STAGE_RETRIES = 20;
/** The largest page a listing, log or diff returns: bounds the memory one call can take. */
export const MAX_PAGE = 100_000;

export function pageSize(amount: number | undefined, fallback: number): number {
  const n = amount ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw invalidArgument(`invalid amount ${n}: must be an integer from 1 to ${MAX_PAGE}`);
  return n;
}

/** Random bytes drawn in bulk for staging tokens: one randomBytes call per 256 tokens instead of one per token. */
const TOKEN_BYTES = 16;
let tokenPool = Buffer.alloc(0);
let tokenAt = 0;

/**
 * A fresh staging token: 16 random bytes in hex. Every branch creation, commit and reset takes one, and a
 * randomBytes call of its own costs several microseconds of CPU (a slice of a 4 KiB draw: a fraction of one).
 */
export function newToken(): StagingToken {
  if (tokenAt + TOKEN_BYTES > tokenPool.length) {
    tokenPool = randomBytes(TOKEN_BYTES * 256);
    tokenAt = 0;
  }
  const token = tokenPool.toString("hex", tokenAt, tokenAt + TOKEN_BYTES);
  tokenAt += TOKEN_BYTES;
  return token as StagingToken;
}

export const repoOf = (r: Repository): Repo => ({ name: r.id, storageNamespace: r.storageNamespace });

export function makeCommit(now: () => Date, fields: Omit<Commit, "id" | "generation" | "creationDate">, parentGeneration: number): Commit {
  const creationDate = Math.floor(now().getTime() / 1000);
  const content = { ...fields, creationDate };
  return { ...content, id: computeCommitId(content), generation: parentGeneration + 1 };
}
