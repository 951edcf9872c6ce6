// The real `helm` binary for the chart tests (test/charts), built once per machine from the Go module proxy
// into .tools/bin. The first build takes minutes on a small machine: call it from a `before` hook with a
// long timeout.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureGoTool } from "./tools";

export const HELM_MODULE = "helm.sh/helm/v3/cmd/helm@v3.22.0";

/** The path of the helm binary, building it first when missing. */
export const helm = (): string => ensureGoTool("helm", HELM_MODULE);

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

let helmHome: string | undefined;

/** Runs helm with `args` in `cwd`, its cache/config/data in a temp dir (never the user's ~/.config/helm). */
export function runHelm(args: string[], cwd: string): HelmResult {
  helmHome ??= fs.mkdtempSync(path.join(os.tmpdir(), "tarn-helm-"));
  const result = spawnSync(helm(), args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      HELM_CACHE_HOME: path.join(helmHome, "cache"),
      HELM_CONFIG_HOME: path.join(helmHome, "config"),
      HELM_DATA_HOME: path.join(helmHome, "data"),
    },
  });
  if (result.error) throw new Error(`running helm ${args.join(" ")} failed: ${result.error.message}`);
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
