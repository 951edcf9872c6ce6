// Debian packages that add no command of their own (python3-boto3): installed with apt-get when a probe
// says they are missing, then probed again. Fails loudly, like tools.ts's ensureAptTool.
import { spawnSync } from "node:child_process";

export function ensureAptPackage(pkg: string, present: () => boolean): void {
  if (present()) return;
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  for (const args of [["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", pkg]]) {
    const [cmd, ...rest] = [...asRoot, ...args];
    const result = spawnSync(cmd, rest, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (result.status !== 0) throw new Error(`installing ${pkg} failed: ${args.join(" ")} exited ${result.status}: ${(result.stderr || "").slice(-2000)}`);
  }
  if (!present()) throw new Error(`apt-get installed ${pkg} but it is still not usable`);
}
