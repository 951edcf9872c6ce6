// Client configuration: where the metadata service is and which access key to sign with. Sources, per
// setting, environment first: TARN_ENDPOINT (HOST:PORT, comma-separated for a cluster), TARN_ACCESS_KEY_ID
// with TARN_SECRET_ACCESS_KEY (always as a pair), then ~/.tarn/config.yaml:
//
//   endpoint: 127.0.0.1:9000            # or a list, or "h1:9000,h2:9000"
//   credentials:
//     access_key_id: AKIA...
//     secret_access_key: ...
//
// Parsing is pure (parseConfigText, parseEndpoints); loadConfig and writeConfig do the file I/O.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { invalidArgument, TarnError } from "../errors";

export const DEFAULT_ENDPOINT = "127.0.0.1:9000";

export interface Endpoint {
  host: string;
  port: number;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the config file holds; both parts optional. */
export interface FileConfig {
  endpoints?: Endpoint[];
  credentials?: Credentials;
}

export interface ClientConfig {
  endpoints: Endpoint[];
  credentials?: Credentials;
  /** Where each setting came from, for `tarn config` style diagnostics and error messages. */
  sources: { endpoints: string; credentials?: string };
  /** The file consulted (it may not exist). */
  file: string;
  /** Problems worth telling the user that do not stop the command (a config file others can read). */
  warnings: string[];
}

export function defaultConfigPath(home: string = os.homedir()): string {
  return path.join(home, ".tarn", "config.yaml");
}

// ---- endpoints

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function parseEndpoint(item: string, source: string): Endpoint {
  const bad = (why: string) => invalidArgument(`${source}: invalid endpoint '${item}': ${why}`);
  if (item === "") throw bad("it is empty (a stray comma?)");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(item)) throw bad("write HOST:PORT without a scheme, as in 127.0.0.1:9000");
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):([^:]*)$/.exec(item);
  if (!m) throw bad("expected HOST:PORT, as in 127.0.0.1:9000 or [::1]:9000");
  const [, host, portText] = m;
  if (!host.startsWith("[") && !HOSTNAME.test(host)) throw bad(`'${host}' is not a host name or address`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`port '${portText}' must be a number from 1 to 65535`);
  return { host, port: Number(portText) };
}

/** "h1:9000,h2:9000" (or a list of items) → endpoints, in order, without duplicates. */
export function parseEndpoints(value: string | string[], source: string): Endpoint[] {
  const items = (Array.isArray(value) ? value : value.split(",")).map((s) => s.trim());
  if (items.length === 1 && items[0] === "") throw invalidArgument(`${source}: no endpoint given; expected HOST:PORT[,HOST:PORT...]`);
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const item of items) {
    const endpoint = parseEndpoint(item, source);
    const key = formatEndpoint(endpoint);
    if (!seen.has(key)) endpoints.push(endpoint);
    seen.add(key);
  }
  return endpoints;
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

// ---- the file

const TOP_KEYS = ["endpoint", "credentials"];
const CREDENTIAL_KEYS = ["access_key_id", "secret_access_key"];

