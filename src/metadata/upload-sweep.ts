// The sweep of abandoned multipart uploads recorded in the replicated state (upload-records.ts): S3 and Azure
// uploads a client started and never completed nor aborted. Run by the Raft leader only, a little after it
// became leader and then periodically; a member that is not leader does nothing. Each pass reads a bounded
// number of records (continuing where the last pass stopped) and, for each older than the age limit:
//   - S3 store: aborts the store's upload (its parts stop costing storage); NoSuchUpload means done already
//     (a missing bucket does not: the store may be misconfigured, so the record stays and is retried).
//   - Azure store: nothing on the store. Staged blocks expire by themselves; the gateway's abort writes an
//     empty block list only while the upload's SAS URL still works (multipart-azure.ts) and otherwise just
//     forgets the record. So an Azure record is swept only once that URL has expired too (the presign
//     lifetime, 15 minutes by default, when it exceeds the age limit): the upload can no longer complete.
//   - Local store, or a repository that no longer exists: nothing on the store (the gateway sweeps local
//     upload directories itself).
// Then the record is dropped with the same replicated write ForgetMultipartUpload makes, on condition that it
// is still the version read, so a record re-recorded or completed meanwhile is not lost. A failure is logged
// and the record is tried again next pass; the sweep never fails or delays an API call.
import { Counter, type Registry } from "prom-client";
import { MissingStoreError } from "../block";
import { hasCode } from "../errors";
import type { KvStore, Repository } from "../graveler";
import type { Logger } from "./logger";
import type { Storage } from "./storage";
import { dropUnchangedUploadRecord, scanUploadRecords, type StoredUploadRecord } from "./upload-records";

export interface UploadSweepOptions {
  kv: KvStore;
  repositories: { getRepository(name: string): Promise<Repository> };
  storage: Storage;
  /** Whether this member leads now; checked before each pass and each record. */
  isLeader: () => boolean;
  logger: Logger;
  /** Uploads initiated longer ago than this are swept (the gateway's DEFAULT_UPLOAD_MAX_AGE_MS, 7 days). */
  maxAgeMs: number;
  /** Time between passes while leading; default an hour. */
  intervalMs?: number;
  /** Time from becoming leader to the first pass; default a minute. */
  firstDelayMs?: number;
  /** How often leadership is looked at; default 5 seconds. */
  checkMs?: number;
  /** Records read per pass at most; default 10,000 (the next pass continues after them). */
  maxScannedPerPass?: number;
  /** Uploads swept or failed per pass at most; default 1,000. */
  maxSweptPerPass?: number;
  /** The clock uploads are aged by (ms since the epoch); injected by tests. */
  now?: () => number;
  /** Where the swept-uploads counter goes. */
  registry?: Registry;
}

export interface SweepPassResult {
  scanned: number;
  swept: number;
  failed: number;
  /** True when the pass read up to the last record (the next one starts from the first). */
  wrapped: boolean;
}

const PAGE = 1000;

/** The store does not know the upload (completed, aborted or never created); not a missing bucket. */
const isNoSuchUpload = (err: unknown) => hasCode(err, "NOT_FOUND") && !(err instanceof MissingStoreError);

type Outcome = "young" | "swept" | "changed" | "failed";

export class UploadSweep {
  private readonly intervalMs: number;
  private readonly firstDelayMs: number;
  private readonly checkMs: number;
  private readonly maxScanned: number;
  private readonly maxSwept: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly swept?: Counter<"store">;
  private cursor: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextPassAt: number | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  /** Set by stop(): a pass in progress ends after its current record. */
  private halting = false;

  constructor(private readonly o: UploadSweepOptions) {
    this.intervalMs = o.intervalMs ?? 3600_000;
    this.firstDelayMs = o.firstDelayMs ?? 60_000;
    this.checkMs = o.checkMs ?? 5000;
    this.maxScanned = o.maxScannedPerPass ?? 10_000;
    this.maxSwept = o.maxSweptPerPass ?? 1000;
    this.now = o.now ?? Date.now;
    this.logger = o.logger.child({ component: "upload-sweep" });
    if (o.registry) {
      this.swept = new Counter({
        name: "tarn_multipart_uploads_swept_total",
        help: "Recorded multipart uploads older than the age limit that the leader aborted and forgot, by store kind",
        labelNames: ["store"] as const,
        registers: [o.registry],
      });
    }
  }

