// The replicated state machine on classic-level: what every node runs over the committed Raft log.
//
// apply(): every command is decoded, its preconditions are checked against the database as left by the
// commands before it (an overlay holds the writes of earlier commands of the same call), and the writes of
// all commands of the call plus the applied index go to LevelDB as ONE atomic batch. A restart therefore
// finds data and applied index in agreement, and the runtime skips exactly the entries at or below it.
// A command that does not decode is rejected alike on every node (the result says so; nothing else
// changes but the applied index).
//
// Reads (get/scan) are local: the replicated KV makes them linearizable by waiting for ReadIndex first.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StateMachine } from "../../raft/node";
import type { ConfChange, ConfState, Entry, Snapshot } from "../../raft/types";
import { CorruptionError, TarnError } from "../errors";
import type { ObjectStore } from "../block";
import type { KvBatch, KvPrecondition, KvRecord, KvScanOptions } from "../graveler/kv/types";
import { scanBounds } from "../graveler/kv/types";
import { decodeCommand, encodeResult, MalformedCommandError, ResultStatus } from "./command";
import { Db, dbPaths, DbPaths, openDb, recoverSwap, swapIn, SwapGate } from "./db-dir";
import {
  Applied,
  APPLIED_KEY,
  decodeApplied,
  decodeMembership,
  decodeStored,
  encodeApplied,
  encodeMembership,
  encodeStored,
  Membership,
  MEMBERS_KEY,
  printableKey,
  SNAPSHOT_KEY,
  storedValueEquals,
  USER_END,
  USER_START,
  userKey,
} from "./keyspace";
import { downloadSnapshot, SnapshotStore } from "./snapshot-store";
import { loadSnapshotFile, writeSnapshotFile } from "./snapshot-file";
import { SnapshotUploader } from "./snapshot-uploader";
import { CompactionThresholds, DeleteRun, TombstoneCompactor } from "./tombstone-compactor";

export interface StateMachineOptions {
  /** The node's data dir: the database lives in `<dir>/state`, snapshot files pass through `<dir>/tmp`. */
  dir: string;
  /** Where snapshots are uploaded and restored from. */
  store: ObjectStore;
  /** The membership to record until the log says otherwise (the initial voters and their addresses). */
  initialMembership: Membership;
  /** How many snapshots to keep in the store (default 10). */
  keepSnapshots?: number;
  /** Told the indexes of every group of commands applied in one batch, `first` to `last` (metrics, tests). */
  onApplied?: (first: number, last: Applied) => void;
  log?: (message: string) => void;
  /** When the key ranges of applied deletes are compacted in this member's database (defaults for production). */
  compaction?: CompactionThresholds;
}

type Op = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

/** What the last restore did, for status and tests. */
export interface RestoreRecord {
  reference: string;
  index: number;
  entries: number;
  /** "store"; "leader" (its fallback stream, when the store did not have it); "local" (this member's own file). */
  source: "store" | "leader" | "local";
}

export class TarnStateMachine implements StateMachine {
  private applied: Applied = { index: 0, term: 0 };
  private appliedLock: Promise<void> = Promise.resolve();
  private membershipRecord: Membership;
  private readonly gate = new SwapGate();
  private metaWrite: Promise<void> = Promise.resolve();
  private readonly snapshots: SnapshotStore;
  /** Compacts what applied deletes left behind (see tombstone-compactor.ts). */
  readonly tombstones: TombstoneCompactor;
  readonly uploader: SnapshotUploader;
  private readonly tmp: string;
  private closed = false;
  /** Commands rejected because they did not decode (every node counts the same). */
  rejectedCommands = 0;
  lastRestore?: RestoreRecord;
  lastSnapshot?: string;

  private constructor(
    private db: Db,
    private readonly paths: DbPaths,
    private readonly opts: StateMachineOptions,
  ) {
    this.membershipRecord = opts.initialMembership;
    this.tmp = path.join(opts.dir, "tmp");
    this.snapshots = new SnapshotStore(opts.store, opts.keepSnapshots ?? 10, opts.log);
    this.uploader = new SnapshotUploader(this.snapshots, path.join(opts.dir, "snapshots"), opts.log);
    this.tombstones = new TombstoneCompactor(
      // Under the gate like any reader: a restore does not swap the database out from under a compaction.
      (start, end) => (this.closed ? Promise.resolve() : this.gate.read(() => this.db.compactRange(start, end))),
      opts.compaction,
      opts.log,
    );
  }

