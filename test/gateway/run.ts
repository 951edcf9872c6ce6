// Runs a real client (aws, rclone, s3cmd, python3) as a child process without blocking the event loop (the
// gateway under test lives in this process). Fails loudly with the tool's stderr.
import { execFile } from "node:child_process";
import { spawnSync } from "node:child_process";

export function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")} failed: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Does this aws CLI run? (A pyenv shim on PATH may point at nothing.) */
export function awsWorks(command = "aws"): boolean {
  return spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0;
}

/** boto3 importable by python3? */
export function boto3Works(): boolean {
  return spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" }).status === 0;
}
