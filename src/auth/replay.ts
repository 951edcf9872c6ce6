// Refuses a signed request seen before. A replay carries the same signed date, so nonces are remembered in
// one bucket per second of request date and forgotten once that second leaves the acceptance window.
//
// Memory is capped: when full, the oldest second is forgotten and requests dated at or before it are
// refused from then on ("too old to check"), so the guard never lets a replay through; only a client
// whose clock lags by minutes under very heavy load sees refusals. Each metadata member keeps its own
// guard, so a captured request could be replayed once against each member: run the API over TLS.
import { DEFAULT_WINDOW_MS, formatSigningDate, unauthenticated } from "./canonical";

export class ReplayGuard {
  private readonly buckets = new Map<number, Set<string>>();
  private entries = 0;
  /** Requests dated before this second can no longer be checked and are refused. */
  private floorSecond = -Infinity;

  constructor(
    private readonly windowMs: number = DEFAULT_WINDOW_MS,
    private readonly maxEntries: number = 1_000_000,
  ) {}

  get size(): number {
    return this.entries;
  }

  /** Records (signer, nonce) of a verified request dated `date`; throws UNAUTHENTICATED on a replay. */
  check(signer: string, nonce: string, date: number, now: number): void {
    this.forgetBefore(Math.floor((now - this.windowMs) / 1000));
    const second = Math.floor(date / 1000);
    if (second < this.floorSecond) {
      throw unauthenticated(`request dated ${formatSigningDate(new Date(date))} is too old to check for replay under the current load: sign it again`);
    }
    const key = `${signer}\n${nonce}`;
    let bucket = this.buckets.get(second);
    if (bucket?.has(key)) throw unauthenticated(`replayed request: nonce ${nonce} of ${signer} was already used`);
    if (!bucket) this.buckets.set(second, (bucket = new Set()));
    bucket.add(key);
    this.entries++;
    while (this.entries > this.maxEntries) this.forgetBefore(this.oldestSecond() + 1);
  }

  private oldestSecond(): number {
    let oldest = Infinity;
    for (const second of this.buckets.keys()) oldest = Math.min(oldest, second);
    return oldest;
  }

  private forgetBefore(second: number): void {
    if (second <= this.floorSecond) return;
    this.floorSecond = second;
    for (const [s, bucket] of this.buckets) {
      if (s < second) {
        this.entries -= bucket.size;
        this.buckets.delete(s);
      }
    }
  }
}
