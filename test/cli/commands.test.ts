// The CLI's commands end to end against one `tarn run`: tags, show, log, branch reset/revert/delete,
// cherry-pick, merge conflicts and strategies, fs ls/stat/rm/download, repo list/delete, --output json.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "../support/ports";
import { startProcess, StartedProcess, waitUntil } from "../support/processes";
import { ADMIN, cleanEnv, TARN, tarn, tarnOk, tempDir } from "../server/support";

describe("tarn CLI commands", function () {
  this.timeout(120_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  let server: StartedProcess;
  const json = async (args: string[]) => JSON.parse(await tarnOk([...args, "--output", "json"], env));
  const write = (name: string, text: string) => {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  before(async () => {
    root = tempDir("cli");
    const grpc = await freePort();
    const base = cleanEnv({ TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    server = startProcess(process.execPath, [TARN, "run", "--data-dir", path.join(root, "data"), "--listen", `127.0.0.1:${await freePort()}`, "--grpc-listen", `127.0.0.1:${grpc}`], { env: base });
    await waitUntil("tarn run", async () => server.output().includes("Tarn is running."), 60_000, server);
    env = { ...base, TARN_ENDPOINT: `127.0.0.1:${grpc}`, TARN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };
    assert.ok(!fs.existsSync(path.join(base.HOME!, ".tarn", "config.yaml")), "supplied admin keys are not written to the config");
    await tarnOk(["repo", "create", "tarn://cli-repo"], env);
  });

  after(async () => {
    await server?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("tags, shows and logs commits with metadata", async () => {
    await tarnOk(["fs", "upload", write("one.txt", "1"), "tarn://cli-repo/main/one.txt"], env);
    const c = await json(["commit", "tarn://cli-repo/main", "-m", "one", "--meta", "owner=ana", "--meta", "ticket=T-1"]);
    assert.deepEqual(c.metadata, { owner: "ana", ticket: "T-1" });
    const tag = await json(["tag", "create", "tarn://cli-repo/v1", "main"]);
    assert.equal(tag.commitId, c.id);
    assert.deepEqual((await json(["tag", "list", "tarn://cli-repo"])).map((t: { id: string }) => t.id), ["v1"]);
    assert.equal((await json(["show", "tarn://cli-repo/v1"])).message, "one");
    assert.match(await tarnOk(["show", "tarn://cli-repo/v1"], env), /Meta: {3}owner = ana/);
    const log = await json(["log", "tarn://cli-repo/main", "--amount", "1"]);
    assert.equal(log.length, 1);
    assert.equal(log[0].id, c.id);
    await tarnOk(["tag", "delete", "tarn://cli-repo/v1"], env);
    assert.deepEqual(await json(["tag", "list", "tarn://cli-repo"]), []);
  });

  it("resets uncommitted changes, reverts a commit and cherry-picks one", async () => {
    await tarnOk(["fs", "upload", write("two.txt", "2"), "tarn://cli-repo/main/two.txt"], env);
    assert.equal((await json(["diff", "tarn://cli-repo/main"])).length, 1);
    await tarnOk(["branch", "reset", "tarn://cli-repo/main"], env);
    assert.deepEqual(await json(["diff", "tarn://cli-repo/main"]), []);

    await tarnOk(["branch", "create", "tarn://cli-repo/side", "--source", "tarn://cli-repo/main"], env);
    await tarnOk(["fs", "upload", write("three.txt", "3"), "tarn://cli-repo/side/three.txt"], env);
    const picked = await json(["commit", "tarn://cli-repo/side", "-m", "three"]);
    await json(["cherry-pick", picked.id, "tarn://cli-repo/main"]);
    assert.equal(await tarnOk(["fs", "cat", "tarn://cli-repo/main/three.txt"], env), "3");
    const head = (await json(["log", "tarn://cli-repo/main", "--amount", "1"]))[0];
    await json(["branch", "revert", "tarn://cli-repo/main", head.id]);
    const gone = await tarn(["fs", "stat", "tarn://cli-repo/main/three.txt"], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not found/);
    const branches = await json(["branch", "list", "tarn://cli-repo"]);
    assert.deepEqual(branches.map((b: { id: string }) => b.id), ["main", "side"]);
    await tarnOk(["branch", "delete", "tarn://cli-repo/side"], env);
  });

  it("refuses a conflicting merge listing the path, and resolves it with a strategy", async () => {
    await tarnOk(["branch", "create", "tarn://cli-repo/left", "--source", "tarn://cli-repo/main"], env);
    await tarnOk(["fs", "upload", write("l.txt", "left"), "tarn://cli-repo/left/both.txt"], env);
    await tarnOk(["commit", "tarn://cli-repo/left", "-m", "left"], env);
    await tarnOk(["fs", "upload", write("r.txt", "main"), "tarn://cli-repo/main/both.txt"], env);
    await tarnOk(["commit", "tarn://cli-repo/main", "-m", "main"], env);
    const refused = await tarn(["merge", "tarn://cli-repo/left", "tarn://cli-repo/main"], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^tarn: merge of 'left' into 'main' has conflicts at both\.txt/);
    const bad = await tarn(["merge", "tarn://cli-repo/left", "tarn://cli-repo/main", "--strategy", "theirs"], env);
    assert.equal(bad.code, 2);
    await tarnOk(["merge", "tarn://cli-repo/left", "tarn://cli-repo/main", "--strategy", "source-wins"], env);
    assert.equal(await tarnOk(["fs", "cat", "tarn://cli-repo/main/both.txt"], env), "left");
  });

  it("lists, stats, downloads and removes trees of objects", async () => {
    for (let i = 0; i < 12; i++) write(`tree/d${i % 3}/f${i}.txt`, `file ${i}`);
    const uploaded = await json(["fs", "upload", path.join(root, "tree"), "tarn://cli-repo/main/tree", "--recursive", "--parallelism", "4"]);
    assert.equal(uploaded.length, 12);
    const top = await json(["fs", "ls", "tarn://cli-repo/main/tree/"]);
    assert.deepEqual(top.map((o: { path: string; pathType: string }) => [o.path, o.pathType]), [["tree/d0/", "PATH_TYPE_COMMON_PREFIX"], ["tree/d1/", "PATH_TYPE_COMMON_PREFIX"], ["tree/d2/", "PATH_TYPE_COMMON_PREFIX"]]);
    assert.equal((await json(["fs", "ls", "tarn://cli-repo/main/tree/", "--recursive"])).length, 12);
    assert.equal((await json(["fs", "stat", "tarn://cli-repo/main/tree/d1/f4.txt"])).sizeBytes, 6);

    const out = path.join(root, "downloaded");
    assert.equal((await json(["fs", "download", "tarn://cli-repo/main/tree/", out, "--recursive"])).length, 12);
    assert.equal(fs.readFileSync(path.join(out, "d2", "f11.txt"), "utf8"), "file 11");
    await tarnOk(["fs", "download", "tarn://cli-repo/main/tree/d0/f3.txt", path.join(root, "single.txt")], env);
    assert.equal(fs.readFileSync(path.join(root, "single.txt"), "utf8"), "file 3");

    await tarnOk(["fs", "rm", "tarn://cli-repo/main/tree/d0/f0.txt"], env);
    assert.equal((await json(["fs", "rm", "tarn://cli-repo/main/tree/d1/", "--recursive"])).length, 4);
    assert.equal((await json(["fs", "ls", "tarn://cli-repo/main/tree/", "--recursive"])).length, 7);
    const dir = await tarn(["fs", "upload", path.join(root, "tree"), "tarn://cli-repo/main/x/"], env);
    assert.equal(dir.code, 2);
    assert.match(dir.stderr, /is a directory: pass --recursive/);
  });

  it("shows cluster status and refuses membership changes of a single-node server", async () => {
    const status = await json(["cluster", "status"]);
    assert.equal(status.leaderId, "local");
    assert.equal(status.members.length, 1);
    const remove = await tarn(["cluster", "remove-member", "local"], env);
    assert.equal(remove.code, 1);
    assert.match(remove.stderr, /only voter/);
  });

  it("lists and deletes repositories", async () => {
    await tarnOk(["repo", "create", "tarn://other-repo", "--default-branch", "trunk"], env);
    const repos = await json(["repo", "list"]);
    assert.deepEqual(repos.map((r: { id: string; defaultBranch: string }) => [r.id, r.defaultBranch]), [["cli-repo", "main"], ["other-repo", "trunk"]]);
    await tarnOk(["repo", "delete", "tarn://other-repo"], env);
    assert.deepEqual((await json(["repo", "list"])).map((r: { id: string }) => r.id), ["cli-repo"]);
    const help = await tarnOk(["fs", "upload", "--help"], env);
    assert.match(help, /Examples:/);
  });
});
