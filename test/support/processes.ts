// Child processes started by tests (servers, cluster members). They are registered here so that the root
// hook stops all of them after the run, and so that one that dies early reports its output.
import { ChildProcess, spawn, SpawnOptions } from "node:child_process";

const running = new Set<ChildProcess>();

export interface StartedProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (last 64 KiB). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): StartedProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-65536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  running.add(child);
  child.once("exit", () => running.delete(child));
  return {
    child,
    output: () => out,
    stop: (signal: NodeJS.Signals = "SIGTERM") => stopProcess(child, signal),
  };
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => stopProcess(child, "SIGTERM")));
}

/** Resolves when `probe` succeeds, polling every 100 ms; rejects with the process output after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, proc?: StartedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`${what}: the process exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready:\n${proc.output()}`);
    }
    try {
      if (await probe()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? `:\n${proc.output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
