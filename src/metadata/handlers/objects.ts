// ObjectService: uploads hand out a physical address and a way to write it, StageObject links the entry;
// reads hand out a way to read the bytes. Object bytes never pass through this service.
import type { ObjectInfo, ObjectStore } from "../../block";
import { failedPrecondition, hasCode, invalidArgument, notFound, TarnError } from "../../errors";
import { branchId, encodeEntry, path as validPath, repositoryId, type Entry, type Repository } from "../../graveler";
import { commonPrefixStats, objectStats, pagination } from "../convert";
import { ServiceDeps, ServiceHandlers, stream, unary } from "../handler";
import { batchTargets, stageBatch, type BatchItem } from "../staging-batch";
import { absentGuard, stageOnBranch, stagingTarget, type StagingTarget } from "../staging-write";
import { statObject } from "../stat-object";
import { itemError, perItemErrors } from "../status";
import { dropUploadRecord, findUploadRecord, listUploadRecords, putUploadRecord } from "../upload-records";
import type {
  AbortMultipartUploadRequest, DeleteObjectRequest, DeleteObjectsRequest, ForgetMultipartUploadRequest, GetObjectRequest, ListMultipartUploadsRequest,
  ListObjectsRequest, ListPartsRequest, ObjectError, ObjectStats, PrepareUploadRequest, RecordMultipartUploadRequest, PresignUploadPartsRequest, StageObjectRequest, StageObjectsRequest, StatObjectRequest, StatObjectsRequest, StoreAccess,
} from "../messages";

