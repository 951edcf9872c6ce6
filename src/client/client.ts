// TarnClient: the TypeScript SDK. One typed method per RPC of proto/metadata.proto (server streams as async
// iterables of batches, with flattening helpers), and data I/O that moves object bytes straight between the
// caller and the object store (data.ts): only metadata goes through the service.
import type { Readable } from "node:stream";
import { loadConfig, type ClientConfig } from "../cli/config";
import { TarnError } from "../errors";
import type * as M from "../metadata/messages";
import { apiMethods, CONFLICTS_TRAILER, decodeMessage, encodeMessage, messageType, methodPath } from "../metadata/proto";
import { ApiError } from "./errors";
import type { RetryPolicy } from "./backoff";
import { download, upload, type DownloadResult, type UploadOptions } from "./data";
import { branchBatches } from "./branch-coalescer";
import { Coalescer } from "./coalescer";
import { stagingBatches } from "./staging-coalescer";
import { statBatches } from "./stat-coalescer";
import { Transport } from "./transport";

export interface TarnClientOptions {
  /** Members as HOST:PORT. */
  endpoints: string[];
  /** A user's access key; or `gateway` instead. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /**
   * Sign as a gateway: `key` is gatewayKeyFrom(cluster secret or gateway token), `id` the gateway's name.
   * Such a client may call getCredentialForGateway, and act for users through `forUser`.
   */
  gateway?: { key: Buffer; id: string };
  retry?: Partial<RetryPolicy>;
  deadlineMs?: number;
  maxMessageBytes?: number;
  /**
   * Coalesce concurrent stageObject calls into StageObjects calls (staging-coalescer.ts); default true.
   * false sends one StageObject per call, as before (for comparisons).
   */
  coalesceStaging?: boolean;
  /** Staging calls (plain or batched) on their way at once while coalescing; default 2. */
  stagingInFlight?: number;
  /**
   * Coalesce concurrent createBranch calls into CreateBranches calls (branch-coalescer.ts); default true.
   * false sends one CreateBranch per call.
   */
  coalesceBranches?: boolean;
  /**
   * Coalesce concurrent statObject calls into StatObjects calls (stat-coalescer.ts); default true. Each
   * answer is read after its call was made, as fresh as a plain StatObject's. false sends one StatObject per call.
   */
  coalesceStats?: boolean;
}

type CoalescingOptions = Pick<TarnClientOptions, "coalesceStaging" | "stagingInFlight" | "coalesceBranches" | "coalesceStats">;

type Req<T> = Partial<T>;

export class TarnClient {
  readonly transport: Transport;
  /** The user a gateway client acts for (forUser); undefined otherwise. */
  readonly onBehalfOf: string | undefined;
  private readonly owner: boolean;
  private readonly coalescing: CoalescingOptions;
  /** Undefined when coalescing is off. */
  private readonly stagingCoalescer: Coalescer<Req<M.StageObjectRequest>, M.ObjectStats> | undefined;
  private readonly branchCoalescer: Coalescer<Req<M.CreateBranchRequest>, M.Ref> | undefined;
  private readonly statCoalescer: Coalescer<Req<M.StatObjectRequest>, M.ObjectStats> | undefined;

  constructor(options: TarnClientOptions | ({ transport: Transport; onBehalfOf: string } & CoalescingOptions)) {
    if ("transport" in options) {
      this.transport = options.transport;
      this.onBehalfOf = options.onBehalfOf;
      this.owner = false;
    } else {
      this.transport = new Transport(options);
      this.onBehalfOf = undefined;
      this.owner = true;
    }
    this.coalescing = { coalesceStaging: options.coalesceStaging, stagingInFlight: options.stagingInFlight, coalesceBranches: options.coalesceBranches, coalesceStats: options.coalesceStats };
    const endpoint = () => this.transport.leader ?? "";
    this.stagingCoalescer =
      options.coalesceStaging === false
        ? undefined
        : new Coalescer(
            stagingBatches({
              stageObject: (r) => this.call<M.ObjectStats>("ObjectService", "StageObject", r),
              stageObjects: (r) => this.call<M.StageObjectsResponse>("ObjectService", "StageObjects", r),
              endpoint,
            }),
            options.stagingInFlight,
          );
    this.branchCoalescer =
      options.coalesceBranches === false
        ? undefined
        : new Coalescer(
            branchBatches({
              createBranch: (r) => this.call<M.Ref>("BranchService", "CreateBranch", r),
              createBranches: (r) => this.call<M.CreateBranchesResponse>("BranchService", "CreateBranches", r),
              endpoint,
            }),
          );
    this.statCoalescer =
      options.coalesceStats === false
        ? undefined
        : new Coalescer(
            statBatches({
              statObject: (r) => this.call<M.ObjectStats>("ObjectService", "StatObject", r),
              statObjects: (r) => this.call<M.StatObjectsResponse>("ObjectService", "StatObjects", r),
              endpoint,
            }),
          );
  }

