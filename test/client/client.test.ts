// The SDK against a real service: it moves on from a member that does not answer, reads its configuration
// the way the CLI does, and refuses bad arguments before calling anything.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { loadConfig } from "../../src/cli/config";
import { ApiError, TarnClient } from "../../src/client";
import { UnaryChannel } from "../../src/client/http2-unary";
import { methodPath } from "../../src/metadata";
import { freePort } from "../support/ports";
import { startService, TestService } from "../metadata/support";

describe("client: TarnClient", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
  });
  after(async () => {
    await t?.close();
  });

  it("retries UNAVAILABLE on the next endpoint when the first does not answer", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const c = t.clientWith(t.svc.admin!, [dead, t.address], { attempts: 4, baseMs: 5, maxMs: 20 });
    assert.equal((await c.whoAmI()).user.id, "admin");
    assert.equal(c.leader, t.address, "the answering member named the leader");
  });

  it("retries on the next endpoint when a member drops the connection in the middle of a call", async () => {
    // A member that takes the call and dies before answering (kill -9 of a leader): the client must see
    // UNAVAILABLE, not a protocol error, and go on.
    const dropping = http2.createServer();
    let calls = 0;
    dropping.on("stream", (stream) => {
      calls++;
      stream.session?.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", resolve));
    try {
      const dead = `127.0.0.1:${(dropping.address() as AddressInfo).port}`;
      const c = t.clientWith(t.svc.admin!, [dead, t.address], { attempts: 4, baseMs: 5, maxMs: 20 });
      assert.equal((await c.whoAmI()).user.id, "admin");
      assert.equal(calls, 1, "the dropping member got the first attempt");
      const once = t.clientWith(t.svc.admin!, [dead], { attempts: 1, baseMs: 5, maxMs: 20 });
      await assert.rejects(once.whoAmI(), (err: unknown) => err instanceof ApiError && err.code === "UNAVAILABLE" && err.endpoint === dead);
    } finally {
      dropping.close();
    }
  });

  it("drops a connection that stopped answering, so calls after a timed-out one reconnect", async () => {
    // A TCP proxy in front of the service whose connections can be frozen: bytes stop flowing both ways and
    // nothing closes, as when a member's host vanishes. Connections opened after the freeze work. The channel
    // is driven directly (TarnClient would move to the leader address the service names); an unsigned call
    // is answered UNAUTHENTICATED, which is all it takes to show the connection works.
    const sockets: net.Socket[] = [];
    let connections = 0;
    const [host, port] = t.address.split(":");
    const proxy = net.createServer((inbound) => {
      connections++;
      const outbound = net.connect(Number(port), host);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("error", () => undefined);
      outbound.on("error", () => undefined);
      sockets.push(inbound, outbound);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const channel = new UnaryChannel(`127.0.0.1:${(proxy.address() as AddressInfo).port}`, 1 << 20);
    const call = () => channel.call(methodPath("AuthService", "WhoAmI"), Buffer.alloc(0), {}, 500, () => undefined);
    const refused = (status: string) => (err: unknown) => err instanceof ApiError && err.statusName === status;
    try {
      await assert.rejects(call(), refused("UNAUTHENTICATED"));
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
      await assert.rejects(call(), refused("DEADLINE_EXCEEDED"));
      await new Promise((r) => setTimeout(r, 2500)); // the ping that would prove it alive goes unanswered
      await assert.rejects(call(), refused("UNAUTHENTICATED"));
      assert.equal(connections, 2, "the frozen connection was replaced");
    } finally {
      channel.close();
      for (const s of sockets) s.destroy();
      proxy.close();
    }
  });

  it("gives up after the bounded number of attempts with UNAVAILABLE", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const c = t.clientWith(t.svc.admin!, [dead], { attempts: 3, baseMs: 5, maxMs: 10 });
    await assert.rejects(c.whoAmI(), (err: unknown) => err instanceof ApiError && err.code === "UNAVAILABLE" && err.endpoint === dead);
  });

  it("builds itself from TARN_* settings", async () => {
    const admin = t.svc.admin!;
    const home = fs.mkdtempSync(path.join(t.dir, "home-"));
    const file = path.join(home, "config.yaml");
    const config = loadConfig({ env: { TARN_ENDPOINT: t.address, TARN_ACCESS_KEY_ID: admin.accessKeyId, TARN_SECRET_ACCESS_KEY: admin.secretAccessKey }, file });
    const c = TarnClient.fromConfig(config);
    try {
      assert.equal((await c.whoAmI()).accessKeyId, admin.accessKeyId);
    } finally {
      c.close();
    }
    assert.throws(() => TarnClient.fromConfig(loadConfig({ env: { TARN_ENDPOINT: t.address }, file })), { code: "UNAUTHENTICATED" });
  });

  it("refuses a part size under 5 MiB and unknown RPCs without calling the service", async () => {
    await assert.rejects(t.client.upload("any", "main", "p", Buffer.from("x"), { partSize: 1024 }), { code: "INVALID_ARGUMENT", message: /partSize 1024/ });
    await assert.rejects(t.client.call("NoService", "Nothing", {}), { code: "INVALID_ARGUMENT", message: /unknown RPC NoService\/Nothing/ });
  });
});
