// A small datadriven script runner in the style of cockroachdb/datadriven (used by etcd's raft tests):
//
//   # a comment
//   command arg key=value key=(a,b)
//   ----
//   expected output
//
// Stanzas are separated by a blank line after the output. With REWRITE=1 the expected output is replaced by
// the actual one (review the diff before committing).
import fs from "node:fs";

export interface Command {
  name: string;
  /** Positional arguments. */
  args: string[];
  /** key=value arguments; (a,b) lists become arrays. */
  kv: Map<string, string[]>;
  line: number;
  raw: string;
}

export interface Stanza {
  cmd: Command;
  /** The lines before the command (comments, blank lines), kept on rewrite. */
  preamble: string[];
  expected: string;
}

export function parseCommand(text: string, line: number): Command {
  const tokens = text.trim().match(/(\S+=\([^)]*\)|\S+)/g) ?? [];
  const [name, ...rest] = tokens;
  const args: string[] = [];
  const kv = new Map<string, string[]>();
  for (const t of rest) {
    const eq = t.indexOf("=");
    if (eq < 0) {
      args.push(t);
      continue;
    }
    const key = t.slice(0, eq);
    let value = t.slice(eq + 1);
    if (value.startsWith("(") && value.endsWith(")")) value = value.slice(1, -1);
    kv.set(key, value === "" ? [] : value.split(","));
  }
  return { name: name ?? "", args, kv, line, raw: text };
}

export function parseScript(text: string): Stanza[] {
  const lines = text.split("\n");
  const stanzas: Stanza[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "" || line.startsWith("#")) {
      preamble.push(line);
      i++;
      continue;
    }
    const cmd = parseCommand(line, i + 1);
    i++;
    if (lines[i] !== "----") throw new Error(`line ${i + 1}: expected ---- after command ${JSON.stringify(line)}`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== "") out.push(lines[i++]);
    if (i < lines.length) i++; // the blank line that ends the stanza
    stanzas.push({ cmd, preamble, expected: out.join("\n") });
    preamble = [];
  }
  return stanzas;
}

export function renderScript(stanzas: { stanza: Stanza; actual: string }[], trailing: string[]): string {
  const parts: string[] = [];
  for (const { stanza, actual } of stanzas) {
    parts.push(...stanza.preamble);
    parts.push(rawCommand(stanza.cmd), "----", ...(actual === "" ? [] : [actual]), "");
  }
  const out = parts.join("\n") + trailing.join("\n");
  return out.endsWith("\n") ? out : out + "\n";
}

const rawCommand = (c: Command): string => c.raw;

/** Runs a script file; returns the mismatches (or rewrites the file when REWRITE=1). */
export function runScriptFile(path: string, run: (cmd: Command) => string): string[] {
  const text = fs.readFileSync(path, "utf8");
  const stanzas = parseScript(text);
  const results: { stanza: Stanza; actual: string }[] = [];
  const mismatches: string[] = [];
  for (const stanza of stanzas) {
    let actual: string;
    try {
      actual = run(stanza.cmd).replace(/\n+$/, "");
    } catch (err) {
      actual = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    results.push({ stanza, actual });
    if (actual !== stanza.expected) {
      mismatches.push(`${path}:${stanza.cmd.line}: ${rawCommand(stanza.cmd)}\n--- expected\n${stanza.expected}\n+++ actual\n${actual}`);
    }
  }
  if (process.env.REWRITE === "1") {
    const trailing: string[] = [];
    fs.writeFileSync(path, renderScript(results, trailing));
    return [];
  }
  return mismatches;
}