  /**
   * A client acting for `userId` over this gateway client's connections (x-tarn-peer-on-behalf-of): the
   * service applies that user's policy. Closing it does nothing; close this one.
   */
  forUser(userId: string): TarnClient {
    if (!this.transport.isGateway) throw new TarnError("INVALID_ARGUMENT", "only a client signing as a gateway can act on behalf of users");
    return new TarnClient({ transport: this.transport, onBehalfOf: userId, ...this.coalescing });
  }

  /** A client from TARN_ENDPOINT / TARN_ACCESS_KEY_ID / TARN_SECRET_ACCESS_KEY or ~/.tarn/config.yaml. */
  static fromConfig(config: ClientConfig = loadConfig()): TarnClient {
    if (!config.credentials) throw new TarnError("UNAUTHENTICATED", `no credentials: set TARN_ACCESS_KEY_ID and TARN_SECRET_ACCESS_KEY, or add them to ${config.file}`);
    return new TarnClient({ endpoints: config.endpoints.map((e) => (e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)), ...config.credentials });
  }

  /** The leader's HOST:PORT as last reported, if any. */
  get leader(): string | undefined {
    return this.transport.leader;
  }

  close(): void {
    if (this.owner) this.transport.close();
  }

  // ---- raw calls

  /** Any unary RPC by service and method name, e.g. call("CommitService", "Commit", {...}). */
  async call<Res>(service: string, method: string, request: object): Promise<Res> {
    const m = schema(service, method);
    const reply = await this.transport.unary(m.path, encodeMessage(m.requestType, request), this.onBehalfOf);
    return decodeMessage(m.responseType, reply) as unknown as Res;
  }

  /** Any server-streaming RPC: its response messages as they arrive. */
  async *callStream<Res>(service: string, method: string, request: object): AsyncGenerator<Res> {
    const m = schema(service, method);
    for await (const chunk of this.transport.stream(m.path, encodeMessage(m.requestType, request), this.onBehalfOf)) yield decodeMessage(m.responseType, chunk) as unknown as Res;
  }

  // ---- repositories
  createRepository = (r: Req<M.CreateRepositoryRequest>) => this.call<M.Repository>("RepositoryService", "CreateRepository", r);
  getRepository = (r: Req<M.GetRepositoryRequest>) => this.call<M.Repository>("RepositoryService", "GetRepository", r);
  listRepositories = (r: Req<M.ListRepositoriesRequest> = {}) => this.call<M.ListRepositoriesResponse>("RepositoryService", "ListRepositories", r);
  deleteRepository = (r: Req<M.DeleteRepositoryRequest>) => this.call<M.Empty>("RepositoryService", "DeleteRepository", r);

  // ---- branches
  /**
   * Creates a branch. Concurrent calls of this client go together as CreateBranches calls (see
   * TarnClientOptions.coalesceBranches); each still gets its own branch or error, as from a plain CreateBranch.
   */
  createBranch = (r: Req<M.CreateBranchRequest>) => (this.branchCoalescer ? this.branchCoalescer.call(r) : this.call<M.Ref>("BranchService", "CreateBranch", r));
  createBranches = (r: Req<M.CreateBranchesRequest>) => this.call<M.CreateBranchesResponse>("BranchService", "CreateBranches", r);
  getBranch = (r: Req<M.GetBranchRequest>) => this.call<M.Ref>("BranchService", "GetBranch", r);
  listBranches = (r: Req<M.ListBranchesRequest>) => this.call<M.ListRefsResponse>("BranchService", "ListBranches", r);
  deleteBranch = (r: Req<M.DeleteBranchRequest>) => this.call<M.Empty>("BranchService", "DeleteBranch", r);
  resetBranch = (r: Req<M.ResetBranchRequest>) => this.call<M.Empty>("BranchService", "ResetBranch", r);
  hardResetBranch = (r: Req<M.HardResetBranchRequest>) => this.call<M.Ref>("BranchService", "HardResetBranch", r);
  revertCommit = (r: Req<M.RevertCommitRequest>) => this.call<M.Commit>("BranchService", "RevertCommit", r);
  cherryPick = (r: Req<M.CherryPickRequest>) => this.call<M.Commit>("BranchService", "CherryPick", r);

