// Abandoned multipart uploads on local stores: an upload directory (multipart.ts) lives until it is completed
// or aborted, and a client that gives up leaves its parts on disk. The sweeper removes uploads older than an
// age limit (S3's lifecycle rules do the same with AbortIncompleteMultipartUpload). The gateway keeps no list
// of stores, so each store root is swept when the gateway first meets it (its first multipart call there
// after start) and then periodically while it runs.
import * as fsp from "node:fs/promises";
import * as path from "node:path";

/** Where upload directories live under a local store's root. */
export const UPLOADS = path.join(".tarn-local", "gateway-uploads");

export const DEFAULT_UPLOAD_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * Removes the upload directories under `root` started before `now - maxAgeMs` (by the `initiated` time of
 * their upload.json, or the directory's mtime when that is unreadable). Returns the upload ids removed.
 */
export async function sweepUploads(root: string, maxAgeMs: number, now = Date.now()): Promise<string[]> {
  const dir = path.join(root, UPLOADS);
  const ids = await fsp.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const id of ids) {
    const upload = path.join(dir, id);
    const started = await startedAt(upload);
    if (started === undefined || started >= now - maxAgeMs) continue;
    await fsp.rm(upload, { recursive: true, force: true });
    removed.push(id);
  }
  return removed;
}

async function startedAt(upload: string): Promise<number | undefined> {
  try {
    const info = JSON.parse(await fsp.readFile(path.join(upload, "upload.json"), "utf8")) as { initiated?: unknown };
    if (typeof info.initiated === "number") return info.initiated * 1000;
  } catch {
    // unreadable or half written: judge by the directory
  }
  return fsp.stat(upload).then((s) => s.mtimeMs, () => undefined);
}

export interface SweeperOptions {
  maxAgeMs?: number;
  /** How often every known root is swept again; default an hour. */
  intervalMs?: number;
  /** Told about failures (a sweep never fails a request). */
  onError?: (err: unknown, root: string) => void;
}

export class UploadSweeper {
  private readonly roots = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxAgeMs: number;
  private readonly intervalMs: number;

  constructor(private readonly options: SweeperOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_UPLOAD_MAX_AGE_MS;
    this.intervalMs = options.intervalMs ?? 3600 * 1000;
  }

  /** A local store root the gateway met: swept now if it is new, and periodically from then on. */
  seen(root: string): void {
    if (this.roots.has(root)) return;
    if (this.roots.size >= 10_000) return; // bounded: a gateway meets few stores
    this.roots.add(root);
    void this.sweep(root);
    this.timer ??= setInterval(() => {
      for (const r of this.roots) void this.sweep(r);
    }, this.intervalMs).unref();
  }

  private async sweep(root: string): Promise<void> {
    try {
      await sweepUploads(root, this.maxAgeMs);
    } catch (err) {
      this.options.onError?.(err, root);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
