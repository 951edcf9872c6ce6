// Acceptance: three real member processes on loopback. Under write load the leader is killed with SIGKILL;
// a new leader takes over, the old one restarts on its data dir and rejoins; every acknowledged write is
// then present, with its value, on all three, and the three state machines are identical.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StartedProcess, waitUntil } from "../support/processes";
import { freePorts } from "./process-kv";
import { KvClient } from "./process-kv-rpc";
import { MemberSpec, startMember, waitForLeader } from "./process-cluster";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("raft: three member processes, leader killed under load", function () {
  this.timeout(120_000);
  let root: string;
  const procs = new Map<string, StartedProcess>();
  const clients = new Map<string, KvClient>();

  afterEach(async () => {
    for (const c of clients.values()) c.close();
    await Promise.all([...procs.values()].map((p) => p.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps every acknowledged write through a SIGKILL of the leader and its restart", async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-raftproc-"));
    const ports = await freePorts(6);
    const specs: MemberSpec[] = ["n1", "n2", "n3"].map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}`, clientAddress: `127.0.0.1:${ports[3 + i]}`, dataDir: path.join(root, id) }));
    const opts = { tickMs: 50, snapshotEntries: 300 };
    for (const s of specs) procs.set(s.id, startMember(s, specs, opts));
    for (const s of specs) {
      await waitUntil(`${s.id} serving`, async () => procs.get(s.id)!.output().includes("ready"), 60_000, procs.get(s.id));
      clients.set(s.id, new KvClient(s.clientAddress));
    }
    let leader = await waitForLeader(clients, 30_000);

    // Writers: each puts fresh keys to the member it believes leads; an error leaves the key's fate unknown
    // (it is not counted as acknowledged) and sends the writer to look for the leader again.
    const acked = new Map<string, string>();
    let ackedAfterKill = 0;
    let killed = false;
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = `w${w}-${n}`;
        const value = `value-${w}-${n}-${"x".repeat(n % 50)}`;
        try {
          await clients.get(leader)!.put(key, Buffer.from(value), 3000);
          acked.set(key, value);
          if (killed) ackedAfterKill++;
        } catch {
          await sleep(50);
          const statuses = await Promise.allSettled([...clients.values()].map((c) => c.status(500)));
          for (const s of statuses) if (s.status === "fulfilled" && s.value.role === "leader") leader = s.value.id;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));

    await waitUntil("writes before the kill", async () => acked.size >= 300, 30_000);
    const victim = leader;
    const ackedBeforeKill = acked.size;
    procs.get(victim)!.child.kill("SIGKILL");
    killed = true;
    await waitUntil("writes acknowledged by a new leader", async () => ackedAfterKill >= 200, 30_000);
    assert.notEqual(leader, victim, "a new leader took over");

    // The old leader restarts on its data dir and rejoins while the load goes on.
    const spec = specs.find((s) => s.id === victim)!;
    procs.set(victim, startMember(spec, specs, opts));
    await waitUntil(`${victim} serving again`, async () => procs.get(victim)!.output().includes("ready"), 60_000, procs.get(victim));
    const before = acked.size;
    await waitUntil("writes after the restart", async () => acked.size >= before + 200, 30_000);
    stop = true;
    await Promise.all(writers);

    // Every member converges on the same applied index and the same contents.
    const final = await waitForLeader(clients, 30_000);
    const target = (await clients.get(final)!.status()).commit;
    await waitUntil("all members applied everything", async () => {
      const statuses = await Promise.all([...clients.values()].map((c) => c.status()));
      return statuses.every((s) => s.applied >= target);
    }, 60_000);
    const dumps = await Promise.all(specs.map((s) => clients.get(s.id)!.dump()));
    for (const [key, value] of acked) {
      for (let i = 0; i < dumps.length; i++) assert.equal(dumps[i].data[key], value, `acknowledged ${key} on ${specs[i].id}`);
    }
    assert.deepEqual(dumps[1].data, dumps[0].data);
    assert.deepEqual(dumps[2].data, dumps[0].data);
    assert.ok(ackedBeforeKill >= 300 && acked.size > ackedBeforeKill + 400, `acked ${ackedBeforeKill} before the kill, ${acked.size} in all`);
  });
});
