// The metadata API's messages as plain objects, the shape protobufjs gives with proto.ts's TO_OBJECT options
// (camelCase fields, int64 as numbers, enums as their names, every field present). The server reads requests
// and writes responses in this shape; the SDK sends Partial requests and returns these responses.
// Field comments live in proto/metadata.proto.

export interface Pagination { hasMore: boolean; nextOffset: string; results: number; maxPerPage: number }
export interface Repository { id: string; storageNamespace: string; defaultBranch: string; creationDate: number }
export interface Ref { id: string; commitId: string }
export interface Commit {
  id: string; parents: string[]; committer: string; message: string; creationDate: number; metaRangeId: string;
  metadata: Record<string, string>; generation: number;
}
export type AddressType = "ADDRESS_TYPE_UNSPECIFIED" | "ADDRESS_TYPE_RELATIVE" | "ADDRESS_TYPE_FULL";
export type PathType = "PATH_TYPE_UNSPECIFIED" | "PATH_TYPE_OBJECT" | "PATH_TYPE_COMMON_PREFIX";
export interface ObjectStats {
  path: string; pathType: PathType; physicalAddress: string; addressType: AddressType; checksum: string; sizeBytes: number;
  mtime: number; contentType: string; userMetadata: Record<string, string>;
}
export interface LocalAccess { path: string }
export interface S3Access {
  endpoint: string; region: string; bucket: string; key: string; forcePathStyle: boolean; accessKeyId: string;
  secretAccessKey: string; sessionToken: string; expiresAt: number;
}
export interface AzureAccess { blobUrl: string; sasToken: string; expiresAt: number }
export interface StoreAccess { local?: LocalAccess | null; s3?: S3Access | null; azure?: AzureAccess | null }

// Repositories
export interface CreateRepositoryRequest { name: string; storageNamespace: string; defaultBranch: string }
export interface GetRepositoryRequest { repository: string }
export interface ListRepositoriesRequest { prefix: string; after: string; amount: number }
export interface ListRepositoriesResponse { results: Repository[]; pagination: Pagination }
export interface DeleteRepositoryRequest { repository: string }
export type Empty = Record<string, never>;

// Branches
export interface CreateBranchRequest { repository: string; name: string; source: string }
export type CreateBranchesItem = Omit<CreateBranchRequest, "repository">;
export interface CreateBranchesRequest { repository: string; branches: CreateBranchesItem[] }
/** One branch's answer in a CreateBranches response: the branch, or the single call's error. */
export interface RefResult { ref: Ref | null; errorCode: string; errorMessage: string }
export interface CreateBranchesResponse { results: RefResult[] }
export interface GetBranchRequest { repository: string; branch: string }
export interface ListBranchesRequest { repository: string; prefix: string; after: string; amount: number }
export interface ListRefsResponse { results: Ref[]; pagination: Pagination }
export interface DeleteBranchRequest { repository: string; branch: string }
export type ResetType = "RESET_TYPE_UNSPECIFIED" | "RESET_TYPE_ALL" | "RESET_TYPE_OBJECT" | "RESET_TYPE_PREFIX";
export interface ResetBranchRequest { repository: string; branch: string; type: ResetType; path: string }
export interface HardResetBranchRequest { repository: string; branch: string; ref: string; force: boolean }
export interface RevertCommitRequest {
  repository: string; branch: string; ref: string; parentNumber: number; force: boolean; allowEmpty: boolean; message: string;
  metadata: Record<string, string>;
}
export interface CherryPickRequest { repository: string; branch: string; ref: string; parentNumber: number; force: boolean }

// Tags
export interface CreateTagRequest { repository: string; id: string; ref: string }
export interface GetTagRequest { repository: string; tag: string }
export interface ListTagsRequest { repository: string; prefix: string; after: string; amount: number }
export interface DeleteTagRequest { repository: string; tag: string }

