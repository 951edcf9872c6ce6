// Acceptance 2: three `tarn metadata` processes on loopback and a TarnClient. kill -9 the leader during
// writes: a new leader serves and the client follows without the caller seeing an error; the killed member
// rejoins and catches up; every acknowledged write is present. A member whose data dir is wiped rejoins from
// the newest snapshot in the object store. Run with versitygw (S3) and Azurite as snapshot stores.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TarnClient } from "../../src/client";
import { azurite } from "../support/azurite";
import { StartedProcess, waitUntil } from "../support/processes";
import { s3Server } from "../support/s3server";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, MemberSpec, memberSpecs, peersFlag, startMemberProcess, tempDir, waitForLeader } from "./support";

interface SnapshotTarget {
  uri: string;
  env: NodeJS.ProcessEnv;
}

const REPO = "failover";

function scenario(name: string, target: () => Promise<SnapshotTarget>) {
  describe(`three tarn metadata members, snapshots on ${name}`, function () {
    this.timeout(240_000);
    let root: string;
    let specs: MemberSpec[];
    let procs: Map<string, StartedProcess>;
    let env: NodeJS.ProcessEnv;
    let snapshotUri: string;
    let client: TarnClient;
    const acked = new Set<string>();

    const start = (m: MemberSpec) => {
      procs.set(m.id, startMemberProcess(m, { peers: peersFlag(specs), snapshotStore: snapshotUri, snapshotEntries: 300, env, logLevel: "info" }));
    };
    const endpoints = () => specs.map((m) => `127.0.0.1:${m.port}`);

    /**
     * Stages objects from `writers` concurrent callers through `through` (the client, whose concurrent calls
     * go as StageObjects batches) until `until`; every acknowledged path is kept.
     */
    const write = async (tag: string, writers: number, until: () => boolean, through = () => client) => {
      const errors: unknown[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; !until() && errors.length === 0; i++) {
            const p = `${tag}/w${w}/${i}`;
            try {
              await through().stageObject({ repository: REPO, branch: "main", path: p, physicalAddress: "data/shared", checksum: p });
              acked.add(p);
            } catch (err) {
              errors.push(err);
            }
          }
        }),
      );
      assert.deepEqual(errors, [], "the caller saw no error");
    };

    const listAll = async (c: TarnClient): Promise<Set<string>> => {
      const seen = new Set<string>();
      let after = "";
      for (;;) {
        let last = "";
        let more = false;
        for await (const batch of c.listObjects({ repository: REPO, ref: "main", after, amount: 1000 })) {
          for (const o of batch.results) seen.add((last = o.path));
          if (batch.pagination) more = batch.pagination.hasMore;
        }
        if (!more || last === "") return seen;
        after = last;
      }
    };

    const assertAllPresent = async (c: TarnClient, where: string) => {
      const seen = await listAll(c);
      const missing = [...acked].filter((p) => !seen.has(p));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged writes missing ${where}`);
    };

    /** Waits until the leader reports `id` as matching its commit index. */
    const caughtUp = async (id: string) => {
      await waitUntil(
        `member ${id} catching up`,
        async () => {
          const s = await client.getClusterStatus();
          const m = s.members.find((x) => x.id === id);
          return s.leaderId !== "" && s.leaderId !== id && m !== undefined && m.matchIndex >= s.commitIndex && m.role !== "MEMBER_ROLE_UNREACHABLE";
        },
        60_000,
        procs.get(id),
      );
    };

    /** The indexes of the snapshots member `id` took, from its log (its last 64 KiB). */
    const snapshotsTaken = (id: string) => [...procs.get(id)!.output().matchAll(/snapshot at index (\d+) \(/g)].map((x) => Number(x[1]));

    /** Makes `id` the leader, so that reads are answered from its own database. */
    const lead = async (id: string) => {
      await waitUntil(`leadership moving to ${id}`, async () => (await client.transferLeader({ targetId: id })).leaderId === id, 30_000, procs.get(id));
    };

    before(async () => {
      const t = await target();
      snapshotUri = t.uri;
      root = tempDir("failover");
      env = cleanEnv({ ...t.env, TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
      specs = await memberSpecs(["m1", "m2", "m3"], root);
      procs = new Map();
      for (const m of specs) start(m);
      client = adminClient(endpoints());
      await waitForLeader(client, procs.get("m1"));
      const ns = path.join(root, "namespace");
      await client.createRepository({ name: REPO, storageNamespace: `local://${ns}` });
      // One object every staged entry points at: the test measures metadata writes, not data copies.
      fs.mkdirSync(path.join(ns, "data"), { recursive: true });
      fs.writeFileSync(path.join(ns, "data", "shared"), "shared bytes");
    });

    after(async () => {
      client?.close();
      await Promise.all([...(procs?.values() ?? [])].map((p) => p.stop()));
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("keeps serving through kill -9 of the leader, without an error reaching the caller", async () => {
      const leader = (await client.getClusterStatus()).leaderId;
      let killedAt = 0;
      let firstAckAfterKill = 0;
      const before = acked.size;
      // 16 writers through one client: their writes go as StageObjects batches (the SDK's default).
      const writing = write("kill", 16, () => firstAckAfterKill > 0 && Date.now() - firstAckAfterKill > 1500);
      await waitUntil("writes before the kill", async () => acked.size - before >= 100, 30_000);
      const ackedBeforeKill = acked.size;
      procs.get(leader)!.child.kill("SIGKILL");
      killedAt = Date.now();
      await waitUntil("a write acknowledged after the kill", async () => acked.size > ackedBeforeKill + 4, 30_000);
      firstAckAfterKill = Date.now();
      await writing;
      const s = await client.getClusterStatus();
      assert.notEqual(s.leaderId, leader);
      process.stdout.write(`      failover: writes acknowledged again ${firstAckAfterKill - killedAt} ms after kill -9 of ${leader}; new leader ${s.leaderId}\n`);

      // The killed member comes back on its data dir, catches up, and holds every acknowledged write.
      start(specs.find((m) => m.id === leader)!);
      await caughtUp(leader);
      await assertAllPresent(client, "through the new leader");
      await lead(leader);
      await assertAllPresent(client, `on the restarted member ${leader}`);
    });

    it("rebuilds a member whose data dir was wiped from the newest object-store snapshot", async () => {
      const leaderId = (await client.getClusterStatus()).leaderId;
      const victim = specs.find((m) => m.id !== leaderId)!;
      // Writes through the client (coalesced: a few log entries for many writes) until the leader takes its
      // next snapshot (every 300 entries): the one it will send the wiped member.
      const newestSnapshot = () => Math.max(0, ...snapshotsTaken(leaderId));
      const before = newestSnapshot();
      await write("to-snapshot", 8, () => newestSnapshot() > before);
      const acknowledged = (await client.getClusterStatus()).members.find((m) => m.id === victim.id)!.matchIndex;
      await procs.get(victim.id)!.stop("SIGKILL");
      fs.rmSync(victim.dataDir, { recursive: true, force: true });
      // Fewer new entries than a snapshot interval: the leader does not compact its log past what the wiped
      // member acknowledged (before the fix it probed there for ever). The member comes back empty, its first
      // heartbeat tells the leader its log is lost, and the leader, whose log starts after its snapshot,
      // sends that snapshot, which the member restores from the object store, then the log after it.
      let n = acked.size;
      await write("wiped", 8, () => acked.size - n >= 200);
      n = acked.size;
      const restarted = Date.now();
      start(victim);
      await caughtUp(victim.id);
      assert.match(procs.get(victim.id)!.output(), /restored snapshot snapshots\/\d+-\d+\.sst/);
      const newest = newestSnapshot();
      const commit = (await client.getClusterStatus()).commitIndex;
      process.stdout.write(
        `      wiped: ${victim.id} had acknowledged ${acknowledged}; the leader's newest snapshot ${newest}, commit ${commit}; caught up ${Date.now() - restarted} ms after its start\n`,
      );
      assert.ok(newest <= acknowledged, `the leader compacted its log to ${newest}, past the ${acknowledged} the wiped member had acknowledged`);
      assert.match(procs.get(leaderId)!.output(), new RegExp(`follower lost entries it had acknowledged.*"to":"${victim.id}","match":\\d+,"followerLastIndex":0`));
      await lead(victim.id);
      await assertAllPresent(client, `on the rebuilt member ${victim.id}`);
      assert.ok(acked.size >= n);
    });
  });
}

scenario("versitygw (S3)", async () => {
  const s3 = await s3Server();
  return {
    uri: `s3://${s3.bucket}/failover-${Date.now()}`,
    env: { TARN_S3_ENDPOINT: s3.endpoint, TARN_S3_ACCESS_KEY_ID: s3.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, TARN_S3_REGION: s3.region },
  };
});

scenario("Azurite (Azure Blob)", async () => {
  const az = await azurite();
  return { uri: `azure://${az.accountName}/${az.container}/failover-${Date.now()}`, env: { TARN_AZURE_CONNECTION_STRING: az.connectionString } };
});
