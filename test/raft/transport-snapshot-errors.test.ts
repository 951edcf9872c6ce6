// The leader's snapshot fallback stream: a refusal (unknown member, wrong secret) or a failure to read the
// snapshot reaches the fetching member as an error with the right gRPC status, at once — not at a deadline.
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { Logger } from "../../raft/node/logger";
import { GrpcTransport, TransportError, TransportHandlers } from "../../raft/transport";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function start(self: string, peers: Record<string, string>, extra: Partial<TransportHandlers> = {}, secret = "fetch-secret"): Promise<{ transport: GrpcTransport; address: string }> {
  const transport = new GrpcTransport(
    { self, cluster: "fetch-test", secret, peers, listen: "127.0.0.1:0", logger: quiet },
    { onMessages: () => {}, onUnreachable: () => {}, ...extra },
  );
  return { transport, address: `127.0.0.1:${await transport.start()}` };
}

/** Settles with the fetch's error, or with a marker when nothing arrived within `ms`. */
async function outcome(p: Promise<unknown>, ms = 5_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => (timer = setTimeout(() => resolve("no answer"), ms)));
  try {
    return await Promise.race([p.then(() => "resolved", (err: unknown) => err), hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe("raft transport: FetchSnapshot refusals and errors", () => {
  const transports: GrpcTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.stop()));
  });

  it("hands the leader's read failure to the caller as UNAVAILABLE", async () => {
    const leader = await start("b", {}, { readSnapshot: () => Promise.reject(new Error("snapshot 12 is gone from the store")) });
    transports.push(leader.transport);
    leader.transport.setPeer("a", "127.0.0.1:1");
    const follower = await start("a", { b: leader.address });
    transports.push(follower.transport);
    const err = await outcome(follower.transport.fetchSnapshot("b", 12, "local:12"));
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.grpcCode, status.UNAVAILABLE);
    assert.match(err.message, /snapshot 12 is gone from the store/);
  });

  it("hands a refusal (not a member, wrong secret, no snapshots served) to the caller", async () => {
    const stranger = await start("b", {}, { readSnapshot: () => Promise.resolve(new Uint8Array(3)) });
    transports.push(stranger.transport);
    const follower = await start("a", { b: stranger.address });
    transports.push(follower.transport);
    const notMember = await outcome(follower.transport.fetchSnapshot("b", 1, "x"));
    assert.ok(notMember instanceof TransportError, String(notMember));
    assert.equal(notMember.grpcCode, status.PERMISSION_DENIED);

    const noSnapshots = await start("c", { a: "127.0.0.1:1" });
    transports.push(noSnapshots.transport);
    follower.transport.setPeer("c", noSnapshots.address);
    const unimplemented = await outcome(follower.transport.fetchSnapshot("c", 1, "x"));
    assert.ok(unimplemented instanceof TransportError, String(unimplemented));
    assert.equal(unimplemented.grpcCode, status.UNIMPLEMENTED);

    const otherSecret = await start("d", { a: "127.0.0.1:1" }, { readSnapshot: () => Promise.resolve(new Uint8Array(3)) }, "another-secret");
    transports.push(otherSecret.transport);
    follower.transport.setPeer("d", otherSecret.address);
    const refused = await outcome(follower.transport.fetchSnapshot("d", 1, "x"));
    assert.ok(refused instanceof TransportError, String(refused));
    assert.equal(refused.grpcCode, status.UNAUTHENTICATED);
  });
});