// Objects
export interface PrepareUploadRequest {
  repository: string; branch: string; path: string; presign: boolean; partCount: number; contentType: string; userMetadata: Record<string, string>;
}
export interface PrepareUploadResponse {
  physicalAddress: string; addressType: AddressType; presignedUrl: string; multipartUploadId: string; partUrls: string[];
  direct: StoreAccess | null; expiresAt: number;
}
export interface PresignUploadPartsRequest { repository: string; branch: string; physicalAddress: string; multipartUploadId: string; partNumbers: number[] }
export interface PresignUploadPartsResponse { partUrls: string[]; expiresAt: number }
export interface AbortMultipartUploadRequest { repository: string; branch: string; physicalAddress: string; multipartUploadId: string; path: string }
export interface ListPartsRequest {
  repository: string; branch: string; physicalAddress: string; multipartUploadId: string; partNumberMarker: number; maxParts: number;
}
export interface UploadedPart { partNumber: number; etag: string; sizeBytes: number }
export interface ListPartsResponse { parts: UploadedPart[]; isTruncated: boolean; nextPartNumberMarker: number }
export interface CompletedPart { partNumber: number; etag: string }
export interface MultipartCompletion { uploadId: string; parts: CompletedPart[] }
export interface StageObjectRequest {
  repository: string; branch: string; path: string; physicalAddress: string; addressType: AddressType; checksum: string;
  sizeBytes: number; mtime: number; contentType: string; userMetadata: Record<string, string>; ifAbsent: boolean;
  multipart: MultipartCompletion | null; completesUploadId: string;
}
export type StageObjectsItem = Omit<StageObjectRequest, "repository">;
export interface StageObjectsRequest { repository: string; objects: StageObjectsItem[] }
export interface StageObjectsResponse { results: ObjectResult[] }
export interface ListMultipartUploadsRequest { repository: string; prefix: string; keyMarker: string; uploadIdMarker: string; maxUploads: number }
export interface MultipartUploadRecord {
  branch: string; path: string; uploadId: string; physicalAddress: string; initiated: number; contentType: string;
  userMetadata: Record<string, string>; clientUploadId: string; initiator: string;
}
export interface ListMultipartUploadsResponse { uploads: MultipartUploadRecord[]; isTruncated: boolean; nextKeyMarker: string; nextUploadIdMarker: string }
export interface RecordMultipartUploadRequest {
  repository: string; branch: string; path: string; uploadId: string; physicalAddress: string; contentType: string;
  userMetadata: Record<string, string>; clientUploadId: string;
}
export interface ForgetMultipartUploadRequest { repository: string; branch: string; path: string; uploadId: string }
export interface GetObjectRequest { repository: string; ref: string; path: string; presign: boolean }
export interface GetObjectResponse { stats: ObjectStats; presignedUrl: string; direct: StoreAccess | null; expiresAt: number }
export interface StatObjectRequest { repository: string; ref: string; path: string }
export interface ObjectLocation { ref: string; path: string }
export interface StatObjectsRequest { repository: string; objects: ObjectLocation[] }
/** One object's answer in a StatObjects or StageObjects response: the entry, or the single call's error. */
export interface ObjectResult { stats: ObjectStats | null; errorCode: string; errorMessage: string }
export interface StatObjectsResponse { results: ObjectResult[] }
export interface ListObjectsRequest { repository: string; ref: string; prefix: string; delimiter: string; after: string; amount: number }
export interface ListObjectsResponse { results: ObjectStats[]; pagination: Pagination | null }
export interface DeleteObjectRequest { repository: string; branch: string; path: string }
export interface DeleteObjectsRequest { repository: string; branch: string; paths: string[] }
export interface ObjectError { path: string; code: string; message: string }
export interface DeleteObjectsResponse { errors: ObjectError[] }

// Commits
export interface CommitRequest { repository: string; branch: string; message: string; metadata: Record<string, string>; allowEmpty: boolean; date: number }
export interface LogRequest { repository: string; ref: string; after: string; amount: number; firstParent: boolean; stopAt: string }
export interface LogResponse { results: Commit[]; pagination: Pagination }
export interface GetCommitRequest { repository: string; ref: string }

