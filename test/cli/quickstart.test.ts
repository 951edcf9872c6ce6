// Acceptance 1: the README's quick start, as a new user runs it: `tarn run` on an empty data dir (it prints
// admin keys and writes ~/.tarn/config.yaml), then the CLI: create a repository, upload a directory, commit,
// branch, change a file, diff, merge, and read the merged file back.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { freePort } from "../support/ports";
import { startProcess, StartedProcess, waitUntil } from "../support/processes";
import { cleanEnv, TARN, tarn, tarnOk, tempDir } from "../server/support";

describe("quick start (tarn run + the CLI)", function () {
  this.timeout(120_000);
  let env: NodeJS.ProcessEnv;
  let root: string;
  let server: StartedProcess;
  let httpPort: number;
  let grpcPort: number;

  const startServer = async () => {
    server = startProcess(process.execPath, [TARN, "run", "--data-dir", path.join(root, "tarn-data"), "--listen", `127.0.0.1:${httpPort}`, "--grpc-listen", `127.0.0.1:${grpcPort}`], { env, cwd: root });
    await waitUntil("tarn run", async () => server.output().includes("Tarn is running."), 60_000, server);
  };

  before(async () => {
    root = tempDir("quickstart");
    env = cleanEnv();
    httpPort = await freePort();
    grpcPort = await freePort();
    await startServer();
  });

  after(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("prints generated admin keys once and writes them to ~/.tarn/config.yaml with mode 0600", () => {
    const config = path.join(env.HOME!, ".tarn", "config.yaml");
    const parsed = YAML.parse(fs.readFileSync(config, "utf8"));
    assert.equal(parsed.endpoint, `127.0.0.1:${grpcPort}`);
    assert.match(server.output(), new RegExp(`access key id: +${parsed.credentials.access_key_id}`));
    assert.match(server.output(), new RegExp(`secret access key: +${parsed.credentials.secret_access_key}`));
    assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  });

  it("runs the README sequence: repository, upload, commit, branch, change, diff, merge, read back", async () => {
    const data = path.join(root, "data");
    fs.mkdirSync(path.join(data, "logs"), { recursive: true });
    fs.writeFileSync(path.join(data, "a.txt"), "hello\n");
    fs.writeFileSync(path.join(data, "logs", "b.txt"), "log line\n");
    const run = (args: string[]) => tarnOk(args, env);

    await run(["repo", "create", "tarn://quickstart"]);
    assert.match(await run(["fs", "upload", data, "tarn://quickstart/main/", "--recursive"]), /Uploaded 2 objects/);
    await run(["commit", "tarn://quickstart/main", "-m", "first data"]);
    await run(["branch", "create", "tarn://quickstart/experiment", "--source", "tarn://quickstart/main"]);
    fs.writeFileSync(path.join(root, "changed.txt"), "new contents\n");
    await run(["fs", "upload", path.join(root, "changed.txt"), "tarn://quickstart/experiment/a.txt"]);
    assert.match(await run(["diff", "tarn://quickstart/experiment"]), /changed a\.txt/);
    await run(["commit", "tarn://quickstart/experiment", "-m", "change a.txt"]);
    const diff = JSON.parse(await run(["diff", "tarn://quickstart/main", "tarn://quickstart/experiment", "--output", "json"]));
    assert.deepEqual(diff.map((d: { type: string; path: string }) => [d.type, d.path]), [["changed", "a.txt"]]);
    const merge = JSON.parse(await run(["merge", "tarn://quickstart/experiment", "tarn://quickstart/main", "-o", "json"]));
    assert.equal(merge.summary.changed, 1);
    assert.equal(await run(["fs", "cat", "tarn://quickstart/main/a.txt"]), "new contents\n");
    assert.equal(await run(["fs", "cat", "tarn://quickstart/main/logs/b.txt"]), "log line\n");

    const log = JSON.parse(await run(["log", "tarn://quickstart/main", "--output", "json"]));
    assert.equal(log[0].parents.length, 2, "the head of main is the merge commit");
    const listing = JSON.parse(await run(["fs", "ls", "tarn://quickstart/main/", "--recursive", "--output", "json"]));
    assert.deepEqual(listing.map((o: { path: string }) => o.path), ["a.txt", "logs/b.txt"]);
  });

  it("serves /healthz and Prometheus /metrics on the HTTP port", async () => {
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(metrics, /tarn_grpc_requests_total\{method="Commit",code="OK"\} \d+/);
  });

  it("keeps its state across a graceful restart and does not print keys again", async () => {
    await server.stop("SIGTERM");
    assert.equal(server.child.exitCode, 0, server.output());
    await startServer();
    assert.doesNotMatch(server.output(), /secret access key/);
    assert.equal(await tarnOk(["fs", "cat", "tarn://quickstart/main/a.txt"], env), "new contents\n");
  });

  it("refuses a port in use, naming the flag, and exits", async () => {
    const second = await tarn(["run", "--data-dir", path.join(root, "second"), "--listen", `127.0.0.1:${await freePort()}`, "--grpc-listen", `127.0.0.1:${grpcPort}`], env);
    assert.equal(second.code, 2);
    assert.match(second.stderr, new RegExp(`^tarn: cannot listen on --grpc-listen 127\\.0\\.0\\.1:${grpcPort}: the address is already in use$`, "m"));
  });

  it("fails with one clear line on stderr and a non-zero exit", async () => {
    const bad = await tarn(["fs", "cat", "tarn://quickstart/main/missing.txt"], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "tarn: object missing.txt not found at ref main of repository quickstart\n");
    const badUri = await tarn(["repo", "create", "tarn://Bad_Name"], env);
    assert.equal(badUri.code, 2);
    assert.equal(badUri.stderr.trim().split("\n").length, 1);
    assert.match(badUri.stderr, /invalid repository name 'Bad_Name'/);
    const conflict = await tarn(["repo", "create", "tarn://quickstart"], env);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /quickstart/);
  });
});