  static async open(opts: StateMachineOptions): Promise<TarnStateMachine> {
    const paths = dbPaths(opts.dir);
    fs.mkdirSync(opts.dir, { recursive: true });
    recoverSwap(paths);
    fs.rmSync(path.join(opts.dir, "tmp"), { recursive: true, force: true });
    fs.mkdirSync(path.join(opts.dir, "tmp"));
    const sm = new TarnStateMachine(await openDb(paths.live), paths, opts);
    try {
      await sm.loadMeta();
      sm.uploader.resume();
    } catch (err) {
      await sm.db.close();
      throw err;
    }
    return sm;
  }

  // ---- StateMachine -------------------------------------------------------------------------------------

  /**
   * Runs `fn` alone among the writers of the applied index (apply batches, a snapshot pinning its view), so
   * that a snapshot never sees a batch on disk whose index is not yet in `this.applied`.
   */
  private appliedWrite<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.appliedLock.then(fn);
    this.appliedLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  appliedIndex(): number {
    return this.applied.index;
  }

  async apply(entries: Entry[]): Promise<Uint8Array[]> {
    await this.metaWrite;
    return this.gate.read(async () => {
      const fresh = entries.filter((e) => e.index > this.applied.index);
      const commands = fresh.map((e) => decodeOrError(e.data));
      // Every key a precondition looks at, read once before the group: the database does not change until
      // the group's batch is written, and the overlay holds what earlier commands of the group wrote.
      const base = this.prefetch(commands);
      const overlay = new Map<string, Buffer | undefined>();
      const ops: Op[] = [];
      const byIndex = new Map<number, Uint8Array>();
      const deletes: DeleteRun[] = [];
      fresh.forEach((e, i) => byIndex.set(e.index, this.applyOne(e, commands[i], base, overlay, ops, deletes)));
      const results = entries.map(
        // Entries at or below the applied index are already in the database (restored from a snapshot
        // taken past them).
        (e) => byIndex.get(e.index) ?? encodeResult({ status: ResultStatus.Applied, index: e.index, key: Buffer.alloc(0), message: "" }),
      );
      if (fresh.length > 0) {
        const last = { index: fresh[fresh.length - 1].index, term: fresh[fresh.length - 1].term };
        ops.push({ type: "put", key: APPLIED_KEY, value: encodeApplied(last) });
        await this.appliedWrite(async () => {
          await this.db.batch(ops);
          this.applied = last;
        });
        for (const run of deletes) this.tombstones.deleted(run);
        this.opts.onApplied?.(fresh[0].index, last);
      }
      return results;
    });
  }

  async snapshot(index: number, term: number): Promise<string> {
    await this.metaWrite;
    return this.gate.read(async () => {
      // The runtime counts no-ops and membership entries that never reach apply(); the state at `index` is
      // the state after the last command, and `term` is the term of the entry at `index`. The runtime keeps
      // applying while the file is written: the database may then be ahead of `index` (as it may be while a
      // restarted node re-reads its log), and the snapshot is labelled with the database's index and term
      // (restore accepts that). Label and contents agree: both are taken while no apply batch is in flight.
      const { applied, file, written } = await this.appliedWrite(async () => {
        if (index > this.applied.index) {
          this.applied = { index, term };
          await this.db.put(APPLIED_KEY, encodeApplied(this.applied));
        }
        const applied = { ...this.applied };
        const file = path.join(this.tmp, `snapshot-${applied.index}.sst`);
        // writeSnapshotFile opens its iterator (a LevelDB snapshot) before its first await: the view is pinned
        // here, and the rest of the file is written outside the lock while applying goes on.
        const written = writeSnapshotFile(this.db, file, applied, this.membershipRecord);
        return { applied, file, written: [written] };
      });
      try {
        await written[0];
      } catch (err) {
        fs.rmSync(file, { force: true });
        throw err;
      }
      // The file is whole and durable: the upload happens in the background (snapshot-uploader.ts).
      const reference = this.uploader.adopt(file, applied);
      this.uploader.enqueue(reference);
      await this.db.put(SNAPSHOT_KEY, Buffer.from(reference, "utf8"));
      this.lastSnapshot = reference;
      return reference;
    });
  }

  snapshotBytes(reference: string): number | undefined {
    try {
      return fs.statSync(this.uploader.localFile(reference)).size;
    } catch {
      return undefined; // uploaded and removed already, or never here: snapshots are then paced by entries
    }
  }

