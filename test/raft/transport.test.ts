// The gRPC peer transport on loopback: delivery, authentication refusals, malformed and oversized batches,
// proposal forwarding and the chunked snapshot fallback.
import assert from "node:assert/strict";
import { Client, credentials, Metadata, ServiceError, status } from "@grpc/grpc-js";
import { encodeMessageBatch, GrpcTransport, PEER_AUTH_HEADERS, signPeerCall, TransportHandlers } from "../../raft/transport";
import type { Logger } from "../../raft/node/logger";
import { EntryType, Message, MessageType } from "../../raft/types";

const SECRET = "s3cret-for-tests";
const CLUSTER = "test-cluster";

interface Node {
  transport: GrpcTransport;
  address: string;
  received: Message[];
  unreachable: string[];
  warnings: string[];
}

function logger(warnings: string[]): Logger {
  return { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

async function startNode(self: string, peers: Record<string, string>, extra: Partial<TransportHandlers> = {}, opts: { secret?: string; cluster?: string; maxMessageBytes?: number } = {}): Promise<Node> {
  const node = { received: [] as Message[], unreachable: [] as string[], warnings: [] as string[] } as Node;
  node.transport = new GrpcTransport(
    { self, cluster: opts.cluster ?? CLUSTER, secret: opts.secret ?? SECRET, peers, listen: "127.0.0.1:0", maxMessageBytes: opts.maxMessageBytes, logger: logger(node.warnings) },
    { onMessages: (_from, ms) => node.received.push(...ms), onUnreachable: (p) => node.unreachable.push(p), ...extra },
  );
  node.address = `127.0.0.1:${await node.transport.start()}`;
  return node;
}

const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function msg(from: string, to: string, extra: Partial<Message> = {}): Message {
  return { type: MessageType.Heartbeat, from, to, term: 3, index: 0, logTerm: 0, entries: [], commit: 7, reject: false, rejectHint: 0, ...extra };
}

/** Writes raw bytes on a Send stream with the given metadata; resolves with the call's final status. */
function rawSend(address: string, md: Metadata, payloads: Buffer[]): Promise<ServiceError | null> {
  const client = new Client(address, credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024 });
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest("/tarn.raft.v1.RaftPeer/Send", (b: Buffer) => b, (b: Buffer) => b, md, {}, (err) => {
      client.close();
      resolve(err);
    });
    for (const p of payloads) call.write(p);
    call.end();
  });
}

