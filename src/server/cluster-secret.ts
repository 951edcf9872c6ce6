// The cluster secret of a server process: --cluster-secret-file or TARN_CLUSTER_SECRET. `tarn run` (a group
// of one) may also keep a generated one in its data dir, so a first start needs no set-up.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readClusterSecret } from "../auth";
import { invalidArgument } from "../errors";

export function requireClusterSecret(file: string | undefined, env: NodeJS.ProcessEnv): { secret: string; source: string } {
  const found = readClusterSecret({ file, env });
  if (!found) throw invalidArgument("no cluster secret: set TARN_CLUSTER_SECRET or pass --cluster-secret-file (the same on every member and gateway)");
  if (found.secret.length < 16) throw invalidArgument(`the cluster secret from ${found.source} is ${found.secret.length} characters long; use at least 16`);
  return found;
}

/** The given secret, else the one kept in DATA_DIR/cluster-secret (created on the first start, mode 0600). */
export function localClusterSecret(dataDir: string, file: string | undefined, env: NodeJS.ProcessEnv): { secret: string; source: string } {
  const given = readClusterSecret({ file, env });
  if (given) return given;
  const kept = path.join(dataDir, "cluster-secret");
  try {
    return { secret: fs.readFileSync(kept, "utf8").trim(), source: kept };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw invalidArgument(`cannot read ${kept}: ${(err as Error).message}`, err);
  }
  const secret = randomBytes(32).toString("hex");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(kept, secret + "\n", { mode: 0o600, flag: "wx" });
  return { secret, source: kept };
}
