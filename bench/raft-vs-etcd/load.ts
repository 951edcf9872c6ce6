// The closed-loop load both systems get: N clients, each with one Put in flight at a time (a fresh key and a
// 256-byte value per write), over a small pool of gRPC channels, for a fixed duration after a warm-up.
import { Client, credentials, Metadata, ServiceError } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { encodePutRequest } from "../../test/raft/process-kv-rpc";

export interface LoadResult {
  clients: number;
  ops: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds the system under test used during the measured window (see cpu.ts), if measured. */
  cpuSeconds?: number;
  /** CPU seconds this load generator (one Node.js process, shared by both systems) used in the window (optional: bench/metadata builds LoadResults of its own). */
  clientCpuSeconds?: number;
}

const raw = (b: Buffer) => b;

/** What runLoad drives: unary calls of raw message bytes (ChannelPool over grpc-js, Http2ChannelPool without it). */
export interface UnaryPool {
  unary(path: string, body: Buffer, timeoutMs: number): Promise<Buffer>;
  close(): void;
}

/** The load generator over grpc-js channels. */
export class ChannelPool implements UnaryPool {
  private readonly clients: Client[];
  private next = 0;

  /** `size` channels to each address; calls take them in turn. */
  constructor(addresses: string | string[], size: number) {
    const list = typeof addresses === "string" ? [addresses] : addresses;
    // Distinct channel options keep grpc-js from sharing one subchannel (one TCP connection) across them.
    this.clients = Array.from({ length: size * list.length }, (_, i) => new Client(list[i % list.length], credentials.createInsecure(), { "grpc.channel_id": i } as object));
  }

  unary(path: string, body: Buffer, timeoutMs: number): Promise<Buffer> {
    const client = this.clients[this.next++ % this.clients.length];
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, raw, raw, body, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: Buffer) =>
        err ? reject(err) : resolve(res!),
      );
    });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `clients` closed loops of Put against `path` for warmupMs + durationMs; measures only the latter. `cpu` reads the CPU seconds of the system under test. */
export function runLoad(pool: UnaryPool, path: string, clients: number, warmupMs: number, durationMs: number, keyPrefix: string, cpu?: () => number): Promise<LoadResult> {
  const value = randomBytes(256);
  return closedLoop(clients, (c, n) => pool.unary(path, encodePutRequest({ key: Buffer.from(`${keyPrefix}/${c}/${n}`), value }), 10_000), warmupMs, durationMs, cpu);
}

/**
 * `callers` closed loops of `op` (caller number, call number) for warmupMs + durationMs; latencies, errors and
 * CPU (the system under test's through `cpu`, this process's own) count only in the measured window.
 */
export async function closedLoop(callers: number, op: (caller: number, n: number) => Promise<unknown>, warmupMs: number, durationMs: number, cpu?: () => number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  let firstError: unknown;
  const loop = async (c: number) => {
    for (let n = 0; !stop; n++) {
      const start = process.hrtime.bigint();
      try {
        await op(c, n);
        if (measuring && !stop) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      } catch (err) {
        firstError ??= err;
        if (measuring) errors++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const loops = Array.from({ length: callers }, (_, c) => loop(c));
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const cpuBefore = cpu?.();
  const clientBefore = process.cpuUsage();
  const began = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, durationMs));
  stop = true;
  const elapsedS = Number(process.hrtime.bigint() - began) / 1e9;
  const cpuSeconds = cpu && cpuBefore !== undefined ? cpu() - cpuBefore : undefined;
  const client = process.cpuUsage(clientBefore);
  await Promise.all(loops);
  if (errors > 0) console.log(`  (${errors} errors; first: ${firstError instanceof Error ? firstError.message : String(firstError)})`);
  const sorted = Float64Array.from(latencies).sort();
  return {
    clients: callers,
    ops: latencies.length,
    errors,
    opsPerSec: latencies.length / elapsedS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuSeconds,
    clientCpuSeconds: (client.user + client.system) / 1e6,
  };
}
