// RepositoryService: create, get, list and delete repositories.
import { authorize, repoResource } from "../../auth";
import { parseStoreUri } from "../../block";
import { failedPrecondition, hasCode } from "../../errors";
import { repositoryId } from "../../graveler";
import { keys } from "../../graveler/keys";
import { repositoryMessage, pageSize, pagination, prefixedPage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type { CreateRepositoryRequest, DeleteRepositoryRequest, GetRepositoryRequest, ListRepositoriesRequest } from "../messages";

export function repositoryService({ graveler, kv, storage, defaultNamespacePrefix }: ServiceDeps): ServiceHandlers {
  /**
   * A new repository needs an empty namespace: leftover data/ and _tarn/ files of an earlier repository would
   * otherwise mix with its own. Taken names and namespaces claimed by a live repository are left to the
   * engine, which reports them as ALREADY_EXISTS.
   */
  const refuseUsedNamespace = async (r: CreateRepositoryRequest) => {
    const exists = await graveler.getRepository(r.name).then(() => true, (err: unknown) => (hasCode(err, "NOT_FOUND") ? false : Promise.reject(err)));
    if (exists || (await kv.get(keys.namespace(r.storageNamespace)))) return;
    const page = await storage.store(r.storageNamespace).list({ limit: 1 });
    if (page.objects.length > 0) {
      throw failedPrecondition(`storage namespace ${r.storageNamespace} is not empty (it holds ${page.objects[0].key}): use an empty one for a new repository`);
    }
  };

  return {
    CreateRepository: unary(async (r: CreateRepositoryRequest) => {
      if (r.storageNamespace === "" && defaultNamespacePrefix) r.storageNamespace = `${defaultNamespacePrefix.replace(/\/+$/, "")}/${repositoryId(r.name)}`;
      parseStoreUri(r.storageNamespace); // INVALID_ARGUMENT naming what is wrong with the URI
      await refuseUsedNamespace(r);
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
