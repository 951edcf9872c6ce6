// Group commit on the client's side, for calls that have a batch form (StageObject and StageObjects,
// CreateBranch and CreateBranches). Each small call costs the service a whole call (HTTP/2 stream, signature
// check, authorization, decoding) for a few hundred bytes of work, so under concurrency the calls of one
// client are coalesced: while `maxInFlight` of them are on their way, new ones wait, and go together as one
// batch call per group (a repository) as soon as one of those answers. A lone call with nothing in flight
// goes at once as a plain call, so concurrency 1 pays nothing. Each caller gets its own item's answer, or an
// ApiError with the status and message the plain call would have given it.
//
// A service that does not know the batch call (UNIMPLEMENTED: a member not yet upgraded) gets one plain call
// per item, and no batches from this client for a minute.
import * as grpc from "@grpc/grpc-js";
import { ApiError } from "./errors";

/** How long a client that met a service without the batch call sends plain calls only. */
const UNSUPPORTED_MS = 60_000;

/** One item's answer in a batch response: the value, or the status name and message of the plain call. */
export type ItemAnswer<T> = { value: T } | { errorCode: string; errorMessage: string };

export interface CoalescedCall<R, T> {
  /** The plain call of one request. */
  one(request: R): Promise<T>;
  /** The batch call of requests of one group; its answers in request order. */
  many(group: string, requests: R[]): Promise<ItemAnswer<T>[]>;
  /** The group a request goes in (requests of one batch share it). */
  groupOf(request: R): string;
  /** The batch call's name, for the error of an answer that does not match the batch. */
  batchName: string;
  /** At most this many items per batch. */
  maxBatch: number;
  /** At most about this many request bytes per batch (a longer item alone goes as a plain call). */
  maxBatchBytes: number;
  /** An upper bound of a request's encoded size, near enough. */
  estimatedBytes(request: R): number;
  /** The member that answers calls now (ApiError.endpoint of a per-item error). */
  endpoint(): string;
}

interface Waiting<R, T> {
  request: R;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export class Coalescer<R, T> {
  private inFlight = 0;
  /** Calls waiting for a slot, by group, oldest group first. */
  private queued = new Map<string, Waiting<R, T>[]>();
  private flushScheduled = false;
  private unsupportedUntil = 0;

  constructor(
    private readonly calls: CoalescedCall<R, T>,
    /** Calls (plain or batched) this client keeps on their way at once. */
    private readonly maxInFlight = 2,
  ) {}

  call(request: R): Promise<T> {
    if (this.inFlight === 0 && this.queued.size === 0) return this.track(this.calls.one(request));
    if (Date.now() < this.unsupportedUntil) return this.calls.one(request);
    return new Promise((resolve, reject) => {
      const group = this.calls.groupOf(request);
      let list = this.queued.get(group);
      if (!list) this.queued.set(group, (list = []));
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

  /** Sends queued calls while there are free slots: one batch per slot, the oldest group first. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queued.size > 0) {
      const [group, list] = this.queued.entries().next().value as [string, Waiting<R, T>[]];
      this.queued.delete(group);
      const batch = list.splice(0, this.batchLength(list));
      // The rest of a long queue goes after the other groups.
      if (list.length > 0) this.queued.set(group, list);
      void this.track(this.send(group, batch));
    }
  }

  private track<U>(call: Promise<U>): Promise<U> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      this.pump();
    };
    call.then(done, done);
    return call;
  }

  private async send(group: string, batch: Waiting<R, T>[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch;
      return this.calls.one(one.request).then(one.resolve, one.reject);
    }
    let answers: ItemAnswer<T>[];
    try {
      answers = await this.calls.many(group, batch.map((w) => w.request));
    } catch (err) {
      if (err instanceof ApiError && err.statusName === "UNIMPLEMENTED") {
        this.unsupportedUntil = Date.now() + UNSUPPORTED_MS;
        await Promise.all(batch.map((w) => this.calls.one(w.request).then(w.resolve, w.reject)));
        return;
      }
      for (const w of batch) w.reject(err);
      return;
    }
    const endpoint = this.calls.endpoint();
    batch.forEach((w, i) => {
      const a = answers[i];
      if (!a) w.reject(new ApiError(grpc.status.INTERNAL, `${this.calls.batchName} answered ${answers.length} results for ${batch.length} items`, endpoint));
      else if ("value" in a) w.resolve(a.value);
      else w.reject(new ApiError(statusOf(a.errorCode), a.errorMessage, endpoint));
    });
  }

  /** How many of the first items of `list` go in one call: at most maxBatch, about maxBatchBytes at most, one at least. */
  private batchLength(list: Waiting<R, T>[]): number {
    const max = Math.min(list.length, this.calls.maxBatch);
    let bytes = 0;
    for (let n = 0; n < max; n++) {
      bytes += this.calls.estimatedBytes(list[n].request);
      if (bytes > this.calls.maxBatchBytes) return Math.max(n, 1);
    }
    return max;
  }
}

function statusOf(name: string): grpc.status {
  const status = (grpc.status as unknown as Record<string, number | undefined>)[name];
  return typeof status === "number" ? status : grpc.status.INTERNAL;
}