/** Parses the config file's text; `file` names it in errors. An empty file is an empty configuration. */
export function parseConfigText(text: string, file: string): FileConfig {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0];
    const where = line ? ` at line ${line.line}, column ${line.col}` : "";
    throw invalidArgument(`${file}: not valid YAML${where}: ${first.message.split("\n")[0]}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw invalidArgument(`${file}: expected a mapping with 'endpoint' and 'credentials' at the top, found ${describe(data)}`);
  }
  const top = data as Record<string, unknown>;
  refuseUnknownKeys(top, TOP_KEYS, file, "");
  const config: FileConfig = {};

  if (top.endpoint !== undefined && top.endpoint !== null) {
    const endpoint = top.endpoint;
    const isList = Array.isArray(endpoint) && endpoint.every((e) => typeof e === "string");
    if (typeof endpoint !== "string" && !isList) {
      throw invalidArgument(`${file}: 'endpoint' must be HOST:PORT, a comma-separated string of them, or a list of them; found ${describe(endpoint)}`);
    }
    config.endpoints = parseEndpoints(endpoint as string | string[], `${file}: endpoint`);
  }

  if (top.credentials !== undefined && top.credentials !== null) {
    const creds = top.credentials;
    if (typeof creds !== "object" || Array.isArray(creds)) {
      throw invalidArgument(`${file}: 'credentials' must be a mapping with access_key_id and secret_access_key; found ${describe(creds)}`);
    }
    const c = creds as Record<string, unknown>;
    refuseUnknownKeys(c, CREDENTIAL_KEYS, file, "credentials.");
    for (const key of CREDENTIAL_KEYS) {
      if (c[key] === undefined || c[key] === null || c[key] === "") throw invalidArgument(`${file}: credentials.${key} is missing`);
      // A secret that YAML read as a number or boolean would be silently changed: make the user quote it.
      if (typeof c[key] !== "string") throw invalidArgument(`${file}: credentials.${key} must be a string (quote it); found ${describe(c[key])}`);
    }
    config.credentials = { accessKeyId: c.access_key_id as string, secretAccessKey: c.secret_access_key as string };
  }
  return config;
}

function refuseUnknownKeys(map: Record<string, unknown>, known: string[], file: string, prefix: string): void {
  const unknown = Object.keys(map).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw invalidArgument(`${file}: unknown key '${prefix}${unknown[0]}' (known: ${known.map((k) => prefix + k).join(", ")})`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

// ---- loading

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Defaults to ~/.tarn/config.yaml. */
  file?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): ClientConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? defaultConfigPath();
  const warnings: string[] = [];
  let fromFile: FileConfig = {};
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw invalidArgument(`cannot read ${file}: ${(err as Error).message}`, err);
  }
  if (text !== undefined) {
    fromFile = parseConfigText(text, file);
    const mode = fs.statSync(file).mode & 0o777;
    if (fromFile.credentials && (mode & 0o077) !== 0) {
      warnings.push(`${file} holds a secret but other users can read it (mode ${mode.toString(8).padStart(4, "0")}): run chmod 600 ${file}`);
    }
  }

  const config: ClientConfig = { endpoints: [], sources: { endpoints: "" }, file, warnings };
  if (env.TARN_ENDPOINT !== undefined && env.TARN_ENDPOINT !== "") {
    config.endpoints = parseEndpoints(env.TARN_ENDPOINT, "TARN_ENDPOINT");
    config.sources.endpoints = "TARN_ENDPOINT";
  } else if (fromFile.endpoints) {
    config.endpoints = fromFile.endpoints;
    config.sources.endpoints = file;
  } else {
    config.endpoints = parseEndpoints(DEFAULT_ENDPOINT, "default endpoint");
    config.sources.endpoints = `default (${DEFAULT_ENDPOINT})`;
  }

  const id = env.TARN_ACCESS_KEY_ID || undefined;
  const secret = env.TARN_SECRET_ACCESS_KEY || undefined;
  if ((id === undefined) !== (secret === undefined)) {
    const [set, unset] = id ? ["TARN_ACCESS_KEY_ID", "TARN_SECRET_ACCESS_KEY"] : ["TARN_SECRET_ACCESS_KEY", "TARN_ACCESS_KEY_ID"];
    throw invalidArgument(`${set} is set but ${unset} is not: set both, or neither to use ${file}`);
  }
  if (id !== undefined && secret !== undefined) {
    config.credentials = { accessKeyId: id, secretAccessKey: secret };
    config.sources.credentials = "TARN_ACCESS_KEY_ID and TARN_SECRET_ACCESS_KEY";
  } else if (fromFile.credentials) {
    config.credentials = fromFile.credentials;
    config.sources.credentials = file;
  }
  return config;
}

/** The credentials, or an UNAUTHENTICATED error telling the user how to provide them. */
export function requireCredentials(config: ClientConfig): Credentials {
  if (config.credentials) return config.credentials;
  throw new TarnError(
    "UNAUTHENTICATED",
    `no credentials: set TARN_ACCESS_KEY_ID and TARN_SECRET_ACCESS_KEY, or put them in ${config.file} (tarn run writes it on its first start)`,
  );
}

// ---- writing

/** The file's text: what writeConfig writes. Pure. */
export function formatConfigText(config: { endpoints: Endpoint[]; credentials?: Credentials }): string {
  const data: Record<string, unknown> = { endpoint: config.endpoints.map(formatEndpoint).join(",") };
  if (config.credentials) {
    data.credentials = { access_key_id: config.credentials.accessKeyId, secret_access_key: config.credentials.secretAccessKey };
  }
  return "# Tarn client configuration. It holds a secret: keep it mode 0600.\n" + YAML.stringify(data);
}

/**
 * Writes the config file with mode 0600 in a directory of mode 0700, atomically (temporary file, fsync,
 * rename), so a reader never sees half a file and the secret is never readable by others, not even briefly.
 * Replaces any existing file. `tarn run` calls this with the admin keys it generates.
 */
export function writeConfig(config: { endpoints: Endpoint[]; credentials?: Credentials }, file: string = defaultConfigPath()): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(temp, "wx", 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // in case the umask took bits away from the owner
    fs.writeSync(fd, formatConfigText(config));
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, file);
}
