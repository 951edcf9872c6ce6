// A snapshot is the whole replicated database at one applied index as ONE SSTable (the codec of ranges, so
// `sst_dump --command=verify` and `tarn debug sst` read it). Its keys are the database's keys (both
// prefixes of keyspace.ts, minus node-local records) in order; its user properties say what it is:
//
//   type                    "snapshot"
//   tarn.snapshot.format    "1"
//   tarn.applied_index      decimal
//   tarn.applied_term       decimal
//   tarn.membership         the membership record (JSON, as in the database)
//
// Writing streams the database through a TableWriter to a file; loading verifies every block checksum,
// the properties, the key order and the applied record while it fills an empty database, so a corrupt file
// is refused before anything replaces the live state.
import { CorruptionError } from "../errors";
import { TableReader, TableWriter } from "../sstable";
import type { Db } from "./db-dir";
import { Applied, APPLIED_KEY, decodeApplied, decodeMembership, encodeApplied, encodeMembership, isLocalRecord, META_PREFIX, Membership, MEMBERS_KEY, USER_PREFIX } from "./keyspace";

export const SNAPSHOT_FORMAT = "1";
const PROP_TYPE = "type";
const PROP_FORMAT = "tarn.snapshot.format";
const PROP_INDEX = "tarn.applied_index";
const PROP_TERM = "tarn.applied_term";
const PROP_MEMBERSHIP = "tarn.membership";
const PAGE = 1000;

export interface SnapshotInfo {
  applied: Applied;
  membership: Membership;
  entries: number;
}

/** Writes the database (as of a LevelDB snapshot taken when the call starts) to `file`. */
export async function writeSnapshotFile(db: Db, file: string, applied: Applied, membership: Membership): Promise<SnapshotInfo> {
  const writer = TableWriter.toFile(file, {
    compression: "snappy",
    userProperties: {
      [PROP_TYPE]: "snapshot",
      [PROP_FORMAT]: SNAPSHOT_FORMAT,
      [PROP_INDEX]: String(applied.index),
      [PROP_TERM]: String(applied.term),
      [PROP_MEMBERSHIP]: encodeMembership(membership),
    },
  });
  const it = db.iterator();
  let entries = 0;
  try {
    for (;;) {
      const page = await it.nextv(PAGE);
      if (page.length === 0) break;
      for (const [key, value] of page) {
        if (isLocalRecord(key)) continue;
        writer.add(key, value);
        entries++;
      }
    }
    writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    await it.close();
  }
  return { applied, membership, entries };
}

/**
 * Verifies the snapshot table at `file` (named `name` in errors) and copies it into the empty database
 * `target`. Throws CorruptionError naming `name` on any checksum, format or content mismatch, and when its
 * applied index and term are not `expected`.
 */
export async function loadSnapshotFile(file: string, name: string, expected: Applied, target: Db): Promise<SnapshotInfo> {
  let reader: TableReader;
  try {
    reader = TableReader.openFile(file, { name });
  } catch (err) {
    if (err instanceof CorruptionError) throw err;
    throw new CorruptionError(name, (err as Error).message, { cause: err });
  }
  try {
    const props = reader.properties.user;
    const prop = (p: string) => props.get(p)?.toString("utf8");
    if (prop(PROP_TYPE) !== "snapshot") throw new CorruptionError(name, `property type is ${JSON.stringify(prop(PROP_TYPE))}, not "snapshot"`);
    if (prop(PROP_FORMAT) !== SNAPSHOT_FORMAT) throw new CorruptionError(name, `unknown snapshot format ${JSON.stringify(prop(PROP_FORMAT))}`);
    const index = Number(prop(PROP_INDEX));
    const term = Number(prop(PROP_TERM));
    if (index !== expected.index || term !== expected.term) {
      throw new CorruptionError(name, `holds applied index ${prop(PROP_INDEX)} term ${prop(PROP_TERM)}, expected index ${expected.index} term ${expected.term}`);
    }
    const membership = decodeMembership(props.get(PROP_MEMBERSHIP) ?? Buffer.alloc(0));
    if (!membership) throw new CorruptionError(name, `property ${PROP_MEMBERSHIP} is not a membership record`);
    const entries = await copyEntries(reader, name, target, expected);
    if (entries !== reader.properties.numEntries) throw new CorruptionError(name, `read ${entries} entries, the properties count ${reader.properties.numEntries}`);
    return { applied: expected, membership, entries };
  } catch (err) {
    if (err instanceof CorruptionError) throw err;
    throw new CorruptionError(name, (err as Error).message, { cause: err });
  } finally {
    reader.close();
  }
}

async function copyEntries(reader: TableReader, name: string, target: Db, expected: Applied): Promise<number> {
  const it = reader.iterator();
  let entries = 0;
  let sawApplied = false;
  let prev: Buffer | undefined;
  let batch = target.batch();
  for (let ok = it.first(); ok; ok = it.next()) {
    const key = Buffer.from(it.key());
    const value = Buffer.from(it.value());
    if (prev && Buffer.compare(prev, key) >= 0) throw new CorruptionError(name, `key 0x${key.toString("hex")} out of order`);
    prev = key;
    if (key.length === 0 || (key[0] !== META_PREFIX && key[0] !== USER_PREFIX)) throw new CorruptionError(name, `key 0x${key.toString("hex")} is outside the state keyspace`);
    if (key[0] === USER_PREFIX && value.length < 8) throw new CorruptionError(name, `value of key 0x${key.toString("hex")} has no version`);
    if (key.equals(APPLIED_KEY)) {
      const applied = decodeApplied(value);
      if (!applied || applied.index !== expected.index || applied.term !== expected.term) {
        throw new CorruptionError(name, `applied record ${value.toString("hex")} does not match index ${expected.index} term ${expected.term}`);
      }
      sawApplied = true;
    }
    if (key.equals(MEMBERS_KEY) && !decodeMembership(value)) throw new CorruptionError(name, "membership record does not parse");
    batch.put(key, value);
    entries++;
    if (batch.length >= PAGE) {
      await batch.write();
      batch = target.batch();
    }
  }
  it.close();
  if (!sawApplied) {
    // An empty state at index 0 has no record; anything else must carry it.
    if (expected.index !== 0) throw new CorruptionError(name, "has no applied-index record");
    batch.put(APPLIED_KEY, encodeApplied(expected));
  }
  await batch.write();
  return entries;
}
