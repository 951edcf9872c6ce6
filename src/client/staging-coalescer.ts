// Group commit for staging writes, on the client's side. Each StageObject costs the service a whole call
// (HTTP/2 stream, signature check, authorization, Raft proposal, LevelDB batch) for a few hundred bytes of
// metadata, so under concurrency the calls of one client are coalesced: while `maxInFlight` staging calls of
// this client are on their way, new ones wait, and go together as one StageObjects call per repository as
// soon as one of those answers. A lone call with nothing in flight goes at once as a plain StageObject, so
// concurrency 1 pays nothing. Each caller gets its own item's entry, or an ApiError with the status and
// message a plain StageObject would have given it.
//
// A service that does not know StageObjects (UNIMPLEMENTED: a member not yet upgraded) gets one StageObject
// per item, and no batches from this client for a minute.
import * as grpc from "@grpc/grpc-js";
import type * as M from "../metadata/messages";
import { ApiError } from "./errors";

/** The service's limit per StageObjects call. */
export const MAX_STAGE_BATCH = 1000;
/**
 * Estimated request bytes per StageObjects call: well inside the 4 MiB message limit of both sides, however
 * large the items' paths and metadata (an item larger than this alone goes as a plain StageObject).
 */
const BATCH_BYTES = 1024 * 1024;
/** How long a client that met a service without StageObjects sends plain calls only. */
const UNSUPPORTED_MS = 60_000;

export interface StagingCalls {
  stageObject(r: Partial<M.StageObjectRequest>): Promise<M.ObjectStats>;
  stageObjects(r: { repository: string; objects: Partial<M.StageObjectsItem>[] }): Promise<M.StageObjectsResponse>;
  /** The member that answers calls now (ApiError.endpoint of a per-item error). */
  endpoint(): string;
}

interface Waiting {
  request: Partial<M.StageObjectRequest>;
  resolve(stats: M.ObjectStats): void;
  reject(err: unknown): void;
}

export class StagingCoalescer {
  private inFlight = 0;
  /** Calls waiting for a slot, by repository, oldest repository first. */
  private queued = new Map<string, Waiting[]>();
  private flushScheduled = false;
  private unsupportedUntil = 0;

  constructor(
    private readonly calls: StagingCalls,
    /** Staging calls (plain or batched) this client keeps on their way at once. */
    private readonly maxInFlight = 2,
    private readonly maxBatch = MAX_STAGE_BATCH,
  ) {}

  stage(request: Partial<M.StageObjectRequest>): Promise<M.ObjectStats> {
    if (this.inFlight === 0 && this.queued.size === 0) return this.track(this.calls.stageObject(request));
    if (Date.now() < this.unsupportedUntil) return this.calls.stageObject(request);
    return new Promise((resolve, reject) => {
      const repository = request.repository ?? "";
      let list = this.queued.get(repository);
      if (!list) this.queued.set(repository, (list = []));
      list.push({ request, resolve, reject });
      // A free slot takes what queued during this turn of the event loop (calls started together go together).
      if (this.inFlight < this.maxInFlight && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Sends queued calls while there are free slots: one batch per slot, the oldest repository first. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queued.size > 0) {
      const [repository, list] = this.queued.entries().next().value as [string, Waiting[]];
      this.queued.delete(repository);
      const batch = list.splice(0, batchLength(list, this.maxBatch));
      // The rest of a long queue goes after the other repositories.
      if (list.length > 0) this.queued.set(repository, list);
      void this.track(this.send(repository, batch));
    }
  }

  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      this.pump();
    };
    call.then(done, done);
    return call;
  }

  private async send(repository: string, batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch;
      return this.calls.stageObject(one.request).then(one.resolve, one.reject);
    }
    let answer: M.StageObjectsResponse;
    try {
      answer = await this.calls.stageObjects({ repository, objects: batch.map((w) => item(w.request)) });
    } catch (err) {
      if (err instanceof ApiError && err.statusName === "UNIMPLEMENTED") {
        this.unsupportedUntil = Date.now() + UNSUPPORTED_MS;
        await Promise.all(batch.map((w) => this.calls.stageObject(w.request).then(w.resolve, w.reject)));
        return;
      }
      for (const w of batch) w.reject(err);
      return;
    }
    const endpoint = this.calls.endpoint();
    batch.forEach((w, i) => {
      const r = answer.results[i];
      if (r?.stats) w.resolve(r.stats);
      else if (r) w.reject(new ApiError(statusOf(r.errorCode), r.errorMessage, endpoint));
      else w.reject(new ApiError(grpc.status.INTERNAL, `StageObjects answered ${answer.results.length} results for ${batch.length} objects`, endpoint));
    });
  }
}

/** How many of the first items of `list` go in one call: at most `max`, about BATCH_BYTES at most, one at least. */
function batchLength(list: Waiting[], max: number): number {
  let bytes = 0;
  for (let n = 0; n < Math.min(list.length, max); n++) {
    bytes += estimatedBytes(list[n].request);
    if (bytes > BATCH_BYTES) return Math.max(n, 1);
  }
  return Math.min(list.length, max);
}

/** An upper bound of an item's encoded size, near enough (strings count once per UTF-16 unit, up to 3 bytes each). */
function estimatedBytes(r: Partial<M.StageObjectRequest>): number {
  let chars = (r.path?.length ?? 0) + (r.physicalAddress?.length ?? 0) + (r.checksum?.length ?? 0) + (r.contentType?.length ?? 0) + (r.completesUploadId?.length ?? 0) + (r.branch?.length ?? 0);
  for (const [k, v] of Object.entries(r.userMetadata ?? {})) chars += k.length + v.length + 8;
  for (const part of r.multipart?.parts ?? []) chars += part.etag.length + 8;
  return 3 * chars + 64 + (r.multipart?.uploadId.length ?? 0) * 3;
}

/** A StageObjectRequest without its repository: one item of a StageObjects call. */
function item(r: Partial<M.StageObjectRequest>): Partial<M.StageObjectsItem> {
  const { repository: _repository, ...rest } = r;
  return rest;
}

function statusOf(name: string): grpc.status {
  const status = (grpc.status as unknown as Record<string, number | undefined>)[name];
  return typeof status === "number" ? status : grpc.status.INTERNAL;
}
