// TagService.
import { invalidArgument } from "../../errors";
import { pageSize, pagination, prefixedPage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type { CreateTagRequest, DeleteTagRequest, GetTagRequest, ListTagsRequest } from "../messages";

export function tagService({ graveler }: ServiceDeps): ServiceHandlers {
  return {
    CreateTag: unary(async (r: CreateTagRequest) => {
      if (r.ref === "") throw invalidArgument("ref is required: the branch, tag or commit to tag");
      const t = await graveler.createTag(r.repository, r.id, r.ref);
      return { id: t.id, commitId: t.commitId };
    }),
    GetTag: unary(async (r: GetTagRequest) => ({ id: r.tag, commitId: await graveler.getTag(r.repository, r.tag) })),
    ListTags: unary(async (r: ListTagsRequest) => {
      const amount = pageSize(r.amount);
      await graveler.getRepository(r.repository);
      const page = await prefixedPage((after, n) => graveler.listTags(r.repository, { after, amount: n }), (t) => t.id, { ...r, amount });
      const results = page.items.map((t) => ({ id: t.id, commitId: t.commitId }));
      return { results, pagination: pagination(results.length, page.hasMore, results.at(-1)?.id ?? "", amount) };
    }),
    DeleteTag: unary(async (r: DeleteTagRequest) => {
      await graveler.deleteTag(r.repository, r.tag);
      return {};
    }),
  };
}
