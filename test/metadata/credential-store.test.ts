// The KV-backed CredentialStore passes auth's conformance suite over a real classic-level database.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LevelKv } from "../../src/graveler";
import { KvCredentialStore } from "../../src/metadata";
import { credentialStoreConformance } from "../auth/credential-store-conformance";

const open = new Map<KvCredentialStore, { kv: LevelKv; dir: string }>();

credentialStoreConformance(
  "KvCredentialStore over classic-level",
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-credstore-"));
    const kv = await LevelKv.open(dir);
    const store = new KvCredentialStore(kv);
    open.set(store, { kv, dir });
    return store;
  },
  async (store) => {
    const o = open.get(store as KvCredentialStore)!;
    open.delete(store as KvCredentialStore);
    await o.kv.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  },
);
