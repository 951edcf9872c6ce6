// Every RPC of the proto has an implementation and a permission rule; calls are counted and timed in
// Prometheus metrics served over HTTP, and logged as one JSON object per line.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COVERED_METHODS } from "../../src/auth";
import { apiMethods, createLogger, formatLogLine, openLocalService, startMetricsServer } from "../../src/metadata";
import { TarnClient } from "../../src/client";
import { CLUSTER_SECRET } from "./support";

describe("metadata service: coverage, metrics and logs", () => {
  it("implements every RPC of proto/metadata.proto, each with a permission rule", async () => {
    const methods = [...apiMethods().keys()].sort();
    assert.equal(methods.length, 52);
    assert.deepEqual([...COVERED_METHODS].sort(), methods);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-metadata-obs-"));
    const lines: string[] = [];
    const svc = await openLocalService({ dataDir: dir, clusterSecret: CLUSTER_SECRET, logger: createLogger({ level: "debug", write: (l) => lines.push(l) }) });
    const port = await svc.server.listen("127.0.0.1:0");
    const client = new TarnClient({ endpoints: [`127.0.0.1:${port}`], ...svc.admin!, retry: { attempts: 1 } });
    const metrics = await startMetricsServer(svc.server.metrics.registry, "127.0.0.1", 0);
    try {
      // An empty request to every RPC: whatever it answers, it is never "not implemented" or an internal error.
      for (const m of apiMethods().values()) {
        const call = m.responseStream ? (async () => { for await (const _ of client.callStream(m.service, m.name, {})) void _; })() : client.call(m.service, m.name, {});
        await call.catch((err: { statusName?: string; message: string }) => {
          assert.ok(!["UNIMPLEMENTED", "INTERNAL", "UNKNOWN"].includes(err.statusName ?? ""), `${m.path}: ${err.statusName} ${err.message}`);
        });
      }

      const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      assert.match(text, /tarn_grpc_requests_total\{method="WhoAmI",code="OK"\} 1/);
      assert.match(text, /tarn_grpc_requests_total\{method="GetRepository",code="INVALID_ARGUMENT"\} 1/);
      assert.match(text, /tarn_grpc_request_duration_seconds_count\{method="Commit",code="[A-Z_]+"\} 1/);
      assert.equal((await fetch(`http://127.0.0.1:${metrics.port}/other`)).status, 404);

      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const refusal = parsed.find((l) => l.method === "/tarn.metadata.v1.RepositoryService/GetRepository");
      assert.equal(refusal?.level, "info");
      assert.equal(refusal?.code, "INVALID_ARGUMENT");
      assert.match(String(refusal?.error), /invalid repository name/);
      assert.equal(refusal?.caller, "admin");
      assert.ok(parsed.some((l) => l.msg === "metadata service listening"));
    } finally {
      client.close();
      await metrics.close();
      await svc.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("formats log lines as JSON with level, time, message and fields", () => {
    const line = formatLogLine("warn", new Date(Date.UTC(2026, 10, 24, 13, 0, 0)), "slow call", { ms: 12.5, err: Object.assign(new Error("boom"), { code: "UNAVAILABLE" }), big: 2n ** 60n });
    assert.deepEqual(JSON.parse(line), { level: "warn", time: "2026-11-24T13:00:00.000Z", msg: "slow call", ms: 12.5, err: { message: "boom", code: "UNAVAILABLE" }, big: "1152921504606846976" });
    const out: string[] = [];
    const log = createLogger({ level: "info", write: (l) => out.push(l) }).child({ member: "n1" });
    log.debug("hidden");
    log.info("shown", { x: 1 });
    assert.equal(out.length, 1);
    assert.deepEqual({ ...JSON.parse(out[0]), time: undefined }, { level: "info", time: undefined, msg: "shown", member: "n1", x: 1 });
  });
});
