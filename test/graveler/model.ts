// A simple in-memory model of graveler's semantics, for the property-based test: trees are Maps from path to
// a value tag, commits keep their trees and parents, branches a head and a map of staged changes.
export type Tree = Map<string, number>;

export interface ModelCommit {
  tree: Tree;
  parents: string[];
  generation: number;
}

export interface ModelBranch {
  head: string;
  /** path -> value tag, or null for a deletion. */
  staged: Map<string, number | null>;
}

export type Strategy = "none" | "source-wins" | "dest-wins";

export class Model {
  commits = new Map<string, ModelCommit>();
  branches = new Map<string, ModelBranch>();

  view(branch: string): Tree {
    const b = this.branches.get(branch)!;
    const tree = new Map(this.commits.get(b.head)!.tree);
    for (const [p, v] of b.staged) {
      if (v === null) tree.delete(p);
      else tree.set(p, v);
    }
    return tree;
  }

  static sameTree(a: Tree, b: Tree): boolean {
    return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  }

  static diff(left: Tree, right: Tree): [string, string][] {
    const out: [string, string][] = [];
    for (const k of new Set([...left.keys(), ...right.keys()])) {
      const l = left.get(k);
      const r = right.get(k);
      if (l === r) continue;
      out.push([l === undefined ? "added" : r === undefined ? "removed" : "changed", k]);
    }
    return out.sort((x, y) => Buffer.compare(Buffer.from(x[1]), Buffer.from(y[1])));
  }

  /** The merge base as the engine defines it: the common ancestor reached first by generation, then ID. */
  mergeBase(a: string, b: string): string | undefined {
    const ancestors = new Set<string>();
    const stack = [a];
    while (stack.length) {
      const id = stack.pop()!;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      stack.push(...this.commits.get(id)!.parents);
    }
    const queue = [b];
    const seen = new Set([b]);
    while (queue.length) {
      queue.sort((x, y) => this.commits.get(y)!.generation - this.commits.get(x)!.generation || (x < y ? -1 : 1));
      const c = queue.shift()!;
      if (ancestors.has(c)) return c;
      for (const p of this.commits.get(c)!.parents) {
        if (seen.has(p)) continue;
        seen.add(p);
        queue.push(p);
      }
    }
    return undefined;
  }

  /** Three-way merge result, or the conflicting paths. */
  static threeWay(base: Tree, source: Tree, dest: Tree, strategy: Strategy): { tree: Tree } | { conflicts: string[] } {
    const tree = new Map(dest);
    const conflicts: string[] = [];
    for (const k of new Set([...base.keys(), ...source.keys()])) {
      const b = base.get(k);
      const s = source.get(k);
      const d = dest.get(k);
      if (s === b || s === d) continue;
      if (d === b || strategy === "source-wins") {
        if (s === undefined) tree.delete(k);
        else tree.set(k, s);
      } else if (strategy === "none") conflicts.push(k);
    }
    return conflicts.length ? { conflicts } : { tree };
  }
}
