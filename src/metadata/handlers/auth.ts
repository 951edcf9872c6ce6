// AuthService: who am I, users, their policies and access keys.
import { sealGatewayCredential } from "../../auth";
import { failedPrecondition, notFound } from "../../errors";
import { pageSize, pagination, policyFromMessage, userMessage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type {
  CreateAccessKeyRequest, CreateUserRequest, DeleteAccessKeyRequest, DeleteUserRequest, GetCredentialForGatewayRequest, GetUserRequest, ListAccessKeysRequest,
  ListUsersRequest, PutUserPolicyRequest,
} from "../messages";

/** How long a gateway may keep a looked-up credential (a deleted key keeps working at most this long there). */
export const GATEWAY_CREDENTIAL_CACHE_SECONDS = 10;

export function authService({ auth, gatewayKey }: ServiceDeps): ServiceHandlers {
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
    GetCredentialForGateway: unary(async (r: GetCredentialForGatewayRequest) => {
      if (!gatewayKey) throw failedPrecondition("this service was started without the cluster keys, so it cannot seal secrets for gateways");
      const found = await auth.secretOf(r.accessKeyId);
      if (!found) throw notFound(`access key id ${r.accessKeyId} not found`);
      return {
        accessKeyId: r.accessKeyId,
        userId: found.userId,
        encryptedSecret: sealGatewayCredential(gatewayKey, r.accessKeyId, found.userId, found.secretAccessKey),
        cacheSeconds: GATEWAY_CREDENTIAL_CACHE_SECONDS,
      };
    }),
  };
}
