// Presigned URLs for the local repositories of `tarn run`: a client that does not share this machine's disk
// (or asks for presign) reads and writes object bytes over the HTTP port at /_tarn/local/REPO/KEY. Only the
// default namespaces (DATA_DIR/repos/NAME) get URLs; each has its own handler over its own store.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";
import { createLocalPresignHandler, LocalObjectStore, type LocalPresignConfig, type ObjectStoreConfig } from "../block";

const PREFIX = "/_tarn/local/";

export class LocalPresign {
  private readonly secret = randomBytes(32).toString("hex");
  private baseUrl?: string;
  private readonly handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<boolean>>();

  constructor(private readonly reposDir: string) {}

  /** Once the HTTP port is bound: where its URLs point. */
  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, "");
  }

  /** The repository name of a default namespace (local://DATA_DIR/repos/NAME), else undefined. */
  private repoOf(namespace: string): string | undefined {
    if (!namespace.startsWith("local://")) return undefined;
    const dir = path.resolve(namespace.slice("local://".length));
    const name = path.relative(this.reposDir, dir);
    return /^[a-z0-9][a-z0-9-]{2,62}$/.test(name) ? name : undefined;
  }

  private config(name: string): LocalPresignConfig | undefined {
    return this.baseUrl ? { baseUrl: `${this.baseUrl}${PREFIX}${name}`, secret: this.secret } : undefined;
  }

  /** The store configuration for a namespace: presigning enabled for the default ones. */
  storeConfig(namespace: string, base: ObjectStoreConfig): ObjectStoreConfig {
    const name = this.repoOf(namespace);
    const presign = name ? this.config(name) : undefined;
    return presign ? { ...base, local: { presign } } : base;
  }

  /** Answers /_tarn/local/... requests (true), or leaves the request alone (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const pathname = (req.url ?? "/").split("?")[0];
    if (!pathname.startsWith(PREFIX)) return false;
    const name = pathname.slice(PREFIX.length).split("/")[0];
    const config = this.config(name);
    if (!config || !/^[a-z0-9][a-z0-9-]{2,62}$/.test(name)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such local repository\n");
      return true;
    }
    let handler = this.handlers.get(name);
    if (!handler) {
      handler = createLocalPresignHandler(new LocalObjectStore(path.join(this.reposDir, name)), config);
      this.handlers.set(name, handler);
    }
    void handler(req, res).then((answered) => {
      if (!answered) res.writeHead(404, { "content-type": "text/plain" }).end("not a presigned object URL\n");
    });
    return true;
  }
}