  // ---- tags
  createTag = (r: Req<M.CreateTagRequest>) => this.call<M.Ref>("TagService", "CreateTag", r);
  getTag = (r: Req<M.GetTagRequest>) => this.call<M.Ref>("TagService", "GetTag", r);
  listTags = (r: Req<M.ListTagsRequest>) => this.call<M.ListRefsResponse>("TagService", "ListTags", r);
  deleteTag = (r: Req<M.DeleteTagRequest>) => this.call<M.Empty>("TagService", "DeleteTag", r);

  // ---- objects (metadata; see upload/download for bytes)
  prepareUpload = (r: Req<M.PrepareUploadRequest>) => this.call<M.PrepareUploadResponse>("ObjectService", "PrepareUpload", r);
  presignUploadParts = (r: Req<M.PresignUploadPartsRequest>) => this.call<M.PresignUploadPartsResponse>("ObjectService", "PresignUploadParts", r);
  abortMultipartUpload = (r: Req<M.AbortMultipartUploadRequest>) => this.call<M.Empty>("ObjectService", "AbortMultipartUpload", r);
  listParts = (r: Req<M.ListPartsRequest>) => this.call<M.ListPartsResponse>("ObjectService", "ListParts", r);
  listMultipartUploads = (r: Req<M.ListMultipartUploadsRequest>) => this.call<M.ListMultipartUploadsResponse>("ObjectService", "ListMultipartUploads", r);
  recordMultipartUpload = (r: Req<M.RecordMultipartUploadRequest>) => this.call<M.Empty>("ObjectService", "RecordMultipartUpload", r);
  forgetMultipartUpload = (r: Req<M.ForgetMultipartUploadRequest>) => this.call<M.Empty>("ObjectService", "ForgetMultipartUpload", r);
  /**
   * Stages an entry. Concurrent calls of this client go together as StageObjects calls (see
   * TarnClientOptions.coalesceStaging); each still gets its own entry or error, as from a plain StageObject.
   */
  stageObject = (r: Req<M.StageObjectRequest>) => (this.stagingCoalescer ? this.stagingCoalescer.call(r) : this.call<M.ObjectStats>("ObjectService", "StageObject", r));
  /** Many staging writes in one repository in one call; each result holds the entry or its own error. */
  stageObjects = (r: Req<M.StageObjectsRequest>) => this.call<M.StageObjectsResponse>("ObjectService", "StageObjects", r);
  getObject = (r: Req<M.GetObjectRequest>) => this.call<M.GetObjectResponse>("ObjectService", "GetObject", r);
  /**
   * One entry, read linearizably. Concurrent calls of this client go together as StatObjects calls (see
   * TarnClientOptions.coalesceStats); each still gets its own entry or error, as from a plain StatObject.
   */
  statObject = (r: Req<M.StatObjectRequest>) => (this.statCoalescer ? this.statCoalescer.call(r) : this.call<M.ObjectStats>("ObjectService", "StatObject", r));
  /** Many lookups in one repository in one call; each result holds the entry or its own error. */
  statObjects = (r: Req<M.StatObjectsRequest>) => this.call<M.StatObjectsResponse>("ObjectService", "StatObjects", r);
  /** Batches of results; the last one carries the pagination. */
  listObjects = (r: Req<M.ListObjectsRequest>) => this.callStream<M.ListObjectsResponse>("ObjectService", "ListObjects", r);
  deleteObject = (r: Req<M.DeleteObjectRequest>) => this.call<M.Empty>("ObjectService", "DeleteObject", r);
  deleteObjects = (r: Req<M.DeleteObjectsRequest>) => this.call<M.DeleteObjectsResponse>("ObjectService", "DeleteObjects", r);

  /** Every entry (and common prefix) of a listing, one by one. */
  async *objects(r: Req<M.ListObjectsRequest>): AsyncGenerator<M.ObjectStats> {
    for await (const batch of this.listObjects(r)) yield* batch.results;
  }

  // ---- commits
  commit = (r: Req<M.CommitRequest>) => this.call<M.Commit>("CommitService", "Commit", r);
  log = (r: Req<M.LogRequest>) => this.call<M.LogResponse>("CommitService", "Log", r);
  getCommit = (r: Req<M.GetCommitRequest>) => this.call<M.Commit>("CommitService", "GetCommit", r);