// Diff and merge
export type DiffType = "DIFF_TYPE_UNSPECIFIED" | "DIFF_TYPE_THREE_DOT" | "DIFF_TYPE_TWO_DOT";
export interface DiffRequest {
  repository: string; leftRef: string; rightRef: string; type: DiffType; prefix: string; delimiter: string; after: string; amount: number;
}
export interface DiffUncommittedRequest { repository: string; branch: string; prefix: string; delimiter: string; after: string; amount: number }
export type ChangeType = "CHANGE_TYPE_UNSPECIFIED" | "CHANGE_TYPE_ADDED" | "CHANGE_TYPE_REMOVED" | "CHANGE_TYPE_CHANGED" | "CHANGE_TYPE_CONFLICT";
export interface Difference { type: ChangeType; path: string; pathType: PathType; entry: ObjectStats | null }
export interface DiffResponse { results: Difference[]; pagination: Pagination | null }
export type MergeStrategy = "MERGE_STRATEGY_NONE" | "MERGE_STRATEGY_SOURCE_WINS" | "MERGE_STRATEGY_DEST_WINS";
export interface MergeRequest {
  repository: string; sourceRef: string; destinationBranch: string; message: string; metadata: Record<string, string>;
  strategy: MergeStrategy; allowEmpty: boolean;
}
export interface MergeSummary { added: number; removed: number; changed: number; conflict: number }
export interface MergeResponse { reference: string; summary: MergeSummary }

// Auth
export type Effect = "EFFECT_UNSPECIFIED" | "EFFECT_ALLOW" | "EFFECT_DENY";
export interface Statement { effect: Effect; actions: string[]; resources: string[] }
export interface Policy { statements: Statement[] }
export interface User { id: string; creationDate: number; policy: Policy | null }
export interface WhoAmIResponse { user: User; accessKeyId: string }
export interface CreateUserRequest { id: string; policy: Policy | null }
export interface GetUserRequest { userId: string }
export interface ListUsersRequest { prefix: string; after: string; amount: number }
export interface ListUsersResponse { results: User[]; pagination: Pagination }
export interface DeleteUserRequest { userId: string }
export interface PutUserPolicyRequest { userId: string; policy: Policy | null }
export interface CreateAccessKeyRequest { userId: string }
export interface Credentials { accessKeyId: string; userId: string; creationDate: number }
export interface CredentialsWithSecret { accessKeyId: string; secretAccessKey: string; userId: string; creationDate: number }
export interface DeleteAccessKeyRequest { userId: string; accessKeyId: string }
export interface ListAccessKeysRequest { userId: string; after: string; amount: number }
export interface ListAccessKeysResponse { results: Credentials[]; pagination: Pagination }
export interface GetCredentialForGatewayRequest { accessKeyId: string }
export interface GatewayCredential { accessKeyId: string; userId: string; encryptedSecret: Uint8Array; cacheSeconds: number }

// Cluster
export type MemberRoleName =
  | "MEMBER_ROLE_UNSPECIFIED" | "MEMBER_ROLE_LEADER" | "MEMBER_ROLE_FOLLOWER" | "MEMBER_ROLE_CANDIDATE"
  | "MEMBER_ROLE_PRE_CANDIDATE" | "MEMBER_ROLE_LEARNER" | "MEMBER_ROLE_UNREACHABLE";
export interface Member {
  id: string; address: string; role: MemberRoleName; voter: boolean; term: number; appliedIndex: number; matchIndex: number; lastContactMs: number;
}
export interface ClusterStatus { clusterId: string; leaderId: string; term: number; commitIndex: number; members: Member[]; responderId: string }
export interface AddMemberRequest { id: string; address: string; asLearner: boolean }
export interface RemoveMemberRequest { id: string }
export interface TransferLeaderRequest { targetId: string }
