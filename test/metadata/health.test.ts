// The metrics port also answers the Helm chart's /healthz probe: 200 "ok", or 503 with the member's reason.
import assert from "node:assert/strict";
import { createServiceMetrics, startMetricsServer } from "../../src/metadata";

describe("metadata metrics server: /healthz", () => {
  it("answers 200 ok when no health check is given, next to /metrics", async () => {
    const m = createServiceMetrics();
    m.observe("WhoAmI", "OK", 0.001);
    const server = await startMetricsServer(m.registry, "127.0.0.1", 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok\n");
      assert.match(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text(), /tarn_grpc_requests_total\{method="WhoAmI",code="OK"\} 1/);
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/healthz/more`)).status, 404);
    } finally {
      await server.close();
    }
  });

  it("follows the health check on every probe: 503 with its reason, HEAD without a body, other methods refused", async () => {
    let state = "ok";
    const server = await startMetricsServer(createServiceMetrics().registry, "127.0.0.1", 0, {
      health: () => {
        if (state === "throw") throw new Error("status unavailable");
        return state;
      },
    });
    const url = `http://127.0.0.1:${server.port}/healthz`;
    try {
      assert.equal((await fetch(url)).status, 200);
      state = "no leader";
      const down = await fetch(`${url}?verbose=1`);
      assert.equal(down.status, 503);
      assert.equal(await down.text(), "no leader\n");
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.status, 503);
      assert.equal(await head.text(), "");
      assert.equal((await fetch(url, { method: "POST" })).status, 405);
      state = "throw";
      const failed = await fetch(url);
      assert.equal(failed.status, 503);
      assert.equal(await failed.text(), "health check failed: status unavailable\n");
      state = "ok";
      const back = await fetch(url, { method: "HEAD" });
      assert.equal(back.status, 200);
    } finally {
      await server.close();
    }
  });
});
