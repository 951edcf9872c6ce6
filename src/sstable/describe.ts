// describeTable(): a readable account of a table's layout (footer, handles, index, properties) and, on
// request, its entries; what `tarn debug sst` prints.
import { CHECKSUM_NAMES } from "./checksum";
import { formatHandle } from "./handle";

import { describeProperty, printable } from "./properties";
import type { TableReader } from "./reader";

export interface DescribeOptions {
  /** Include every entry. */
  scan?: boolean;
}

/** A key or value: text when it is printable, hex otherwise. */
export type Bytes = { text: string } | { hex: string };

export interface TableDescription {
  file: string;
  size: number;
  footer: {
    formatVersion: number;
    checksum: string;
    metaindex: { offset: number; size: number };
    index: { offset: number; size: number };
  };
  metaindex: { name: string; offset: number; size: number }[];
  index: {
    type: "binary" | "two-level";
    /** Top-level entries: data blocks for a single-level index, partitions for a two-level one. */
    entries: number;
    /** A two-level index's partitions. */
    partitions?: { offset: number; size: number }[];
  };
  properties: Record<string, number | string>;
  userProperties: Record<string, string>;
  entries?: { key: Bytes; value: Bytes; seqnum?: number; kind?: number }[];
}

export function bytes(b: Buffer): Bytes {
  return printable(b) ? { text: b.toString("utf8") } : { hex: b.toString("hex") };
}

export function describeTable(reader: TableReader, options: DescribeOptions = {}): TableDescription {
  const f = reader.footer;
  const top = reader.indexEntries();
  const properties: Record<string, number | string> = {};
  const userProperties: Record<string, string> = {};
  for (const [k, v] of reader.properties.all) {
    if (reader.properties.user.has(k)) {
      const b = bytes(v);
      userProperties[k] = "text" in b ? b.text : `0x${b.hex}`;
    } else {
      properties[k] = describeProperty(k, v);
    }
  }
  const out: TableDescription = {
    file: reader.name,
    size: reader.size,
    footer: {
      formatVersion: f.formatVersion,
      checksum: CHECKSUM_NAMES[f.checksumType] ?? `type ${f.checksumType}`,
      metaindex: { ...f.metaindex },
      index: { ...f.index },
    },
    metaindex: [...reader.metaindex].map(([name, h]) => ({ name, ...h })),
    index: { type: reader.properties.indexType, entries: top.length },
    properties,
    userProperties,
  };
  if (reader.twoLevel) out.index.partitions = top.map((e) => ({ ...e.handle }));
  if (options.scan) {
    const entries: NonNullable<TableDescription["entries"]> = [];
    const it = reader.rawIterator();
    for (let ok = it.first(); ok; ok = it.next()) {
      const e: (typeof entries)[number] = { key: bytes(it.key()), value: bytes(it.value()) };
      if (it.kind !== 1 || it.seqnum !== 0) {
        e.kind = it.kind;
        e.seqnum = it.seqnum;
      }
      entries.push(e);
    }
    it.close();
    out.entries = entries;
  }
  return out;
}

const show = (b: Bytes): string => ("text" in b ? JSON.stringify(b.text) : `0x${b.hex}`);

/** The description as text for people. */
export function renderDescription(d: TableDescription): string {
  const lines: string[] = [];
  lines.push(`file: ${d.file} (${d.size} bytes)`);
  lines.push(`footer: format_version ${d.footer.formatVersion}, checksum ${d.footer.checksum}, metaindex ${formatHandle(d.footer.metaindex)}, index ${formatHandle(d.footer.index)}`);
  lines.push("metaindex:");
  for (const m of d.metaindex) lines.push(`  ${m.name} ${formatHandle(m)}`);
  lines.push(`index: ${d.index.type}, ${d.index.entries} ${d.index.type === "two-level" ? "partitions" : "data blocks"}`);
  for (const p of d.index.partitions ?? []) lines.push(`  partition ${formatHandle(p)}`);
  lines.push("properties:");
  for (const [k, v] of Object.entries(d.properties)) lines.push(`  ${k}: ${v}`);
  lines.push("user properties:");
  for (const [k, v] of Object.entries(d.userProperties)) lines.push(`  ${k}: ${v}`);
  if (d.entries) {
    lines.push(`entries (${d.entries.length}):`);
    for (const e of d.entries) {
      const meta = e.kind !== undefined ? ` [seqnum ${e.seqnum}, kind ${e.kind}]` : "";
      lines.push(`  ${show(e.key)} => ${show(e.value)}${meta}`);
    }
  }
  return lines.join("\n");
}

