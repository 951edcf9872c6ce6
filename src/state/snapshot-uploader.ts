// Snapshots leave a member in two steps, so that the Raft loop (which waits for snapshot()) never waits for
// the object store and a flaky store never stops a member:
//
//   1. snapshot() writes the table to <dir>/snapshots/<index>-<term>.sst (fsynced, then renamed in: a file
//      there is always whole) and returns its reference;
//   2. this uploader puts it in the snapshot store in the background, retrying with backoff, and resumes
//      after a restart with whatever is still in the directory.
//
// Until the upload is done the member serves the file itself (readSnapshot, the leader's fallback stream).
// The newest local file is kept after its upload; older ones are removed.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Applied } from "./keyspace";
import { parseSnapshotKey, SNAPSHOT_PREFIX, SnapshotStore } from "./snapshot-store";

const MAX_BACKOFF_MS = 5_000;

export class SnapshotUploader {
  private readonly queue: string[] = [];
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  /** The newest reference known to be in the store. */
  lastUploaded?: string;

  constructor(
    private readonly snapshots: SnapshotStore,
    readonly dir: string,
    private readonly log?: (message: string) => void,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Queues every whole snapshot file left in the directory (a restart before their upload finished). */
  resume(): void {
    const found = fs
      .readdirSync(this.dir)
      .map((name) => `${SNAPSHOT_PREFIX}${name}`)
      .filter((ref) => parseSnapshotKey(ref) !== undefined)
      .sort((a, b) => parseSnapshotKey(a)!.index - parseSnapshotKey(b)!.index);
    for (const ref of found) this.enqueue(ref);
  }

  localFile(reference: string): string {
    return path.join(this.dir, reference.slice(SNAPSHOT_PREFIX.length));
  }

  /** Moves a finished table into the directory under its reference's name. */
  adopt(tempFile: string, applied: Applied): string {
    const reference = `${SNAPSHOT_PREFIX}${applied.index}-${applied.term}.sst`;
    fs.renameSync(tempFile, this.localFile(reference));
    const fd = fs.openSync(this.dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return reference;
  }

  enqueue(reference: string): void {
    if (this.stopped || this.queue.includes(reference)) return;
    this.queue.push(reference);
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** The snapshot's bytes when this member still has its file. */
  readLocal(reference: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.localFile(reference));
    } catch {
      return undefined;
    }
  }

  /** Uploads still to do. */
  pending(): number {
    return this.queue.length;
  }

  /** Stops after the upload in progress (the rest resumes at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.queue.length > 0 && !this.stopped) {
      const reference = this.queue[0];
      const file = this.localFile(reference);
      try {
        if (fs.existsSync(file)) await this.snapshots.upload(file, parseSnapshotKey(reference)!);
        this.queue.shift();
        this.lastUploaded = reference;
        this.removeOlderThan(reference);
        backoff = 100;
      } catch (err) {
        this.log?.(`snapshot ${reference} not uploaded to ${this.snapshots.store.uri} yet (retrying in ${backoff} ms): ${(err as Error).message}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private removeOlderThan(reference: string): void {
    const newest = parseSnapshotKey(reference)!.index;
    for (const name of fs.readdirSync(this.dir)) {
      const ref = `${SNAPSHOT_PREFIX}${name}`;
      const applied = parseSnapshotKey(ref);
      if (applied && applied.index < newest && !this.queue.includes(ref)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}
