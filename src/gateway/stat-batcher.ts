// Concurrent reads through the gateway each need one StatObject. Under load they arrive many at a time, so
// the lookups queued in one turn of the event loop go to the metadata service as one StatObjects call per
// caller and repository: one gRPC round, one signature check and one authorization for the lot, instead of
// one each. A lone lookup still goes as a plain StatObject. Each caller keeps its own batches (its own
// client), so the service applies each user's policy.
import { TarnError, type ErrorCode } from "../errors";
import { ApiError } from "../client";
import type { TarnClient } from "../client";
import type * as M from "../metadata/messages";

interface Waiting {
  ref: string;
  path: string;
  resolve(stats: M.ObjectStats): void;
  reject(err: unknown): void;
}

/** The service's limit per call. */
const MAX_BATCH = 1000;

export class StatBatcher {
  private queued = new Map<TarnClient, Map<string, Waiting[]>>();
  private scheduled = false;

  stat(client: TarnClient, repository: string, ref: string, path: string): Promise<M.ObjectStats> {
    return new Promise((resolve, reject) => {
      let byRepo = this.queued.get(client);
      if (!byRepo) this.queued.set(client, (byRepo = new Map()));
      let list = byRepo.get(repository);
      if (!list) byRepo.set(repository, (list = []));
      list.push({ ref, path, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = new Map();
    this.scheduled = false;
    for (const [client, byRepo] of queued) {
      for (const [repository, list] of byRepo) {
        for (let at = 0; at < list.length; at += MAX_BATCH) void send(client, repository, list.slice(at, at + MAX_BATCH));
      }
    }
  }
}

async function send(client: TarnClient, repository: string, batch: Waiting[]): Promise<void> {
  if (batch.length === 1) {
    const [one] = batch;
    return client.statObject({ repository, ref: one.ref, path: one.path }).then(one.resolve, one.reject);
  }
  let answer: M.StatObjectsResponse;
  try {
    answer = await client.statObjects({ repository, objects: batch.map(({ ref, path }) => ({ ref, path })) });
  } catch (err) {
    // A member that predates StatObjects (a rolling upgrade): one StatObject each, as before.
    if (err instanceof ApiError && err.statusName === "UNIMPLEMENTED") {
      for (const w of batch) client.statObject({ repository, ref: w.ref, path: w.path }).then(w.resolve, w.reject);
      return;
    }
    for (const w of batch) w.reject(err);
    return;
  }
  batch.forEach((w, i) => {
    const r = answer.results[i];
    if (r?.stats) w.resolve(r.stats);
    else if (r) w.reject(new TarnError((r.errorCode || "INTERNAL") as ErrorCode, r.errorMessage));
    else w.reject(new TarnError("INTERNAL", `StatObjects answered ${answer.results.length} results for ${batch.length} objects`));
  });
}
