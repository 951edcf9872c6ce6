// How commands print: plain text for people, or one JSON document with `--output json` for scripts.
export type OutputFormat = "text" | "json";

export interface Output {
  format: OutputFormat;
  /** Prints `data` as JSON, or calls `text` to render it for a person. */
  print<T>(data: T, text: (data: T) => string): void;
}

export function makeOutput(format: string | undefined): Output {
  if (format !== undefined && format !== "text" && format !== "json") {
    throw new Error(`--output must be 'text' or 'json', not '${format}'`);
  }
  const chosen: OutputFormat = format ?? "text";
  return {
    format: chosen,
    print(data, text) {
      const rendered = chosen === "json" ? JSON.stringify(data, jsonReplacer, 2) : text(data);
      process.stdout.write(rendered.endsWith("\n") ? rendered : rendered + "\n");
    },
  };
}

/** Buffers become {"hex": ...} and bigints strings, so any value prints. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value && typeof value === "object" && (value as { type?: string }).type === "Buffer" && Array.isArray((value as { data?: unknown }).data)) {
    return { hex: Buffer.from((value as { data: number[] }).data).toString("hex") };
  }
  return value;
}

/** Renders rows as aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(headers), ...rows.map(line)].join("\n");
}
