// What each metadata API call needs, in one table, so the service checks permissions in one place and a
// test can prove that every RPC in proto/metadata.proto is covered. Request fields are read by their proto
// name or its camelCase form, whichever the loader produced.
import { Action, AUTH_RESOURCE, CLUSTER_RESOURCE, repoResource } from "./policy";

export type Requirement =
  /** Any authenticated user. For ListRepositories the service shows only repositories the caller may read. */
  | { kind: "authenticated" }
  | { kind: "permission"; action: Action; resource: string }
  /** Only a caller signed as a gateway, acting for itself (never a user, a member, or a gateway on behalf of a user). */
  | { kind: "gateway" };

type Request = Readonly<Record<string, unknown>>;
type Rule = (request: Request, callerId: string) => Requirement;

const PACKAGE = "tarn.metadata.v1";

function field(request: Request, name: string): string {
  const camel = name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  const value = request[name] ?? request[camel];
  return typeof value === "string" ? value : "";
}

const authenticated: Rule = () => ({ kind: "authenticated" });
const onRepo =
  (action: Action, nameField = "repository"): Rule =>
  (request) => ({ kind: "permission", action, resource: repoResource(field(request, nameField)) });
const gatewayOnly: Rule = () => ({ kind: "gateway" });
const on =
  (action: Action, resource: string): Rule =>
  () => ({ kind: "permission", action, resource });
/** Users read themselves and manage their own access keys; anyone else's needs auth:Manage. */
const selfOrAuthManage: Rule = (request, callerId) => {
  const userId = field(request, "user_id");
  return userId === "" || userId === callerId ? { kind: "authenticated" } : { kind: "permission", action: "auth:Manage", resource: AUTH_RESOURCE };
};

const RULES: Record<string, Record<string, Rule>> = {
  RepositoryService: {
    CreateRepository: onRepo("repos:Manage", "name"),
    GetRepository: onRepo("repos:Read"),
    ListRepositories: authenticated,
    DeleteRepository: onRepo("repos:Manage"),
  },
  BranchService: {
    CreateBranch: onRepo("repos:Write"),
    CreateBranches: onRepo("repos:Write"),
    GetBranch: onRepo("repos:Read"),
    ListBranches: onRepo("repos:Read"),
    DeleteBranch: onRepo("repos:Write"),
    ResetBranch: onRepo("repos:Write"),
    HardResetBranch: onRepo("repos:Write"),
    RevertCommit: onRepo("repos:Write"),
    CherryPick: onRepo("repos:Write"),
  },
  TagService: {
    CreateTag: onRepo("repos:Write"),
    GetTag: onRepo("repos:Read"),
    ListTags: onRepo("repos:Read"),
    DeleteTag: onRepo("repos:Write"),
  },
  ObjectService: {
    PrepareUpload: onRepo("repos:Write"),
    PresignUploadParts: onRepo("repos:Write"),
    AbortMultipartUpload: onRepo("repos:Write"),
    ListParts: onRepo("repos:Write"),
    // Write, as ListParts: a listed upload id lets its holder add parts (on Azure it carries a write URL).
    ListMultipartUploads: onRepo("repos:Write"),
    RecordMultipartUpload: onRepo("repos:Write"),
    ForgetMultipartUpload: onRepo("repos:Write"),
    StageObject: onRepo("repos:Write"),
    // One repository per call; the policy language has no narrower resource than a repository, so one check
    // covers every item, as it covers StageObject's branch.
    StageObjects: onRepo("repos:Write"),
    GetObject: onRepo("repos:Read"),
    StatObject: onRepo("repos:Read"),
    StatObjects: onRepo("repos:Read"),
    ListObjects: onRepo("repos:Read"),
    DeleteObject: onRepo("repos:Write"),
    DeleteObjects: onRepo("repos:Write"),
  },
  CommitService: {
    Commit: onRepo("repos:Write"),
    Log: onRepo("repos:Read"),
    GetCommit: onRepo("repos:Read"),
  },
  RefService: {
    Diff: onRepo("repos:Read"),
    DiffUncommitted: onRepo("repos:Read"),
    Merge: onRepo("repos:Write"),
  },
  AuthService: {
    WhoAmI: authenticated,
    CreateUser: on("auth:Manage", AUTH_RESOURCE),
    GetUser: selfOrAuthManage,
    ListUsers: on("auth:Manage", AUTH_RESOURCE),
    DeleteUser: on("auth:Manage", AUTH_RESOURCE),
    PutUserPolicy: on("auth:Manage", AUTH_RESOURCE),
    CreateAccessKey: selfOrAuthManage,
    DeleteAccessKey: selfOrAuthManage,
    ListAccessKeys: selfOrAuthManage,
    GetCredentialForGateway: gatewayOnly,
  },
  ClusterService: {
    GetClusterStatus: on("cluster:Read", CLUSTER_RESOURCE),
    AddMember: on("cluster:Manage", CLUSTER_RESOURCE),
    RemoveMember: on("cluster:Manage", CLUSTER_RESOURCE),
    TransferLeader: on("cluster:Manage", CLUSTER_RESOURCE),
  },
};

const BY_PATH = new Map<string, Rule>(
  Object.entries(RULES).flatMap(([service, methods]) => Object.entries(methods).map(([method, rule]) => [`/${PACKAGE}.${service}/${method}`, rule] as const)),
);

/** Every full method path the table covers, e.g. /tarn.metadata.v1.CommitService/Commit. */
export const COVERED_METHODS: readonly string[] = [...BY_PATH.keys()];

/** What a call needs, or undefined for a method the table does not know (the service must refuse it). */
export function requiredPermission(methodPath: string, request: Request, callerId: string): Requirement | undefined {
  return BY_PATH.get(methodPath)?.(request, callerId);
}
