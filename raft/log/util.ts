import type { Entry } from "../types";

/** What an entry costs against a size limit: its payload plus a small fixed header, like a protobuf encoding. */
export const entrySize = (e: Entry): number => e.data.length + 16;

/** The longest prefix of `ents` whose total size is at most `maxSize`, but always at least one entry. */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]);
  for (let i = 1; i < ents.length; i++) {
    size += entrySize(ents[i]);
    if (size > maxSize) return ents.slice(0, i);
  }
  return ents;
}

/** The bytes of entry payloads, for the cap on a leader's uncommitted log. */
export const payloadSize = (ents: Entry[]): number => ents.reduce((n, e) => n + e.data.length, 0);
