// Retry timing for calls that failed with UNAVAILABLE (no leader yet, a member down): exponential backoff
// with full jitter, capped, and a bounded number of attempts. Pure; the random source is injectable.
export interface RetryPolicy {
  /** Total attempts, the first included. Default 10. */
  attempts: number;
  /** The first retry waits up to this. Default 50 ms. */
  baseMs: number;
  /** No wait is longer than this. Default 2000 ms. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseMs: 50, maxMs: 2000 };

/** How long to wait before retry number `retry` (1 = the first retry): uniform in [0, min(max, base·2^(retry-1))]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
