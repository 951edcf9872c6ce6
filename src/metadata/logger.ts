// Structured logs: one JSON object per line, {"level","time","msg",...fields}, on stderr by default so a
// process's stdout stays free for what it prints to its user. Levels below the logger's own are dropped.
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Pure: the line a log call writes. Errors become their message and code; bigints become strings. */
export function formatLogLine(level: LogLevel, time: Date, msg: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ level, time: time.toISOString(), msg, ...fields }, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return { message: value.message, code: (value as { code?: unknown }).code };
    return value;
  });
}

export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[level] >= min) write(formatLogLine(level, now(), msg, { ...base, ...fields }));
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** Drops everything: for tests and embedders that log elsewhere. */
export const silentLogger: Logger = createLogger({ write: () => undefined });