  // ---- diff and merge
  diff = (r: Req<M.DiffRequest>) => this.callStream<M.DiffResponse>("RefService", "Diff", r);
  diffUncommitted = (r: Req<M.DiffUncommittedRequest>) => this.callStream<M.DiffResponse>("RefService", "DiffUncommitted", r);
  /** A merge refused for conflicts throws an ApiError whose `conflicts` lists the paths. */
  async merge(r: Req<M.MergeRequest>): Promise<M.MergeResponse> {
    try {
      return await this.call<M.MergeResponse>("RefService", "Merge", r);
    } catch (err) {
      const trailer = err instanceof ApiError ? err.trailers?.get(CONFLICTS_TRAILER)[0] : undefined;
      if (err instanceof ApiError && Buffer.isBuffer(trailer)) err.conflicts = decodeMessage(messageType("MergeConflicts"), trailer) as unknown as ApiError["conflicts"];
      throw err;
    }
  }

  /** Every difference of a diff (or of the uncommitted changes when only `branch` is given), one by one. */
  async *differences(r: Req<M.DiffRequest> | Req<M.DiffUncommittedRequest>): AsyncGenerator<M.Difference> {
    const batches = "branch" in r ? this.diffUncommitted(r) : this.diff(r);
    for await (const batch of batches) yield* batch.results;
  }

  // ---- auth
  whoAmI = () => this.call<M.WhoAmIResponse>("AuthService", "WhoAmI", {});
  createUser = (r: Req<M.CreateUserRequest>) => this.call<M.User>("AuthService", "CreateUser", r);
  getUser = (r: Req<M.GetUserRequest>) => this.call<M.User>("AuthService", "GetUser", r);
  listUsers = (r: Req<M.ListUsersRequest> = {}) => this.call<M.ListUsersResponse>("AuthService", "ListUsers", r);
  deleteUser = (r: Req<M.DeleteUserRequest>) => this.call<M.Empty>("AuthService", "DeleteUser", r);
  putUserPolicy = (r: Req<M.PutUserPolicyRequest>) => this.call<M.User>("AuthService", "PutUserPolicy", r);
  createAccessKey = (r: Req<M.CreateAccessKeyRequest> = {}) => this.call<M.CredentialsWithSecret>("AuthService", "CreateAccessKey", r);
  deleteAccessKey = (r: Req<M.DeleteAccessKeyRequest>) => this.call<M.Empty>("AuthService", "DeleteAccessKey", r);
  listAccessKeys = (r: Req<M.ListAccessKeysRequest> = {}) => this.call<M.ListAccessKeysResponse>("AuthService", "ListAccessKeys", r);
  /** Gateway clients only: the key's owner and its secret sealed for the gateway (openGatewayCredential). */
  getCredentialForGateway = (r: Req<M.GetCredentialForGatewayRequest>) => this.call<M.GatewayCredential>("AuthService", "GetCredentialForGateway", r);

  // ---- cluster
  getClusterStatus = () => this.call<M.ClusterStatus>("ClusterService", "GetClusterStatus", {});
  addMember = (r: Req<M.AddMemberRequest>) => this.call<M.ClusterStatus>("ClusterService", "AddMember", r);
  removeMember = (r: Req<M.RemoveMemberRequest>) => this.call<M.ClusterStatus>("ClusterService", "RemoveMember", r);
  transferLeader = (r: Req<M.TransferLeaderRequest> = {}) => this.call<M.ClusterStatus>("ClusterService", "TransferLeader", r);

  // ---- data I/O

  /**
   * Writes an object's bytes straight to the object store (direct file write on a local store, presigned
   * PUT or presigned multipart upload otherwise), then stages its entry on the branch.
   */
  upload(repository: string, branch: string, path: string, data: Buffer | Readable | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<M.ObjectStats> {
    return upload(this, { repository, branch, path }, data, options);
  }

  /** The object's entry and a stream of its bytes, read straight from the object store. */
  download(repository: string, ref: string, path: string, options: { presign?: boolean } = {}): Promise<DownloadResult> {
    return download(this, { repository, ref, path }, options);
  }

  /** The whole object in memory. */
  async downloadBuffer(repository: string, ref: string, path: string, options: { presign?: boolean } = {}): Promise<Buffer> {
    const { body } = await this.download(repository, ref, path, options);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
}

function schema(service: string, method: string) {
  const m = apiMethods().get(methodPath(service, method));
  if (!m) throw new TarnError("INVALID_ARGUMENT", `unknown RPC ${service}/${method}`);
  return m;
}
