// What a ref shows: its committed tree, overlaid by the branch's staged entries when the ref is a branch.
// An async cursor over both, for listings; staged tombstones hide committed entries.
import type { CommittedCursor } from "./committed/cursor";
import type { MergedStagingCursor } from "./staging/cursor";

export class ViewCursor {
  private key: Buffer | undefined;
  private value: Buffer | undefined;
  private stagedValid = false;
  private committedValid = false;

  constructor(
    private readonly staged: MergedStagingCursor | undefined,
    private readonly committed: CommittedCursor,
  ) {}

  get valid(): boolean {
    return this.key !== undefined;
  }

  current(): { key: Buffer; value: Buffer } {
    return { key: this.key!, value: this.value! };
  }

  async seekGE(key: Buffer): Promise<boolean> {
    // Both seeks start before either is awaited (each may wait for I/O).
    const staged = this.staged?.seekGE(key);
    const committed = this.committed.seekGE(key);
    this.stagedValid = staged !== undefined && (await staged);
    this.committedValid = await committed;
    return this.settle();
  }

  async next(): Promise<boolean> {
    if (!this.key) return false;
    const at = this.key;
    await this.advancePast(at);
    return this.settle();
  }

  private async advancePast(at: Buffer): Promise<void> {
    const steps: Promise<void>[] = [];
    if (this.stagedValid && this.staged!.current().path.equals(at)) steps.push(this.staged!.next().then((v) => void (this.stagedValid = v)));
    if (this.committedValid && this.committed.key().equals(at)) steps.push(this.committed.next().then((v) => void (this.committedValid = v)));
    await Promise.all(steps);
  }

  /** Positions on the smallest visible key, skipping tombstones. */
  private async settle(): Promise<boolean> {
    for (;;) {
      const s = this.stagedValid ? this.staged!.current() : undefined;
      const c = this.committedValid ? this.committed.key() : undefined;
      if (!s && !c) {
        this.key = this.value = undefined;
        return false;
      }
      const cmp = !s ? 1 : !c ? -1 : Buffer.compare(s.path, c);
      if (cmp <= 0) {
        if (s!.value === undefined) {
          await this.advancePast(s!.path);
          continue;
        }
        this.key = s!.path;
        this.value = s!.value;
      } else {
        // The committed cursor hands out a fresh key and a view of an immutable block: neither needs a copy.
        this.key = c!;
        this.value = this.committed.value();
      }
      return true;
    }
  }

  close(): void {
    this.committed.close();
  }
}
