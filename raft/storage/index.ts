// The durable Raft log: a LogStorage over segmented, checksummed files with one fsync per batch.
export { DurableLog } from "./durable-log";
export type { DurableLogOptions } from "./durable-log";
export { DiskFullError, LogCorruptionError, LogStorageError, LogWriteError } from "./errors";
export type { LogFile, OpenLogFile } from "./segments";
