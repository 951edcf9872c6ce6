// AuthService: who am I, users, their policies and access keys.
import { pageSize, pagination, policyFromMessage, userMessage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type {
  CreateAccessKeyRequest, CreateUserRequest, DeleteAccessKeyRequest, DeleteUserRequest, GetUserRequest, ListAccessKeysRequest,
  ListUsersRequest, PutUserPolicyRequest,
} from "../messages";

export function authService({ auth }: ServiceDeps): ServiceHandlers {
  return {
    WhoAmI: unary(async (_r: object, ctx) => ({ user: userMessage(ctx.caller.user), accessKeyId: ctx.caller.accessKeyId })),
    CreateUser: unary(async (r: CreateUserRequest) => userMessage(await auth.createUser(r.id, policyFromMessage(r.policy)))),
    GetUser: unary(async (r: GetUserRequest, ctx) => userMessage(await auth.getUser(r.userId || ctx.caller.user.id))),
    ListUsers: unary(async (r: ListUsersRequest) => {
      const amount = pageSize(r.amount);
      const page = await auth.listUsers({ prefix: r.prefix || undefined, after: r.after || undefined, amount });
      const results = page.items.map(userMessage);
      return { results, pagination: pagination(results.length, page.hasMore, results.at(-1)?.id ?? "", amount) };
    }),
    DeleteUser: unary(async (r: DeleteUserRequest) => {
      await auth.deleteUser(r.userId);
      return {};
    }),
    PutUserPolicy: unary(async (r: PutUserPolicyRequest) => userMessage(await auth.putUserPolicy(r.userId, policyFromMessage(r.policy)))),
    CreateAccessKey: unary(async (r: CreateAccessKeyRequest, ctx) => {
      const key = await auth.createAccessKey(r.userId || ctx.caller.user.id);
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, userId: key.userId, creationDate: key.createdAt };
    }),
    DeleteAccessKey: unary(async (r: DeleteAccessKeyRequest, ctx) => {
      await auth.deleteAccessKey(r.userId || ctx.caller.user.id, r.accessKeyId);
      return {};
    }),
    ListAccessKeys: unary(async (r: ListAccessKeysRequest, ctx) => {
      const amount = pageSize(r.amount);
      const page = await auth.listAccessKeys(r.userId || ctx.caller.user.id, { after: r.after || undefined, amount });
      const results = page.items.map((c) => ({ accessKeyId: c.accessKeyId, userId: c.userId, creationDate: c.createdAt }));
      return { results, pagination: pagination(results.length, page.hasMore, results.at(-1)?.accessKeyId ?? "", amount) };
    }),
  };
}