  /** Watches leadership: the first pass `firstDelayMs` after this member becomes leader, then every `intervalMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halting = false;
    this.schedule();
  }

  /** Stops the timer and waits for a pass in progress (which stops after its current record). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.checkMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.o.isLeader()) {
      this.nextPassAt = undefined;
      return this.schedule();
    }
    const at = Date.now();
    this.nextPassAt ??= at + this.firstDelayMs;
    if (at < this.nextPassAt) return this.schedule();
    this.running = this.runPass()
      .catch((err: unknown) => this.logger.warn("multipart upload sweep failed; retried next pass", { error: err }))
      .finally(() => {
        this.running = undefined;
        this.nextPassAt = Date.now() + this.intervalMs;
        this.schedule();
      });
  }

  /**
   * One pass over at most `maxScannedPerPass` records from where the last one stopped; undefined on a
   * member that does not lead. Failures of single uploads are logged and counted, not thrown.
   */
  async runPass(): Promise<SweepPassResult | undefined> {
    if (!this.o.isLeader()) return undefined;
    const result: SweepPassResult = { scanned: 0, swept: 0, failed: 0, wrapped: false };
    const now = this.now();
    let after = this.cursor;
    pages: while (result.scanned < this.maxScanned) {
      const limit = Math.min(PAGE, this.maxScanned - result.scanned);
      const page = await scanUploadRecords(this.o.kv, after, limit);
      for (const rec of page) {
        if (this.halting || !this.o.isLeader() || result.swept + result.failed >= this.maxSwept) break pages;
        result.scanned++;
        after = rec.key;
        const outcome = await this.sweepOne(rec, now);
        if (outcome === "swept") result.swept++;
        else if (outcome === "failed") result.failed++;
      }
      if (page.length < limit) {
        after = undefined;
        result.wrapped = true;
        break;
      }
    }
    this.cursor = after;
    if (result.swept > 0 || result.failed > 0) this.logger.info("multipart upload sweep pass", { ...result });
    return result;
  }

  private async sweepOne(rec: StoredUploadRecord, now: number): Promise<Outcome> {
    const u = rec.upload;
    const fields = { repository: rec.repo, branch: u?.branch, path: u?.path, uploadId: u?.uploadId };
    if (!u) {
      this.logger.error("unreadable multipart upload record left in place", { ...fields, key: rec.key.toString("utf8"), error: rec.error });
      return "failed";
    }
    try {
      const repository = await this.o.repositories.getRepository(rec.repo).catch((err: unknown) => (hasCode(err, "NOT_FOUND") ? undefined : Promise.reject(err)));
      const kind = repository ? this.o.storage.location(repository.storageNamespace).kind : "none";
      const ageLimit = kind === "azure" ? Math.max(this.o.maxAgeMs, this.o.storage.expirySeconds * 1000) : this.o.maxAgeMs;
      if (u.initiated * 1000 > now - ageLimit) return "young";
      if (kind === "s3" && repository) {
        await this.o.storage
          .store(repository.storageNamespace)
          .abortMultipartUpload({ key: u.physicalAddress, uploadId: u.uploadId })
          .catch((err: unknown) => (isNoSuchUpload(err) ? undefined : Promise.reject(err)));
      }
      const forgotten = await this.o.kv.write(dropUnchangedUploadRecord(rec.key, rec.version)).then(
        () => true,
        (err: unknown) => (hasCode(err, "FAILED_PRECONDITION") ? false : Promise.reject(err)),
      );
      if (!forgotten) {
        this.logger.debug("multipart upload record changed during the sweep; kept", fields);
        return "changed";
      }
      this.swept?.inc({ store: kind });
      this.logger.info("swept abandoned multipart upload", { ...fields, store: kind, initiated: new Date(u.initiated * 1000).toISOString() });
      return "swept";
    } catch (err) {
      this.logger.warn("could not sweep multipart upload; retried next pass", { ...fields, error: err });
      return "failed";
    }
  }
}
