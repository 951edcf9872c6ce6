// RepositoryService: create, get, list and delete repositories.
import { authorize, repoResource } from "../../auth";
import { parseStoreUri } from "../../block";
import { repositoryMessage, pageSize, pagination, prefixedPage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type { CreateRepositoryRequest, DeleteRepositoryRequest, GetRepositoryRequest, ListRepositoriesRequest } from "../messages";

export function repositoryService({ graveler }: ServiceDeps): ServiceHandlers {
  return {
    CreateRepository: unary(async (r: CreateRepositoryRequest) => {
      parseStoreUri(r.storageNamespace); // INVALID_ARGUMENT naming what is wrong with the URI
      const repo = await graveler.createRepository(r.name, r.storageNamespace, { defaultBranch: r.defaultBranch || "main" });
      return repositoryMessage(repo);
    }),
    GetRepository: unary(async (r: GetRepositoryRequest) => repositoryMessage(await graveler.getRepository(r.repository))),
    ListRepositories: unary(async (r: ListRepositoriesRequest, ctx) => {
      const amount = pageSize(r.amount);
      // Only the repositories the caller may read; filtering happens before paging so pages stay full.
      const visible = (repo: { id: string }) => authorize(ctx.caller.user, "repos:Read", repoResource(repo.id)).allowed;
      const all = await prefixedPage((after, n) => graveler.listRepositories({ after, amount: n }), (repo) => repo.id, { ...r, amount }, visible);
      const results = all.items.map(repositoryMessage);
      return { results, pagination: pagination(results.length, all.hasMore, results.at(-1)?.id ?? "", amount) };
    }),
    DeleteRepository: unary(async (r: DeleteRepositoryRequest) => {
      await graveler.deleteRepository(r.repository);
      return {};
    }),
  };
}