describe("raft gRPC transport", () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.transport.stop()));
  });

  async function pair(optsB: { maxMessageBytes?: number } = {}, extraB: Partial<TransportHandlers> = {}) {
    const b = await startNode("b", {}, extraB, optsB);
    const a = await startNode("a", { b: b.address });
    b.transport.setPeer("a", a.address);
    nodes.push(a, b);
    return { a, b };
  }

  it("delivers batches of messages with every field intact", async () => {
    const { a, b } = await pair();
    const app = msg("a", "b", {
      type: MessageType.App,
      index: 41,
      logTerm: 2,
      entries: [
        { term: 3, index: 42, type: EntryType.Normal, data: Buffer.from("hello") },
        { term: 3, index: 43, type: EntryType.ConfChange, data: Buffer.from([1, 2, 3]) },
      ],
      context: Buffer.from("ctx"),
    });
    const snap = msg("a", "b", {
      type: MessageType.Snap,
      term: 2 ** 40,
      snapshot: { metadata: { index: 9, term: 2, confState: { voters: ["a", "b"], learners: ["c"], votersOutgoing: [], learnersNext: [], autoLeave: false } }, reference: "s3://x/snap" },
    });
    const failed = a.transport.send([app, msg("a", "b"), snap]);
    assert.equal(failed.size, 0);
    await until("three messages", () => b.received.length === 3);
    assert.equal(b.received[0].type, MessageType.App);
    assert.equal(b.received[0].index, 41);
    assert.deepEqual(b.received[0].entries.map((e) => [e.index, e.type, Buffer.from(e.data).toString("hex")]), [
      [42, EntryType.Normal, Buffer.from("hello").toString("hex")],
      [43, EntryType.ConfChange, "010203"],
    ]);
    assert.equal(Buffer.from(b.received[0].context!).toString(), "ctx");
    assert.equal(b.received[1].commit, 7);
    assert.equal(b.received[1].context, undefined);
    assert.equal(b.received[2].term, 2 ** 40);
    assert.deepEqual(b.received[2].snapshot, { ...snap.snapshot, data: undefined });
    assert.deepEqual(b.warnings, []);
  });

  it("refuses a sender with the wrong cluster secret, and logs it", async () => {
    const b = await startNode("b", {});
    const impostor = await startNode("a", { b: b.address }, {}, { secret: "not-the-secret" });
    b.transport.setPeer("a", impostor.address);
    nodes.push(b, impostor);
    impostor.transport.send([msg("a", "b")]);
    await until("the refusal", () => b.warnings.some((w) => /bad HMAC/.test(w)));
    await until("the sender to see the peer unreachable", () => impostor.unreachable.includes("b"));
    assert.equal(b.received.length, 0);
    const err = await rawSend(b.address, signPeerCall("wrong", CLUSTER, "a", "b"), []);
    assert.equal(err?.code, status.UNAUTHENTICATED);
    const none = await rawSend(b.address, new Metadata(), []);
    assert.equal(none?.code, status.UNAUTHENTICATED);
  });

  it("refuses calls for another cluster, another recipient, or from an unknown member", async () => {
    const { b } = await pair();
    const otherCluster = await rawSend(b.address, signPeerCall(SECRET, "other-cluster", "a", "b"), []);
    assert.equal(otherCluster?.code, status.PERMISSION_DENIED);
    assert.match(otherCluster!.details, /other-cluster/);
    const stranger = await rawSend(b.address, signPeerCall(SECRET, CLUSTER, "zed", "b"), []);
    assert.equal(stranger?.code, status.PERMISSION_DENIED);
    assert.match(stranger!.details, /'zed' is not a member/);
    const misdirected = await rawSend(b.address, signPeerCall(SECRET, CLUSTER, "a", "c"), []);
    assert.equal(misdirected?.code, status.PERMISSION_DENIED);
    const tampered = signPeerCall(SECRET, CLUSTER, "a", "b");
    tampered.set(PEER_AUTH_HEADERS.from, "c");
    assert.equal((await rawSend(b.address, tampered, []))?.code, status.UNAUTHENTICATED);
    assert.equal(b.warnings.filter((w) => /refused Send/.test(w)).length, 4);
    assert.equal(b.received.length, 0);
  });

  it("rejects malformed, forged and oversized batches, logs them, and keeps serving", async () => {
    const { a, b } = await pair({ maxMessageBytes: 64 * 1024 });
    const md = () => signPeerCall(SECRET, CLUSTER, "a", "b");
    const garbage = await rawSend(b.address, md(), [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2])]);
    assert.equal(garbage?.code, status.INVALID_ARGUMENT);
    const badType = encodeMessageBatch([msg("a", "b")]);
    // Field 1 of the message is its type: rewrite HEARTBEAT (11) to an unknown number.
    const at = badType.indexOf(Buffer.from([0x08, 11]));
    badType[at + 1] = 99;
    assert.equal((await rawSend(b.address, md(), [badType]))?.code, status.INVALID_ARGUMENT);
    const forged = await rawSend(b.address, md(), [encodeMessageBatch([msg("c", "b")])]);
    assert.equal(forged?.code, status.PERMISSION_DENIED);
    const big = encodeMessageBatch([msg("a", "b", { type: MessageType.App, entries: [{ term: 1, index: 1, type: EntryType.Normal, data: Buffer.alloc(100 * 1024) }] })]);
    assert.equal((await rawSend(b.address, md(), [big]))?.code, status.RESOURCE_EXHAUSTED);
    assert.ok(b.warnings.some((w) => /undecodable/.test(w)), b.warnings.join("\n"));
    assert.ok(b.warnings.some((w) => /unknown message type 99/.test(w)), b.warnings.join("\n"));
    assert.ok(b.warnings.some((w) => /claims to come from 'c'/.test(w)));
    assert.ok(b.warnings.some((w) => /exceeds the limit/.test(w)));
    assert.equal(b.received.length, 0);
    a.transport.send([msg("a", "b", { commit: 99 })]);
    await until("a good message after the bad ones", () => b.received.length === 1);
    assert.equal(b.received[0].commit, 99);
  });

  it("reports an unreachable peer and reconnects when it comes back", async () => {
    const b = await startNode("b", {});
    const port = b.address.split(":")[1];
    const a = await startNode("a", { b: b.address });
    b.transport.setPeer("a", a.address);
    nodes.push(a);
    a.transport.send([msg("a", "b")]);
    await until("first delivery", () => b.received.length === 1);
    await b.transport.stop();
    await until("unreachable report", () => {
      a.transport.send([msg("a", "b")]);
      return a.unreachable.includes("b");
    });
    const b2 = await startNode("b", { a: a.address });
    nodes.push(b2);
    assert.notEqual(b2.address.split(":")[1], undefined);
    // Re-address b (a new port) and expect delivery again.
    a.transport.setPeer("b", b2.address);
    await until("delivery after reconnect", () => {
      a.transport.send([msg("a", "b", { commit: 5 })]);
      return b2.received.length > 0;
    });
    assert.equal(b2.received[0].commit, 5);
    assert.ok(port);
  });

  it("forwards proposals and carries the leader's refusal back", async () => {
    let fail = false;
    const { a } = await pair({}, {
      onPropose: async (from, data) => {
        if (fail) throw Object.assign(new Error("not the leader"), { grpcCode: status.UNAVAILABLE, leaderAddress: "127.0.0.1:1234" });
        return Buffer.from(`${from}:${Buffer.from(data).toString()}`);
      },
    });
    const result = await a.transport.propose("b", Buffer.from("put x"), 5000);
    assert.equal(Buffer.from(result).toString(), "a:put x");
    fail = true;
    await assert.rejects(a.transport.propose("b", Buffer.from("put y"), 5000), (err: { grpcCode: number; leaderAddress?: string }) => {
      assert.equal(err.grpcCode, status.UNAVAILABLE);
      assert.equal(err.leaderAddress, "127.0.0.1:1234");
      return true;
    });
  });

  it("streams a snapshot in chunks from the leader", async () => {
    const bytes = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
    const { a } = await pair({}, { readSnapshot: async (index, reference) => (index === 12 && reference === "local:12" ? bytes : Buffer.alloc(0)) });
    const fetched = await a.transport.fetchSnapshot("b", 12, "local:12");
    assert.equal(fetched.length, bytes.length);
    assert.ok(fetched.equals(bytes));
    const empty = await a.transport.fetchSnapshot("b", 1, "nothing");
    assert.equal(empty.length, 0);
  });
});