  async restore(snapshot: Snapshot, fetch: () => Promise<Uint8Array>): Promise<void> {
    await this.metaWrite;
    const ref = this.snapshots.parse(snapshot.reference);
    if (ref.index < snapshot.metadata.index) {
      throw new TarnError("INTERNAL", `snapshot ${snapshot.reference} is older than the Raft snapshot index ${snapshot.metadata.index} that names it`);
    }
    const file = path.join(this.tmp, `restore-${ref.index}.sst`);
    try {
      // Our own snapshot may not have reached the store yet (a restart before its upload finished).
      const own = fs.existsSync(this.uploader.localFile(snapshot.reference));
      if (own) fs.copyFileSync(this.uploader.localFile(snapshot.reference), file);
      const { name, source } = own
        ? { name: this.uploader.localFile(snapshot.reference), source: "local" as const }
        : await downloadSnapshot(this.opts.store, snapshot.reference, file, fetch);
      fs.rmSync(this.paths.restoring, { recursive: true, force: true });
      const fresh = await openDb(this.paths.restoring);
      let info;
      try {
        info = await loadSnapshotFile(file, name, ref, fresh);
      } catch (err) {
        await fresh.close();
        fs.rmSync(this.paths.restoring, { recursive: true, force: true });
        throw err;
      }
      await fresh.close();
      fs.renameSync(this.paths.restoring, this.paths.restored);
      await this.gate.exclusive(async () => {
        await this.db.close();
        swapIn(this.paths);
        this.db = await openDb(this.paths.live);
        await this.loadMeta();
      });
      this.membershipRecord = { confState: snapshot.metadata.confState, addresses: info.membership.addresses };
      this.lastRestore = { reference: snapshot.reference, index: ref.index, entries: info.entries, source };
      this.opts.log?.(`restored snapshot ${snapshot.reference} (${info.entries} records) from the ${source}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  async readSnapshot(reference: string): Promise<Uint8Array> {
    this.snapshots.parse(reference);
    return this.uploader.readLocal(reference) ?? this.opts.store.getBuffer(reference);
  }

  /** The members' addresses: recorded with every membership change and carried in every snapshot. */
  memberAddresses(): Record<string, string> {
    return this.membershipRecord.addresses;
  }

  onConfChange(change: ConfChange, confState: ConfState): void {
    const addresses = { ...this.membershipRecord.addresses };
    for (const c of change.changes) {
      if (c.address) addresses[c.node] = c.address;
    }
    const known = new Set([...confState.voters, ...confState.learners, ...confState.votersOutgoing, ...confState.learnersNext]);
    for (const id of Object.keys(addresses)) if (!known.has(id)) delete addresses[id];
    this.membershipRecord = { confState, addresses };
    const record = encodeMembership(this.membershipRecord);
    this.metaWrite = this.metaWrite.then(() => this.gate.read(() => this.db.put(MEMBERS_KEY, record)));
  }

  // ---- local reads --------------------------------------------------------------------------------------

  /**
   * One record as applied here. LevelDB's synchronous get (a few µs; the async one costs 20-40 µs of CPU in
   * promise and thread-pool hand-offs) on the database as the last apply batch left it.
   */
  get(key: Buffer): KvRecord | undefined | Promise<KvRecord | undefined> {
    return this.gate.readNow(() => {
      const raw = this.db.getSync(userKey(key));
      return raw ? { key, ...decodeStored(raw) } : undefined;
    });
  }

  scan(options: KvScanOptions): Promise<KvRecord[]> {
    if (options.limit === 0) return Promise.resolve([]);
    const { lower, lowerExclusive, upper } = scanBounds(options);
    const range: { gt?: Buffer; gte?: Buffer; lt: Buffer; limit?: number } = { lt: upper ? userKey(upper) : USER_END };
    const low = lower ? userKey(lower) : USER_START;
    if (lowerExclusive) range.gt = low;
    else range.gte = low;
    if (options.limit !== undefined) range.limit = options.limit;
    return this.gate.read(async () => {
      const entries = await this.db.iterator(range).all();
      return entries.map(([k, v]) => ({ key: k.subarray(1), ...decodeStored(v) }));
    });
  }

  appliedState(): Applied {
    return { ...this.applied };
  }

  membership(): Membership {
    return this.membershipRecord;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.uploader.stop();
    await this.metaWrite.catch(() => undefined);
    await this.gate.exclusive(() => this.db.close());
  }

  // ---- internals ----------------------------------------------------------------------------------------

  /** The stored value of every key a precondition of the group looks at, by mapKey. */
  private prefetch(commands: (KvBatch | MalformedCommandError)[]): Map<string, Buffer | undefined> {
    const base = new Map<string, Buffer | undefined>();
    for (const c of commands) {
      if (c instanceof MalformedCommandError) continue;
      for (const pre of c.preconditions ?? []) {
        const k = mapKey(pre.key);
        if (!base.has(k)) base.set(k, this.db.getSync(userKey(pre.key)));
      }
    }
    return base;
  }

  private applyOne(e: Entry, command: KvBatch | MalformedCommandError, base: Map<string, Buffer | undefined>, overlay: Map<string, Buffer | undefined>, ops: Op[], deletes: DeleteRun[]): Uint8Array {
    const none = Buffer.alloc(0);
    if (command instanceof MalformedCommandError) {
      this.rejectedCommands++;
      return encodeResult({ status: ResultStatus.Rejected, index: e.index, key: none, message: `malformed command at index ${e.index}: ${command.message}` });
    }
    for (const pre of command.preconditions ?? []) {
      const k = mapKey(pre.key);
      const raw = overlay.has(k) ? overlay.get(k) : base.get(k);
      const failure = checkPrecondition(pre, raw);
      if (failure) return encodeResult({ status: ResultStatus.PreconditionFailed, index: e.index, key: pre.key, message: failure });
    }
    let run: DeleteRun | undefined;
    for (const m of command.mutations) {
      const key = userKey(m.key);
      // Only keys some precondition of the group looks at need to be seen by later commands.
      const k = base.size > 0 ? mapKey(m.key) : undefined;
      const watched = k !== undefined && base.has(k);
      if (m.op === "put") {
        const stored = encodeStored(e.index, m.value);
        ops.push({ type: "put", key, value: stored });
        if (watched) overlay.set(k, stored);
      } else {
        ops.push({ type: "del", key });
        if (watched) overlay.set(k, undefined);
        run = widen(run, key);
      }
    }
    if (run) deletes.push(run);
    return encodeResult({ status: ResultStatus.Applied, index: e.index, key: none, message: "" });
  }

  private async loadMeta(): Promise<void> {
    const raw = await this.db.get(APPLIED_KEY);
    if (raw) {
      const applied = decodeApplied(raw);
      if (!applied) throw new CorruptionError(this.paths.live, `applied-index record ${raw.toString("hex")} does not parse`);
      this.applied = applied;
    } else {
      this.applied = { index: 0, term: 0 };
    }
    const members = await this.db.get(MEMBERS_KEY);
    if (members) {
      const m = decodeMembership(members);
      if (!m) throw new CorruptionError(this.paths.live, "membership record does not parse");
      this.membershipRecord = m;
    }
    const snap = await this.db.get(SNAPSHOT_KEY);
    this.lastSnapshot = snap?.toString("utf8");
  }
}

function decodeOrError(data: Uint8Array): KvBatch | MalformedCommandError {
  try {
    return decodeCommand(data);
  } catch (err) {
    if (err instanceof MalformedCommandError) return err;
    throw err;
  }
}

/** The run of deleted keys widened by `key` (database keys arrive in command order, not sorted). */
function widen(run: DeleteRun | undefined, key: Buffer): DeleteRun {
  if (!run) return { count: 1, low: key, high: key };
  run.count++;
  if (Buffer.compare(key, run.low) < 0) run.low = key;
  else if (Buffer.compare(key, run.high) > 0) run.high = key;
  return run;
}

/** A user key as a Map key: latin1 maps each byte to one character, so distinct keys stay distinct. */
const mapKey = (key: Buffer): string => key.toString("latin1");

/** Undefined when the precondition holds on the stored value `raw`, else why not (the one-disk store's words). */
function checkPrecondition(pre: KvPrecondition, raw: Buffer | undefined): string | undefined {
  if ("absent" in pre) return raw ? `key ${printableKey(pre.key)} already exists` : undefined;
  if ("equals" in pre) return raw && storedValueEquals(raw, pre.equals) ? undefined : `key ${printableKey(pre.key)} changed`;
  return raw && decodeStored(raw).version === pre.version ? undefined : `key ${printableKey(pre.key)} is not at version ${pre.version}`;
}
