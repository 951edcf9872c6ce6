// A Raft member process with the trivial KV state machine, for the three-process test and the raft-vs-etcd
// benchmark. Two ports: the peer API (RaftNode's own grpc-js server) on --listen, and the test KV API
// (process-kv-rpc.ts) on --client-listen, served by a lean unary gRPC server (process-kv-server.ts).
//
//   node dist/test/raft/process-node.js --id n1 --data-dir DIR --listen 127.0.0.1:PORT --client-listen 127.0.0.1:PORT
//        --peers n1=127.0.0.1:P1,n2=127.0.0.1:P2,n3=127.0.0.1:P3 [--cluster ID] [--tick-ms 100]
//        [--snapshot-entries N]          (the cluster secret comes from TARN_CLUSTER_SECRET)
//
// Prints "ready" on stdout once it serves; exits 1 if the node fails (e.g. its log cannot be written).
import { status } from "@grpc/grpc-js";
import * as path from "node:path";
import { RaftNode, stderrLogger, verboseLogger } from "../../raft/node";
import { encodePut, KvStateMachine } from "./process-kv";
import { decodePutRequest, encodePutResponse, KV_PATHS, MemberDump, MemberStatus } from "./process-kv-rpc";
import { createUnaryServer, listen } from "./process-kv-server";

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) throw new Error(`bad argument '${argv[i]}': expected --name value pairs`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ["id", "data-dir", "listen", "client-listen", "peers"]) if (!out[required]) throw new Error(`missing --${required}`);
  return out;
}

function errorStatus(err: unknown): { code: status; details: string } {
  const code = (err as { code?: string }).code;
  const grpc = code === "DEADLINE_EXCEEDED" ? status.DEADLINE_EXCEEDED : code === "INVALID_ARGUMENT" ? status.INVALID_ARGUMENT : status.UNAVAILABLE;
  return { code: grpc, details: (err as Error).message };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const secret = process.env.TARN_CLUSTER_SECRET;
  if (!secret) throw new Error("TARN_CLUSTER_SECRET is not set");
  const members: Record<string, string> = {};
  for (const pair of args.peers.split(",")) {
    const [id, address] = pair.split("=");
    if (!id || !address) throw new Error(`bad --peers entry '${pair}': expected ID=HOST:PORT`);
    members[id] = address;
  }
  const kv = new KvStateMachine(path.join(args["data-dir"], "snapshots"));
  const node = await RaftNode.start({
    id: args.id,
    members,
    dataDir: path.join(args["data-dir"], "log"),
    cluster: args.cluster ?? "process-test",
    secret,
    stateMachine: kv,
    listen: args.listen,
    tickMs: Number(args["tick-ms"] ?? 100),
    snapshotEntries: Number(args["snapshot-entries"] ?? 10_000),
    logger: process.env.RAFT_VERBOSE ? verboseLogger : stderrLogger,
  });
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  const server = createUnaryServer({
    [KV_PATHS.put]: (request, done) => {
      let req;
      try {
        req = decodePutRequest(request);
      } catch (err) {
        return done({ code: status.INVALID_ARGUMENT, details: (err as Error).message });
      }
      node.propose(encodePut(req.key, req.value)).then(
        (result) => done(null, encodePutResponse(Number(Buffer.from(result).toString()))),
        (err) => done(errorStatus(err)),
      );
    },
    [KV_PATHS.status]: (_request, done) => {
      const s = node.status();
      const body: MemberStatus = { id: s.id, role: s.role, leader: s.leader, term: s.term, commit: s.commit, applied: s.applied };
      done(null, json(body));
    },
    [KV_PATHS.dump]: (_request, done) => {
      const data: Record<string, string> = {};
      for (const [k, v] of kv.data) data[k] = v.toString("utf8");
      const body: MemberDump = { applied: node.status().applied, data };
      done(null, json(body));
    },
  });
  await listen(server, args["client-listen"]);
  process.stdout.write("ready\n");

  const watchdog = setInterval(() => {
    const failure = node.failedWith();
    if (failure) {
      process.stderr.write(`process-node ${args.id}: ${failure.message}\n`);
      process.exit(1);
    }
  }, 200);
  const shutdown = async () => {
    clearInterval(watchdog);
    await node.stop();
    server.close();
    process.exit(0);
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((err: Error) => {
  process.stderr.write(`process-node: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
