// Turning metadata-service failures of writes into the S3 error a user can act on: a write to a tag or a
// commit is refused as such (writes go to branches only), an unknown repository is NoSuchBucket.
import type { TarnClient } from "../client";
import { hasCode } from "../errors";
import { s3, S3Error, toS3Error } from "./errors";

export async function writeError(client: TarnClient, repository: string, ref: string, err: unknown): Promise<S3Error> {
  if (!hasCode(err, "NOT_FOUND")) return toS3Error(err);
  const repo = await client.getRepository({ repository }).then(() => true, () => false);
  if (!repo) return s3.noSuchBucket(`repository ${repository} does not exist`, err);
  const branch = await client.getBranch({ repository, branch: ref }).then(() => true, () => false);
  if (branch) return toS3Error(err);
  const resolves = await client.getCommit({ repository, ref }).then(() => true, () => false);
  if (resolves) return s3.methodNotAllowed(`${repository}/${ref} is a tag or commit, not a branch: writes go to branches only`, err);
  return s3.noSuchKey(`repository ${repository} has no branch ${ref}`, err);
}

/** Reads fail with NoSuchBucket for a missing repository, NoSuchKey otherwise. */
export async function readError(client: TarnClient, repository: string, err: unknown): Promise<S3Error> {
  if (!hasCode(err, "NOT_FOUND")) return toS3Error(err);
  const repo = await client.getRepository({ repository }).then(() => true, () => false);
  return repo ? toS3Error(err) : s3.noSuchBucket(`repository ${repository} does not exist`, err);
}
