// A bounded cache of commit records. Commits are immutable and content-addressed, so a cached record never goes
// stale; only deleting a repository removes them, and the ref manager forgets that repository's entries then.
// Log walks and merge-base searches read the same ancestry again and again: this keeps them off the store.
import type { CommitId, RepositoryId } from "../ids";
import type { Commit } from "./records";

export class CommitCache {
  private readonly entries = new Map<string, Commit>();

  constructor(private readonly capacity = 50_000) {}

  private static key(repo: RepositoryId, id: CommitId): string {
    return `${repo}\0${id}`;
  }

  get(repo: RepositoryId, id: CommitId): Commit | undefined {
    const k = CommitCache.key(repo, id);
    const c = this.entries.get(k);
    if (c) {
      // Least recently used goes first: re-inserting moves the entry to the end of the Map's order.
      this.entries.delete(k);
      this.entries.set(k, c);
    }
    return c;
  }

  /** Stores a commit, frozen: every caller shares the one object. */
  add(repo: RepositoryId, commit: Commit): Commit {
    Object.freeze(commit.parents);
    Object.freeze(commit.metadata);
    Object.freeze(commit);
    this.entries.set(CommitCache.key(repo, commit.id), commit);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return commit;
  }

  forgetRepository(repo: RepositoryId): void {
    const prefix = `${repo}\0`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
