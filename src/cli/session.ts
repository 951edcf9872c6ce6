// A command's connection to the metadata service: a TarnClient from TARN_ENDPOINT / keys / ~/.tarn/config.yaml,
// closed when the command is done (an open gRPC channel would keep the process alive).
import { InvalidArgumentError } from "commander";
import { TarnClient } from "../client";
import { invalidArgument } from "../errors";
import { loadConfig, requireCredentials } from "./config";
import { formatEndpoint } from "./config";

export async function withClient<T>(fn: (client: TarnClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  for (const warning of config.warnings) process.stderr.write(`tarn: warning: ${warning}\n`);
  const credentials = requireCredentials(config);
  const client = new TarnClient({ endpoints: config.endpoints.map(formatEndpoint), ...credentials, retry: { attempts: 6 } });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** KEY=VALUE options (--meta) into a map; `flag` names the option in errors. */
export function parseKeyValues(items: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw invalidArgument(`${flag} '${item}' is not KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** A commander parser for counts (--amount, --parallelism): a whole number of at least 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

/** Repeatable option collector for commander. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function formatTime(seconds: number): string {
  return seconds > 0 ? new Date(seconds * 1000).toISOString().replace(".000Z", "Z") : "";
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
