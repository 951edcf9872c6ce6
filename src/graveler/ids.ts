// Branded identifiers and the validation of names and paths (DESIGN.md "Names"). A brand makes the compiler
// refuse a path where a branch is expected; the only way to get one is through a validating constructor.
import { invalidArgument } from "../errors";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RepositoryId = Brand<string, "RepositoryId">;
export type BranchId = Brand<string, "BranchId">;
export type TagId = Brand<string, "TagId">;
export type CommitId = Brand<string, "CommitId">;
export type RangeId = Brand<string, "RangeId">;
export type MetaRangeId = Brand<string, "MetaRangeId">;
export type StagingToken = Brand<string, "StagingToken">;
/** An object path inside a repository: any UTF-8 without NUL, 1 to 1024 bytes. */
export type Path = Brand<string, "Path">;

const REPOSITORY = /^[a-z0-9][a-z0-9-]{2,62}$/;
const REF_NAME = /^[\w][\w.-]*$/;
const MAX_REF_BYTES = 256;
const MAX_PATH_BYTES = 1024;
const HEX64 = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function repositoryId(name: string): RepositoryId {
  if (!REPOSITORY.test(name)) {
    throw invalidArgument(`invalid repository name ${JSON.stringify(name)}: use 3 to 63 characters a-z, 0-9 and '-', starting with a letter or digit`);
  }
  return name as RepositoryId;
}

function refName(kind: string, name: string): string {
  if (!REF_NAME.test(name) || Buffer.byteLength(name) > MAX_REF_BYTES) {
    throw invalidArgument(`invalid ${kind} name ${JSON.stringify(name)}: use letters, digits, '_', '.' and '-' (not first), at most ${MAX_REF_BYTES} bytes`);
  }
  return name;
}

export const branchId = (name: string): BranchId => refName("branch", name) as BranchId;
export const tagId = (name: string): TagId => refName("tag", name) as TagId;

export function path(p: string): Path {
  if (typeof p !== "string" || p.length === 0) throw invalidArgument("invalid path: empty");
  if (p.includes("\0")) throw invalidArgument(`invalid path ${JSON.stringify(p)}: contains NUL`);
  const bytes = Buffer.byteLength(p);
  if (bytes > MAX_PATH_BYTES) throw invalidArgument(`invalid path ${JSON.stringify(p.slice(0, 40) + "...")}: ${bytes} bytes, at most ${MAX_PATH_BYTES}`);
  if (LONE_SURROGATE.test(p)) throw invalidArgument(`invalid path ${JSON.stringify(p)}: not valid UTF-8 (lone surrogate)`);
  return p as Path;
}

/** A prefix, `after` or delimiter argument: like a path, but may be empty. */
export function pathPrefix(p: string | undefined, what = "prefix"): string {
  if (p === undefined || p === "") return "";
  try {
    return path(p);
  } catch {
    throw invalidArgument(`invalid ${what} ${JSON.stringify(p.slice(0, 60))}: must be UTF-8 without NUL, at most ${MAX_PATH_BYTES} bytes`);
  }
}

export function isFullHash(s: string): boolean {
  return HEX64.test(s);
}

export const commitId = (hex: string): CommitId => hex as CommitId;
export const rangeId = (hex: string): RangeId => hex as RangeId;
export const metaRangeId = (hex: string): MetaRangeId => hex as MetaRangeId;
