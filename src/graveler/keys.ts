// The engine's keyspace in the key-value store, one prefix per kind of record. Names cannot contain '/'
// (repositories, branches and tags are validated; IDs and tokens are hex), so each prefix is unambiguous.
import type { BranchId, CommitId, RepositoryId, StagingToken, TagId } from "./ids";

const k = (s: string) => Buffer.from(s, "utf8");

export const keys = {
  repositories: () => k("repo/"),
  repository: (repo: RepositoryId) => k(`repo/${repo}`),
  namespace: (storageNamespace: string) => k(`ns/${storageNamespace}`),
  branches: (repo: RepositoryId) => k(`branch/${repo}/`),
  branch: (repo: RepositoryId, branch: BranchId) => k(`branch/${repo}/${branch}`),
  tags: (repo: RepositoryId) => k(`tag/${repo}/`),
  tag: (repo: RepositoryId, tag: TagId) => k(`tag/${repo}/${tag}`),
  commits: (repo: RepositoryId) => k(`commit/${repo}/`),
  commit: (repo: RepositoryId, id: CommitId | string) => k(`commit/${repo}/${id}`),
  stagingSpace: () => k("stage/"),
  staging: (token: StagingToken) => k(`stage/${token}/`),
  // Multipart uploads in progress: NUL (never in a path) ends the path, so a repository's uploads sort by
  // "branch/path" (S3's key) and then upload id.
  uploads: (repo: RepositoryId) => k(`mpu/${repo}/`),
  upload: (repo: RepositoryId, branch: BranchId, path: string, uploadId: string) => k(`mpu/${repo}/${branch}/${path}\0${uploadId}`),
  staged: (token: StagingToken, path: string) => k(`stage/${token}/${path}`),
};
