// Acceptance 3: grow a one-member cluster to three with `tarn cluster add-member`, transfer leadership,
// remove a member, all while clients write and read; no acknowledged write is lost and the history of
// puts and reads (staged objects on a branch) is linearizable, checked with test/raft/linearizability.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { hasCode } from "../../src/errors";
import { checkKvHistory, KvOperation } from "../raft/linearizability";
import { StartedProcess, waitUntil } from "../support/processes";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, memberSpecs, MemberSpec, startMemberProcess, tarnOk, tempDir, waitForLeader } from "./support";

const REPO = "members";
/**
 * Outcomes a caller cannot know: no leader after the client's retries, or a call cut off by a member that
 * is shutting down (grpc-js reports CANCELLED). A put may or may not have happened; the model allows both.
 */
const unknownOutcome = (err: unknown) => hasCode(err, "UNAVAILABLE") || (err as { statusName?: string }).statusName === "CANCELLED";
const KEYS = ["k0", "k1", "k2"];

describe("cluster membership with tarn cluster add-member / remove-member / transfer-leader", function () {
  this.timeout(240_000);
  let root: string;
  let specs: MemberSpec[];
  const procs = new Map<string, StartedProcess>();
  let env: NodeJS.ProcessEnv;

  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("grows 1 → 3, moves leadership, shrinks, and keeps every write with linearizable reads", async () => {
    root = tempDir("membership");
    env = cleanEnv({ TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    specs = await memberSpecs(["n1", "n2", "n3"], root);
    const addr = (m: MemberSpec) => `127.0.0.1:${m.port}`;
    const [n1, n2, n3] = specs;
    procs.set("n1", startMemberProcess(n1, { peers: `n1=${addr(n1)}`, env }));
    const endpoints = specs.map(addr);
    const admin = adminClient(endpoints);
    await waitForLeader(admin, procs.get("n1"));
    const ns = path.join(root, "namespace");
    await admin.createRepository({ name: REPO, storageNamespace: `local://${ns}` });
    fs.mkdirSync(path.join(ns, "data"), { recursive: true });
    fs.writeFileSync(path.join(ns, "data", "shared"), "x");
    const cliEnv = { ...env, TARN_ENDPOINT: endpoints.join(","), TARN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };

    // Clients: random puts and reads on a few keys (the history), and a writer of unique paths (the ledger).
    let clock = 0;
    let stop = false;
    const history: KvOperation[] = [];
    const ledger = new Set<string>();
    const failures: unknown[] = [];
    const clients = [0, 1, 2].map(() => adminClient(endpoints));
    const worker = async (c: number) => {
      const client = clients[c];
      for (let i = 0; !stop; i++) {
        const key = KEYS[Math.floor(Math.random() * KEYS.length)];
        const call = clock++;
        if (Math.random() < 0.5) {
          const value = `c${c}-${i}`;
          const op: KvOperation = { id: history.length, client: c, key, input: { kind: "put", value }, output: undefined, call, ret: Infinity };
          history.push(op);
          try {
            await client.stageObject({ repository: REPO, branch: "main", path: key, physicalAddress: "data/shared", checksum: value });
            op.output = "ok";
            op.ret = clock++;
          } catch (err) {
            if (!unknownOutcome(err)) failures.push(err);
          }
        } else {
          try {
            const stats = await client.statObject({ repository: REPO, ref: "main", path: key }).catch((err: unknown) => (hasCode(err, "NOT_FOUND") ? null : Promise.reject(err)));
            history.push({ id: history.length, client: c, key, input: { kind: "get" }, output: stats ? stats.checksum : null, call, ret: clock++ });
          } catch (err) {
            if (!unknownOutcome(err)) failures.push(err); // a failed read has no effect: left out
          }
        }
      }
    };
    const ledgerWriter = async () => {
      for (let i = 0; !stop; i++) {
        try {
          await admin.stageObject({ repository: REPO, branch: "main", path: `ledger/${i}`, physicalAddress: "data/shared" });
          ledger.add(`ledger/${i}`); // only acknowledged writes are owed
        } catch (err) {
          if (!unknownOutcome(err)) failures.push(err);
        }
      }
    };
    const load = Promise.all([...[0, 1, 2].map(worker), ledgerWriter()]);
    const progress = async (n: number) => {
      const at = ledger.size;
      await waitUntil(`${n} more writes`, async () => ledger.size >= at + n, 60_000);
    };

    await progress(30);
    for (const m of [n2, n3]) {
      procs.set(m.id, startMemberProcess(m, { peers: `n1=${addr(n1)},${m.id}=${addr(m)}`, join: true, env }));
      await tarnOk(["cluster", "add-member", m.id, addr(m)], cliEnv);
      await progress(30);
    }
    let status = JSON.parse(await tarnOk(["cluster", "status", "--output", "json"], cliEnv));
    assert.deepEqual(status.members.map((m: { id: string; voter: boolean }) => [m.id, m.voter]).sort(), [["n1", true], ["n2", true], ["n3", true]]);

    status = JSON.parse(await tarnOk(["cluster", "transfer-leader", "n2", "-o", "json"], cliEnv));
    assert.equal(status.leaderId, "n2");
    await progress(30);
    await tarnOk(["cluster", "remove-member", "n1"], cliEnv);
    await procs.get("n1")!.stop();
    await progress(30);
    stop = true;
    await load;
    for (const c of clients) c.close();

    assert.deepEqual(failures, []);
    status = JSON.parse(await tarnOk(["cluster", "status", "--output", "json"], cliEnv));
    assert.deepEqual(status.members.map((m: { id: string }) => m.id).sort(), ["n2", "n3"]);
    assert.ok(["n2", "n3"].includes(status.leaderId));

    const present = new Set<string>();
    // Every ledger path: `amount` would cap the total (the stream pages by itself), and the ledger passes 1,000.
    for await (const o of admin.objects({ repository: REPO, ref: "main", prefix: "ledger/" })) present.add(o.path);
    const lost = [...ledger].filter((p) => !present.has(p));
    assert.deepEqual(lost, [], "acknowledged writes lost");

    const completed = history.filter((op) => op.ret !== Infinity).length;
    assert.ok(completed > 100, `only ${completed} operations completed`);
    const verdict = checkKvHistory(history);
    assert.ok(verdict.ok, verdict.report);
    admin.close();
  });
});
