// HOST:PORT listen addresses and --peers lists, parsed strictly so a typo is one clear error at start-up.
import { invalidArgument } from "../errors";

export interface HostPort {
  host: string;
  port: number;
}

/** "127.0.0.1:9000", "[::1]:9000", "0.0.0.0:0" (port 0: any free port). `flag` names the option in errors. */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m) throw invalidArgument(`${flag}: '${text}' is not HOST:PORT (as in 127.0.0.1:9000)`);
  const port = Number(m[2]);
  if (port > 65535) throw invalidArgument(`${flag}: port ${port} in '${text}' is above 65535`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function checkMemberId(id: string, flag: string): string {
  if (!MEMBER_ID.test(id)) throw invalidArgument(`${flag}: invalid member id '${id}': 1 to 63 letters, digits, '.', '_' and '-'`);
  return id;
}

/** --peers ID=HOST:PORT,ID=HOST:PORT → { ID: "HOST:PORT" }. */
export function parsePeers(text: string, flag = "--peers"): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const item of text.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) throw invalidArgument(`${flag}: '${item}' is not ID=HOST:PORT`);
    const id = checkMemberId(item.slice(0, eq), flag);
    if (id in peers) throw invalidArgument(`${flag}: member '${id}' is listed twice`);
    const addr = parseHostPort(item.slice(eq + 1), `${flag} (member ${id})`);
    peers[id] = formatHostPort(addr.host, addr.port);
  }
  return peers;
}

/** --metadata HOST:PORT,HOST:PORT → the list, each checked. */
export function parseEndpointList(text: string, flag: string): string[] {
  return text.split(",").map((item) => {
    const a = parseHostPort(item, flag);
    return formatHostPort(a.host, a.port);
  });
}
