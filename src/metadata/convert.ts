// Pure conversions between the engine's and auth's records and the API's messages.
import type { Policy as AuthPolicy, UserRecord } from "../auth";
import { invalidArgument } from "../errors";
import type { Commit as GCommit, DiffEntry, Entry, Repository as GRepository } from "../graveler";
import type { ChangeType, Commit, Difference, ObjectStats, Pagination, Policy, Repository, User } from "./messages";

export const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export function repositoryMessage(r: GRepository): Repository {
  return { id: r.id, storageNamespace: r.storageNamespace, defaultBranch: r.defaultBranch, creationDate: seconds(new Date(r.creationDate)) };
}

export function commitMessage(c: GCommit): Commit {
  return {
    id: c.id,
    parents: [...c.parents],
    committer: c.committer,
    message: c.message,
    creationDate: c.creationDate,
    metaRangeId: c.metaRangeId,
    metadata: { ...c.metadata },
    generation: c.generation,
  };
}

export function objectStats(path: string, e: Entry): ObjectStats {
  return {
    path,
    pathType: "PATH_TYPE_OBJECT",
    physicalAddress: e.physicalAddress,
    addressType: e.addressType === "full" ? "ADDRESS_TYPE_FULL" : "ADDRESS_TYPE_RELATIVE",
    checksum: e.etag,
    sizeBytes: e.size,
    mtime: seconds(e.lastModified),
    contentType: e.contentType ?? "",
    userMetadata: { ...(e.metadata ?? {}) },
  };
}

export function commonPrefixStats(path: string): ObjectStats {
  return { path, pathType: "PATH_TYPE_COMMON_PREFIX", physicalAddress: "", addressType: "ADDRESS_TYPE_UNSPECIFIED", checksum: "", sizeBytes: 0, mtime: 0, contentType: "", userMetadata: {} };
}

const CHANGE: Record<DiffEntry["type"], ChangeType> = { added: "CHANGE_TYPE_ADDED", removed: "CHANGE_TYPE_REMOVED", changed: "CHANGE_TYPE_CHANGED" };

export function differenceMessage(d: DiffEntry): Difference {
  return { type: CHANGE[d.type], path: d.path, pathType: "PATH_TYPE_OBJECT", entry: objectStats(d.path, d.entry) };
}

export function pagination(results: number, hasMore: boolean, nextOffset: string, maxPerPage: number): Pagination {
  return { hasMore, nextOffset: hasMore ? nextOffset : "", results, maxPerPage };
}

// ---- policies: the API's enum names against auth's "allow" | "deny"

export function policyFromMessage(p: Policy | null | undefined): AuthPolicy {
  return {
    statements: (p?.statements ?? []).map((s, i) => {
      const effect = s.effect === "EFFECT_ALLOW" ? "allow" : s.effect === "EFFECT_DENY" ? "deny" : undefined;
      if (!effect) throw invalidArgument(`invalid policy statement ${i + 1}: effect must be EFFECT_ALLOW or EFFECT_DENY`);
      return { effect, actions: [...s.actions], resources: [...s.resources] };
    }),
  };
}

export function policyMessage(p: AuthPolicy): Policy {
  return { statements: p.statements.map((s) => ({ effect: s.effect === "allow" ? "EFFECT_ALLOW" : "EFFECT_DENY", actions: [...s.actions], resources: [...s.resources] })) };
}

export const userMessage = (u: UserRecord): User => ({ id: u.id, creationDate: u.createdAt, policy: policyMessage(u.policy) });

// ---- pages

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** A unary listing's page size: 0 means the default; more than 1000 is refused. */
export function pageSize(amount: number): number {
  if (amount === 0) return DEFAULT_PAGE;
  if (!Number.isInteger(amount) || amount < 0 || amount > MAX_PAGE) throw invalidArgument(`invalid amount ${amount}: at most ${MAX_PAGE} per page (0 for the default ${DEFAULT_PAGE})`);
  return amount;
}

/**
 * One page of a sorted listing that only supports `after` and a page size (the engine's), filtered by a
 * prefix: fetches until it has one item more than the page, or passes the prefix.
 */
export async function prefixedPage<T>(
  fetch: (after: string | undefined, amount: number) => Promise<T[]>,
  idOf: (item: T) => string,
  request: { prefix: string; after: string; amount: number },
  keep: (item: T) => boolean = () => true,
): Promise<{ items: T[]; hasMore: boolean }> {
  const { prefix, amount } = request;
  const out: T[] = [];
  let cursor: string | undefined = request.after || undefined;
  for (;;) {
    const want = Math.min(Math.max(amount + 1, 100), MAX_PAGE + 1);
    const batch = await fetch(cursor, want);
    for (const item of batch) {
      const id = idOf(item);
      if (id.startsWith(prefix)) {
        if (keep(item)) out.push(item);
      }
      else if (id > prefix) return { items: out.slice(0, amount), hasMore: out.length > amount };
      if (out.length > amount) return { items: out.slice(0, amount), hasMore: true };
    }
    if (batch.length < want) return { items: out, hasMore: false };
    cursor = idOf(batch[batch.length - 1]);
  }
}
