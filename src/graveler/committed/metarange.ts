// Metaranges: a table of range records, keyed by each range's max key.
import type { MetaRangeId } from "../ids";
import type { ValueIterator } from "./iterator";
import { decodeRangeRecord, encodeRangeRecord, RangeRecord } from "./records";
import { TableBuilder, TableSink } from "./table-builder";

export function writeMetaRange(sink: TableSink, records: readonly RangeRecord[]): MetaRangeId {
  const table = new TableBuilder(sink, "metaranges");
  try {
    for (const record of records) table.add(record.maxKey, encodeRangeRecord(record));
  } catch (err) {
    table.abort();
    throw err;
  }
  return table.finish() as MetaRangeId;
}

export function readMetaRange(it: ValueIterator, where: string): RangeRecord[] {
  const records: RangeRecord[] = [];
  try {
    for (let ok = it.first(); ok; ok = it.next()) records.push(decodeRangeRecord(Buffer.from(it.key()), it.value(), where));
  } finally {
    it.close();
  }
  return records;
}
