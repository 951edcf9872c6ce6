// Graceful shutdown of a member: SIGTERM on the leader hands leadership to another voter and drains calls
// (new ones are told to go elsewhere), so writers see no error, and the process exits 0.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { StartedProcess, waitUntil } from "../support/processes";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, memberSpecs, peersFlag, startMemberProcess, tempDir, waitForLeader } from "./support";

describe("graceful stop of a tarn metadata leader", function () {
  this.timeout(120_000);
  let root: string;
  const procs = new Map<string, StartedProcess>();

  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("moves leadership away on SIGTERM without a writer seeing an error", async () => {
    root = tempDir("graceful");
    const env = cleanEnv({ TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    const specs = await memberSpecs(["g1", "g2", "g3"], root);
    for (const m of specs) procs.set(m.id, startMemberProcess(m, { peers: peersFlag(specs), env }));
    const client = adminClient(specs.map((m) => `127.0.0.1:${m.port}`));
    const leader = await waitForLeader(client, procs.get("g1"));
    const ns = path.join(root, "namespace");
    await client.createRepository({ name: "graceful", storageNamespace: `local://${ns}` });
    fs.mkdirSync(path.join(ns, "data"), { recursive: true });
    fs.writeFileSync(path.join(ns, "data", "shared"), "x");

    let stop = false;
    let acked = 0;
    const errors: unknown[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          await client.stageObject({ repository: "graceful", branch: "main", path: `w${w}/${i}`, physicalAddress: "data/shared" });
          acked++;
        } catch (err) {
          errors.push(err);
        }
      }
    });
    await waitUntil("writes", async () => acked >= 50, 30_000);
    await procs.get(leader)!.stop("SIGTERM");
    assert.equal(procs.get(leader)!.child.exitCode, 0, procs.get(leader)!.output());
    const after = acked;
    await waitUntil("writes after the stop", async () => acked >= after + 50, 30_000);
    stop = true;
    await Promise.all(writers);
    client.close();
    assert.deepEqual(errors, []);
    const status = await adminClient([`127.0.0.1:${specs.find((m) => m.id !== leader)!.port}`]).getClusterStatus();
    assert.notEqual(status.leaderId, leader);
  });
});
