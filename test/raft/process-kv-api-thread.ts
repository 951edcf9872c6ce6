// Runs the test KV member's client API server in a worker thread (process-kv-worker.ts) and answers its
// batched calls on this (the Raft) thread with the same handlers the in-thread server would use.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Answer, Call, WorkerOptions } from "./process-kv-worker";
import type { UnaryHandler } from "./process-kv-server";

export interface ApiThread {
  stop(): Promise<void>;
}

/** Starts the worker serving `methods` on `address`; resolves once it listens. */
export function startApiThread(address: string, methods: Record<string, UnaryHandler>): Promise<ApiThread> {
  // The worker runs the same flavour as this file: compiled JS, or TypeScript through tsx (execArgv is inherited).
  const file = path.join(__dirname, `process-kv-worker${path.extname(__filename)}`);
  const options: WorkerOptions = { address, paths: Object.keys(methods) };
  const worker = new Worker(file, { workerData: options });
  let answers: Answer[] = [];
  const flush = () => {
    const batch = answers;
    answers = [];
    worker.postMessage({ answers: batch });
  };
  const answer = (a: Answer) => {
    if (answers.length === 0) setImmediate(flush);
    answers.push(a);
  };
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (msg: { calls?: Call[]; listening?: boolean; failed?: string }) => {
      if (msg.listening) return resolve({ stop: () => worker.terminate().then(() => undefined) });
      if (msg.failed) return reject(new Error(`client API on ${address}: ${msg.failed}`));
      for (const call of msg.calls ?? []) {
        const handler = methods[call.path];
        const body = Buffer.from(call.body.buffer, call.body.byteOffset, call.body.byteLength);
        try {
          handler(body, (err, response) => answer(err ? { id: call.id, code: err.code, details: err.details } : { id: call.id, body: response ?? Buffer.alloc(0) }));
        } catch (err) {
          answer({ id: call.id, code: 13, details: (err as Error).message });
        }
      }
    });
  });
}