const MAX_PARTS = 10_000;
const MAX_DELETE = 1000;
const MAX_STATS = 1000;
const MAX_LISTED_PARTS = 1000;
const MAX_STAGED = 1000;
/** Errors that concern one object of a StatObjects or StageObjects call. */
const perObject = perItemErrors("NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "PERMISSION_DENIED");
type StagedItem = BatchItem & { stats: ObjectStats };
const LIST_BATCH = 1000;
type StoredInfo = Pick<ObjectInfo, "size" | "etag" | "contentType">;

export function objectService(deps: ServiceDeps): ServiceHandlers {
  const { graveler, storage } = deps;
  /** The repository, after checking that the branch exists. */
  const onBranch = async (repo: string, branch: string): Promise<Repository> => {
    const repository = await graveler.getRepository(repo);
    await graveler.getBranch(repo, branch);
    return repository;
  };

  /** A physical address given back by a client, as a key in the repository's namespace. */
  const keyOf = (repository: Repository, address: string, full: boolean): string => {
    let key = address;
    if (full) {
      const base = repository.storageNamespace.replace(/\/+$/, "") + "/";
      if (!address.startsWith(base)) throw invalidArgument(`physical address ${address} is outside the storage namespace ${repository.storageNamespace} of repository ${repository.id}`);
      key = address.slice(base.length);
    }
    if (key === "" || key.startsWith("/") || key.split("/").some((s) => s === ".." || s === ".")) {
      throw invalidArgument(`physical address ${JSON.stringify(address)} is not a key inside the storage namespace of repository ${repository.id}`);
    }
    return key;
  };

  const missingObject = (repository: Repository, key: string) => (err: unknown) => {
    if (hasCode(err, "NOT_FOUND")) throw notFound(`physical address ${key} in ${repository.storageNamespace} holds no object: write the bytes before staging`, err);
    throw err;
  };

  /**
   * What the entry records of the bytes at `key`. A writer that gives both the size and the checksum wrote
   * the bytes itself (the gateway, TarnClient's upload): trusted as lakeFS does, without asking the store,
   * which for S3 is a whole HTTP request per staging write. Otherwise the store's HEAD proves the object
   * exists and gives what the request left out.
   */
  const storedObject = async (store: ObjectStore, repository: Repository, key: string, r: StageObjectRequest): Promise<StoredInfo> => {
    if (r.sizeBytes > 0 && r.checksum !== "" && !r.multipart?.uploadId) return { size: r.sizeBytes, etag: r.checksum, contentType: undefined };
    const info = await store.head(key).catch(missingObject(repository, key));
    if (r.sizeBytes > 0 && r.sizeBytes !== info.size) {
      throw invalidArgument(`size_bytes ${r.sizeBytes} does not match the ${info.size} bytes stored at ${key}`);
    }
    return info;
  };

  /** Writes the record ListMultipartUploads lists (upload-records.ts). */
  const recordUpload = async (repository: Repository, r: PrepareUploadRequest | RecordMultipartUploadRequest, uploadId: string, key: string, clientUploadId: string, initiator: string) => {
    const value = {
      physicalAddress: key, initiated: Math.floor(Date.now() / 1000), contentType: r.contentType, initiator,
      ...(Object.keys(r.userMetadata ?? {}).length > 0 ? { userMetadata: { ...r.userMetadata } } : {}),
      ...(clientUploadId ? { clientUploadId } : {}),
    };
    await deps.kv.write({ mutations: [putUploadRecord(repository.id, branchId(r.branch), validPath(r.path), uploadId, value)] });
  };

  /** Drops an upload's record, found by its path or, without one, by its upload id alone. */
  const forgetUpload = async (repo: string, branch: string, p: string, uploadId: string) => {
    const repoId = repositoryId(repo);
    const id = branchId(branch);
    const key = p !== "" ? dropUploadRecord(repoId, id, validPath(p), uploadId).key : await findUploadRecord(deps.kv, repoId, id, uploadId);
    if (key) await deps.kv.write({ mutations: [{ op: "delete", key }] });
  };

  /**
   * One staging write checked and made ready: its path, the multipart upload it completes (completed here),
   * the entry recorded of the bytes, and what it writes into a staging token.
   */
  const stagingItem = async (target: StagingTarget, r: StageObjectRequest): Promise<StagedItem> => {
    const repository = target.repository;
    const p = validPath(r.path);
    const key = keyOf(repository, r.physicalAddress, r.addressType === "ADDRESS_TYPE_FULL");
    if (r.sizeBytes < 0) throw invalidArgument(`invalid size_bytes ${r.sizeBytes}`);
    const store = storage.store(repository.storageNamespace);
    if (r.multipart && r.multipart.uploadId !== "") {
      if (r.multipart.parts.length === 0) throw invalidArgument("multipart completion lists no parts");
      await store.completeMultipartUpload({ key, uploadId: r.multipart.uploadId }, r.multipart.parts).catch((err: unknown) => {
        if (err instanceof TarnError && (err.code === "INVALID_ARGUMENT" || err.code === "NOT_FOUND")) {
          throw failedPrecondition(`completing multipart upload ${r.multipart!.uploadId} of ${key}: ${err.message}`, err);
        }
        throw err;
      });
    }
    const info = await storedObject(store, repository, key, r);
    const entry: Entry = {
      physicalAddress: key,
      addressType: "relative",
      size: info.size,
      etag: r.checksum || info.etag,
      lastModified: r.mtime > 0 ? new Date(r.mtime * 1000) : new Date(),
      contentType: r.contentType || info.contentType || undefined,
      metadata: Object.keys(r.userMetadata).length > 0 ? { ...r.userMetadata } : undefined,
    };
    const value = encodeEntry(entry);
    // The completed upload's record goes in the same write as the entry: listed until staged, never after.
    const completed = r.multipart?.uploadId || r.completesUploadId;
    return {
      branch: r.branch,
      path: p,
      ifAbsent: r.ifAbsent,
      stats: objectStats(p, entry),
      mutations: (token, branch) => [graveler.staging.setMutation(token, p, value), ...(completed ? [dropUploadRecord(repository.id, branch, p, completed)] : [])],
      exists: () => graveler.getObject(r.repository, r.branch, p).then(() => true, (err: unknown) => (hasCode(err, "NOT_FOUND") ? false : Promise.reject(err))),
    };
  };

  return {
    PrepareUpload: unary(async (r: PrepareUploadRequest, ctx) => {
      const repository = await onBranch(r.repository, r.branch);
      validPath(r.path);
      if (r.partCount > MAX_PARTS) throw invalidArgument(`invalid part_count ${r.partCount}: at most ${MAX_PARTS} parts`);
      const ns = repository.storageNamespace;
      const key = storage.newAddress();
      const answer = { physicalAddress: key, addressType: "ADDRESS_TYPE_RELATIVE", presignedUrl: "", multipartUploadId: "", partUrls: [] as string[], direct: null as StoreAccess | null, expiresAt: 0 };
      if (r.partCount > 1) {
        const store = storage.store(ns);
        if (storage.location(ns).kind !== "s3") throw failedPrecondition(`storage namespace ${ns}: multipart uploads with presigned parts need an S3 store; upload with one PUT or direct access`);
        const upload = await store.createMultipartUpload(key, { contentType: r.contentType || undefined });
        await recordUpload(repository, r, upload.uploadId, key, "", ctx.caller.user.id);
        answer.multipartUploadId = upload.uploadId;
        answer.partUrls = await storage.presignParts(ns, key, upload.uploadId, Array.from({ length: r.partCount }, (_v, i) => i + 1));
        answer.expiresAt = storage.expiresAt();
        return answer;
      }
      const direct = r.presign ? undefined : storage.direct(ns, key);
      if (direct) {
        answer.direct = direct;
        return answer;
      }
      answer.presignedUrl = await storage.presign(ns, key, "PUT");
      answer.expiresAt = storage.expiresAt();
      return answer;
    }),

    PresignUploadParts: unary(async (r: PresignUploadPartsRequest) => {
      const repository = await onBranch(r.repository, r.branch);
      const key = keyOf(repository, r.physicalAddress, false);
      if (r.multipartUploadId === "") throw invalidArgument("multipart_upload_id is required");
      const partUrls = await storage.presignParts(repository.storageNamespace, key, r.multipartUploadId, r.partNumbers);
      return { partUrls, expiresAt: storage.expiresAt() };
    }),

    AbortMultipartUpload: unary(async (r: AbortMultipartUploadRequest) => {
      const repository = await onBranch(r.repository, r.branch);
      const key = keyOf(repository, r.physicalAddress, false);
      if (r.multipartUploadId === "") throw invalidArgument("multipart_upload_id is required");
      await storage.store(repository.storageNamespace).abortMultipartUpload({ key, uploadId: r.multipartUploadId });
      await forgetUpload(r.repository, r.branch, r.path, r.multipartUploadId);
      return {};
    }),

    ListMultipartUploads: unary(async (r: ListMultipartUploadsRequest) => {
      const repository = await graveler.getRepository(r.repository);
      return listUploadRecords(deps.kv, repository.id, r);
    }),

    RecordMultipartUpload: unary(async (r: RecordMultipartUploadRequest, ctx) => {
      const repository = await onBranch(r.repository, r.branch);
      if (r.physicalAddress === "") throw invalidArgument("physical_address is required");
      await recordUpload(repository, r, r.uploadId, keyOf(repository, r.physicalAddress, false), r.clientUploadId, ctx.caller.user.id);
      return {};
    }),

    ForgetMultipartUpload: unary(async (r: ForgetMultipartUploadRequest) => {
      await onBranch(r.repository, r.branch);
      if (r.uploadId === "") throw invalidArgument("upload_id is required");
      await forgetUpload(r.repository, r.branch, r.path, r.uploadId);
      return {};
    }),

    ListParts: unary(async (r: ListPartsRequest) => {
      const repository = await onBranch(r.repository, r.branch);
      const key = keyOf(repository, r.physicalAddress, false);
      if (r.multipartUploadId === "") throw invalidArgument("multipart_upload_id is required");
      const max = r.maxParts === 0 || r.maxParts > MAX_LISTED_PARTS ? MAX_LISTED_PARTS : r.maxParts;
      const parts = await storage.store(repository.storageNamespace).listParts({ key, uploadId: r.multipartUploadId });
      const after = parts.filter((p) => p.partNumber > r.partNumberMarker);
      const page = after.slice(0, max);
      return {
        parts: page.map((p) => ({ partNumber: p.partNumber, etag: p.etag, sizeBytes: p.size })),
        isTruncated: after.length > page.length,
        nextPartNumberMarker: page.length > 0 ? page[page.length - 1].partNumber : r.partNumberMarker,
      };
    }),

    StageObject: unary(async (r: StageObjectRequest) => {
      const target = await stagingTarget(deps, r.repository, r.branch);
      const item = await stagingItem(target, r);
      await stageOnBranch(deps, target, (token) => item.mutations(token, target.branch.id), r.ifAbsent ? absentGuard(deps, item.exists, item.path) : undefined);
      return item.stats;
    }),

    StageObjects: unary(async (r: StageObjectsRequest) => {
      if (r.objects.length > MAX_STAGED) throw invalidArgument(`${r.objects.length} objects in one StageObjects call: at most ${MAX_STAGED}`);
      // Each item is checked as its own StageObject would be (its branch, then its path and entry), and fails
      // alone with that call's error; staging-batch.ts writes the rest together.
      const targets = await batchTargets(deps, r.repository, r.objects.map((o) => o.branch), perObject);
      const items = await Promise.all(
        r.objects.map(async (o) => {
          const target = targets.get(o.branch)!;
          if (target instanceof TarnError) return target;
          return stagingItem(target, { ...o, repository: r.repository }).catch((err: unknown) => {
            if (perObject(err)) return err;
            throw err;
          });
        }),
      );
      const errors = await stageBatch(deps, r.repository, items, targets, perObject);
      return {
        results: items.map((it, i) => {
          const err = errors[i];
          if (!err) return { stats: (it as StagedItem).stats, errorCode: "", errorMessage: "" };
          // The status a StageObject of the item would have ended with, by name.
          return { stats: null, ...itemError(err) };
        }),
      };
    }),

    GetObject: unary(async (r: GetObjectRequest) => {
      const repository = await graveler.getRepository(r.repository);
      if (r.ref === "") throw invalidArgument("ref is required");
      const entry = await graveler.getObject(r.repository, r.ref, r.path);
      const answer = { stats: objectStats(r.path, entry), presignedUrl: "", direct: null as StoreAccess | null, expiresAt: 0 };
      if (entry.addressType !== "relative") return answer; // imported from elsewhere: the client reads the full URI itself
      const ns = repository.storageNamespace;
      const direct = r.presign ? undefined : storage.direct(ns, entry.physicalAddress);
      if (direct) answer.direct = direct;
      else {
        answer.presignedUrl = await storage.presign(ns, entry.physicalAddress, "GET");
        answer.expiresAt = storage.expiresAt();
      }
      return answer;
    }),

    StatObject: unary(async (r: StatObjectRequest) => {
      if (r.ref === "") throw invalidArgument("ref is required");
      return objectStats(r.path, await statObject(deps, r.repository, r.ref, r.path));
    }),

    StatObjects: unary(async (r: StatObjectsRequest) => {
      if (r.objects.length > MAX_STATS) throw invalidArgument(`${r.objects.length} objects in one StatObjects call: at most ${MAX_STATS}`);
      const results = await Promise.all(
        r.objects.map(async (o) => {
          try {
            if (o.ref === "") throw invalidArgument("ref is required");
            return { stats: objectStats(o.path, await statObject(deps, r.repository, o.ref, o.path)), errorCode: "", errorMessage: "" };
          } catch (err) {
            // Each lookup fails on its own, as its own StatObject would have; anything else fails the call.
            if (!perObject(err)) throw err;
            return { stats: null, ...itemError(err) };
          }
        }),
      );
      return { results };
    }),

    ListObjects: stream(async function* (r: ListObjectsRequest) {
      if (r.ref === "") throw invalidArgument("ref is required");
      let remaining = r.amount === 0 ? Infinity : r.amount;
      let after = r.after;
      for (;;) {
        const batch = Math.min(LIST_BATCH, remaining);
        const page = await graveler.listObjects(r.repository, r.ref, { prefix: r.prefix, delimiter: r.delimiter, after, amount: batch });
        const results = page.results.map((l) => ("commonPrefix" in l ? commonPrefixStats(l.commonPrefix) : objectStats(l.path, l.entry)));
        if (results.length > 0) after = results[results.length - 1].path;
        remaining -= results.length;
        const last = !page.hasMore || remaining <= 0;
        yield { results, pagination: last ? pagination(results.length, page.hasMore, after, batch) : null };
        if (last) return;
      }
    }),

    DeleteObject: unary(async (r: DeleteObjectRequest) => {
      await graveler.deleteObject(r.repository, r.branch, r.path);
      return {};
    }),

    DeleteObjects: unary(async (r: DeleteObjectsRequest) => {
      if (r.paths.length > MAX_DELETE) throw invalidArgument(`${r.paths.length} paths given: at most ${MAX_DELETE} per call`);
      const paths = r.paths.map((p) => validPath(p));
      const target = await stagingTarget(deps, r.repository, r.branch);
      const errors: ObjectError[] = [];
      const present: string[] = [];
      for (const p of new Set(paths)) {
        const found = await graveler.getObject(r.repository, r.branch, p).then(() => true, (err: unknown) => (hasCode(err, "NOT_FOUND") ? false : Promise.reject(err)));
        if (found) present.push(p);
        else errors.push({ path: p, code: "NOT_FOUND", message: `object ${p} not found on branch ${r.branch} of repository ${r.repository}` });
      }
      // One batch of tombstones in the branch's current staging token (staging-write.ts), so a concurrent
      // commit cannot split it.
      if (present.length > 0) await stageOnBranch(deps, target, (token) => present.map((p) => graveler.staging.setMutation(token, p, undefined)));
      return { errors };
    }),
  };
}
