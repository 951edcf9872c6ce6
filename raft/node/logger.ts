// The runtime's logger: a narrow interface so that raft/ stays free of any logging library. Tarn passes one
// that writes structured lines; tests pass one that records what was said.

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  process.stderr.write(`${new Date().toISOString()} ${level} raft: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`);
};

/** Warnings and errors on stderr; debug and info are dropped. */
export const stderrLogger: Logger = { debug: () => {}, info: () => {}, warn: write("WARN"), error: write("ERROR") };

/** Everything on stderr (for process-level tools and debugging). */
export const verboseLogger: Logger = { debug: () => {}, info: write("INFO"), warn: write("WARN"), error: write("ERROR") };
