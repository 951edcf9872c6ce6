// External tools the tests run for real: Debian packages (rocksdb-tools, etcd-server, awscli, ...) and Go
// programs built from the module proxy (versitygw, our S3-compatible server). Each `ensure*` installs what is
// missing once per machine and throws, loudly, when it cannot: a test never skips because a tool is absent.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The checkout's root: the nearest folder with a package.json (this file runs from test/ or dist/test/). */
function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** Where tools built for the tests are kept between runs (ignored by git). */
export const TOOLS_DIR = path.join(projectRoot(), ".tools");

function onPath(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

let aptUpdated = false;

/** Makes sure `command` exists, installing Debian `pkg` with apt-get when it does not. Returns its path. */
export function ensureAptTool(command: string, pkg: string): string {
  const existing = onPath(command);
  if (existing) return existing;
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...asRoot, ...args];
    const result = spawnSync(cmd, rest, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (result.status !== 0) {
      throw new Error(`installing ${pkg} for '${command}' failed: ${args.join(" ")} exited ${result.status}: ${(result.stderr || "").slice(-2000)}`);
    }
  };
  if (!aptUpdated) {
    run(["apt-get", "update"]);
    aptUpdated = true;
  }
  run(["apt-get", "install", "-y", "--no-install-recommends", pkg]);
  const installed = onPath(command);
  if (!installed) throw new Error(`apt-get installed ${pkg} but '${command}' is still not on PATH`);
  return installed;
}

/** Builds a Go program with `go install module@version` into .tools/bin once; returns the binary's path. */
export function ensureGoTool(binary: string, moduleAtVersion: string): string {
  const bin = path.join(TOOLS_DIR, "bin", binary);
  if (fs.existsSync(bin)) return bin;
  if (!onPath("go")) throw new Error(`'${binary}' must be built from ${moduleAtVersion} but there is no Go toolchain on PATH`);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  try {
    execFileSync("go", ["install", moduleAtVersion], {
      env: { ...process.env, GOBIN: path.dirname(bin), GOFLAGS: "-trimpath" },
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`building ${binary} with 'go install ${moduleAtVersion}' failed: ${stderr.slice(-2000)}`);
  }
  if (!fs.existsSync(bin)) throw new Error(`'go install ${moduleAtVersion}' succeeded but ${bin} is missing`);
  return bin;
}

export const sstDump = (): string => ensureAptTool("sst_dump", "rocksdb-tools");
export const ldb = (): string => ensureAptTool("ldb", "rocksdb-tools");
export const versitygw = (): string => ensureGoTool("versitygw", "github.com/versity/versitygw/cmd/versitygw@v1.8.0");
