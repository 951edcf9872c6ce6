// The test KV member's client API in a worker thread: the HTTP/2 server (process-kv-server.ts) parses and
// answers calls here, and the member's main thread, which runs Raft, only sees batches of request bodies
// and sends back batches of answers. Per write the HTTP/2 work (about 40-50 us of CPU) is most of a
// leader's cost; off the Raft thread it runs on the other core instead of in the commit path.
//
// Protocol (both directions batched per event-loop turn, so one message carries many calls):
//   worker → main: CallBatch  = { calls: [{ id, path, body }] }
//   main → worker: AnswerBatch = { answers: [{ id, body } | { id, code, details }] }
import { parentPort, workerData } from "node:worker_threads";
import { CallError, createUnaryServer, listen, UnaryHandler } from "./process-kv-server";

export interface Call {
  id: number;
  path: string;
  body: Uint8Array;
}

export type Answer = { id: number; body: Uint8Array } | { id: number; code: number; details: string };

export interface WorkerOptions {
  address: string;
  paths: string[];
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error("process-kv-worker runs as a worker thread only");
  const { address, paths } = workerData as WorkerOptions;
  const waiting = new Map<number, (err: CallError | null, response?: Buffer) => void>();
  let nextId = 1;
  let outgoing: Call[] = [];
  const flush = () => {
    const calls = outgoing;
    outgoing = [];
    port.postMessage({ calls });
  };
  const forward: (path: string) => UnaryHandler = (path) => (request, done) => {
    const id = nextId++;
    waiting.set(id, done);
    if (outgoing.length === 0) setImmediate(flush);
    outgoing.push({ id, path, body: request });
  };
  port.on("message", (msg: { answers: Answer[] }) => {
    for (const a of msg.answers) {
      const done = waiting.get(a.id);
      if (!done) continue;
      waiting.delete(a.id);
      if ("code" in a) done({ code: a.code, details: a.details });
      else done(null, Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength));
    }
  });
  const server = createUnaryServer(Object.fromEntries(paths.map((p) => [p, forward(p)])));
  listen(server, address).then(
    () => port.postMessage({ listening: true }),
    (err: Error) => port.postMessage({ failed: err.message }),
  );
}

main();
