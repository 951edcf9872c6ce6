// Ref expressions: a base name (branch, tag, full or unique-prefix commit ID) followed by `@` (the committed
// state of a branch, without staging) and any sequence of `~N` (N-th first-parent ancestor) and `^N` (N-th
// parent, 1-based). `~` and `^` alone mean 1. Parsing is pure; resolution lives in the ref manager.
import { invalidArgument } from "../../errors";

export type RefModifier = { kind: "ancestor"; n: number } | { kind: "parent"; n: number };

export interface RefExpression {
  base: string;
  committedOnly: boolean;
  modifiers: RefModifier[];
}

export function parseRef(ref: string): RefExpression {
  const m = /^([^~^@]+)(@?)((?:[~^]\d*)*)$/.exec(ref);
  if (!m) throw invalidArgument(`invalid ref ${JSON.stringify(ref)}: expected NAME[@][~N|^N]...`);
  const modifiers: RefModifier[] = [];
  for (const part of m[3].match(/[~^]\d*/g) ?? []) {
    const n = part.length > 1 ? Number(part.slice(1)) : 1;
    if (!Number.isSafeInteger(n)) throw invalidArgument(`invalid ref ${JSON.stringify(ref)}: ${part} is out of range`);
    modifiers.push({ kind: part[0] === "~" ? "ancestor" : "parent", n });
  }
  return { base: m[1], committedOnly: m[2] === "@", modifiers };
}
