// The database directory of a state node and its atomic replacement by a restored snapshot:
//
//   <dir>/state            the live database
//   <dir>/state.restoring  a restore in progress (incomplete: removed at start)
//   <dir>/state.restored   a complete restored database, not yet swapped in (finished at start)
//   <dir>/state.old        the database being replaced (removed once the swap is done)
//
// Each step is one rename, so a crash at any point leaves either the old database or the whole new one,
// never half of either.
import * as fs from "node:fs";
import * as path from "node:path";
import { ClassicLevel } from "classic-level";
import { TarnError } from "../errors";

export type Db = ClassicLevel<Buffer, Buffer>;

export interface DbPaths {
  live: string;
  restoring: string;
  restored: string;
  old: string;
}

export function dbPaths(dir: string): DbPaths {
  const live = path.join(dir, "state");
  return { live, restoring: `${live}.restoring`, restored: `${live}.restored`, old: `${live}.old` };
}

/** Finishes or rolls back a swap interrupted by a crash. */
export function recoverSwap(p: DbPaths): void {
  fs.rmSync(p.restoring, { recursive: true, force: true });
  if (fs.existsSync(p.restored)) {
    fs.rmSync(p.old, { recursive: true, force: true });
    if (fs.existsSync(p.live)) fs.renameSync(p.live, p.old);
    fs.renameSync(p.restored, p.live);
  }
  fs.rmSync(p.old, { recursive: true, force: true });
}

/** Puts the complete database at `p.restored` in place of the live one (which must be closed). */
export function swapIn(p: DbPaths): void {
  fs.rmSync(p.old, { recursive: true, force: true });
  if (fs.existsSync(p.live)) fs.renameSync(p.live, p.old);
  fs.renameSync(p.restored, p.live);
  fs.rmSync(p.old, { recursive: true, force: true });
}

export async function openDb(location: string): Promise<Db> {
  const db: Db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: "buffer", valueEncoding: "buffer" });
  try {
    await db.open();
  } catch (err) {
    throw new TarnError("UNAVAILABLE", `state database ${location}: cannot open: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/**
 * Lets reads run side by side and holds them off while the database is swapped: `read` waits for a swap in
 * progress; `exclusive` waits for reads in flight and blocks new ones until it is done.
 */
export class SwapGate {
  private readers = 0;
  private drained?: () => void;
  private swapping?: Promise<void>;

  /**
   * Runs a synchronous read now when no swap is in progress (nothing can start one before it returns), else
   * once the swap is done.
   */
  readNow<T>(fn: () => T): T | Promise<T> {
    if (!this.swapping) return fn();
    return this.read(async () => fn());
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      if (this.readers === 0) this.drained?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    let release!: () => void;
    this.swapping = new Promise<void>((resolve) => (release = resolve));
    try {
      while (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await fn();
    } finally {
      this.swapping = undefined;
      release();
    }
  }
}
