// HTTP agents whose connection attempts give up after a few seconds. Node's own connect has no timeout
// (a black-holed address hangs for the kernel's ~2 minutes); the Azure SDK offers none either, so the
// Azure adapter hands it one of these. (The S3 SDK has `connectionTimeout` built in.)
import * as http from "node:http";
import * as https from "node:https";
import type { Duplex } from "node:stream";

type CreateConnection = (options: object, callback: (err: Error | null, socket: Duplex) => void) => Duplex;

function withConnectTimeout<T extends http.Agent>(agent: T, timeoutMs: number): T {
  const original = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    const socket = original(options, callback);
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`connection not established within ${timeoutMs} ms`), { code: "ETIMEDOUT" });
      socket.destroy(err);
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    socket.once("connect", clear); // TCP is up; TLS and the request itself are not bounded here
    socket.once("close", clear);
    return socket;
  };
  return agent;
}

export function connectTimeoutAgent(url: string, timeoutMs: number): http.Agent {
  const options = { keepAlive: true, maxSockets: 64 };
  return url.startsWith("https:")
    ? withConnectTimeout(new https.Agent(options), timeoutMs)
    : withConnectTimeout(new http.Agent(options), timeoutMs);
}
