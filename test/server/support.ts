// Real `tarn` processes for the server and CLI tests: `node bin/tarn ...` from the compiled dist (npm test
// builds it first; the dev loop runs `npx tsc -p .` before mocha).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TarnClient, type TarnClientOptions } from "../../src/client";
import { freePort } from "../support/ports";
import { startProcess, StartedProcess, waitUntil } from "../support/processes";

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const TARN = path.join(projectRoot(), "bin", "tarn");

export const ADMIN = { accessKeyId: "AKIATARNTESTADMIN001", secretAccessKey: "tarn-test-admin-secret-0123456789abcdef" };
export const CLUSTER_SECRET = "tarn-test-cluster-secret-0123456789";

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tarn-${name}-`));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tarn ARGS` to completion. */
export function tarn(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TARN, ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `tarn ARGS` and fails with its stderr unless it succeeds. */
export async function tarnOk(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await tarn(args, env);
  if (r.code !== 0) throw new Error(`tarn ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** An environment without the caller's Tarn settings, with HOME in a temp dir. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TARN_")) env[k] = v;
  return { ...env, HOME: tempDir("home"), ...extra };
}

// ---- cluster members

export interface MemberSpec {
  id: string;
  port: number;
  dataDir: string;
}

export interface MemberOptions {
  peers: string;
  join?: boolean;
  snapshotStore?: string;
  snapshotEntries?: number;
  logLevel?: string;
  extraArgs?: string[];
  env: NodeJS.ProcessEnv;
}

export function startMemberProcess(m: MemberSpec, opts: MemberOptions): StartedProcess {
  const args = [TARN, "metadata", "--id", m.id, "--data-dir", m.dataDir, "--listen", `127.0.0.1:${m.port}`, "--peers", opts.peers, "--log-level", opts.logLevel ?? "warn"];
  if (opts.join) args.push("--join");
  if (opts.snapshotStore) args.push("--snapshot-store", opts.snapshotStore);
  if (opts.snapshotEntries) args.push("--snapshot-entries", String(opts.snapshotEntries));
  args.push(...(opts.extraArgs ?? []));
  return startProcess(process.execPath, args, { env: opts.env });
}

export async function memberSpecs(ids: string[], root: string): Promise<MemberSpec[]> {
  const specs: MemberSpec[] = [];
  for (const id of ids) specs.push({ id, port: await freePort(), dataDir: path.join(root, id) });
  return specs;
}

export const peersFlag = (specs: MemberSpec[]) => specs.map((m) => `${m.id}=127.0.0.1:${m.port}`).join(",");

export function adminClient(endpoints: string[], options: Pick<TarnClientOptions, "coalesceStaging"> = {}): TarnClient {
  return new TarnClient({ endpoints, ...ADMIN, retry: { attempts: 30, baseMs: 50, maxMs: 500 }, ...options });
}

/** Waits until the cluster has a leader and the admin user works; returns the leader's id. */
export async function waitForLeader(client: TarnClient, proc?: StartedProcess, timeoutMs = 30_000): Promise<string> {
  let leader = "";
  await waitUntil(
    "a leader",
    async () => {
      const s = await client.getClusterStatus();
      leader = s.leaderId;
      return leader !== "";
    },
    timeoutMs,
    proc,
  );
  return leader;
}
