// Users and access keys in the metadata key-value store (local classic-level or the replicated state), so
// they replicate with everything else. Records are JSON; each method is one conditional batch.
//
//   auth/user/<user id>                    UserRecord
//   auth/cred/<access key id>              CredentialRecord
//   auth/user-cred/<user id>/<key id>      empty: the index behind listCredentials and deleteUser
//
// User ids cannot contain '/' (auth checkUserId), so the index prefix of one user never matches another's.
import type { CredentialRecord, CredentialStore, Page, PageRequest, UserRecord } from "../auth";
import { alreadyExists, CorruptionError, hasCode, notFound } from "../errors";
import { KvMutation, KvStore, scanAll } from "../graveler";

const k = (s: string) => Buffer.from(s, "utf8");
const USERS = "auth/user/";
const CREDS = "auth/cred/";
const USER_CREDS = "auth/user-cred/";
const userKey = (id: string) => k(USERS + id);
const credKey = (id: string) => k(CREDS + id);
const userCredsPrefix = (userId: string) => k(`${USER_CREDS}${userId}/`);
const userCredKey = (userId: string, keyId: string) => k(`${USER_CREDS}${userId}/${keyId}`);

function decode<T>(value: Buffer, what: string): T {
  try {
    return JSON.parse(value.toString("utf8")) as T;
  } catch (err) {
    throw new CorruptionError(what, "record does not parse as JSON", { cause: err });
  }
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");

export class KvCredentialStore implements CredentialStore {
  constructor(private readonly kv: KvStore) {}

  async getUser(id: string): Promise<UserRecord | undefined> {
    const r = await this.kv.get(userKey(id));
    return r && decode<UserRecord>(r.value, `user record ${id}`);
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      await this.kv.write({ preconditions: [{ key: userKey(user.id), absent: true }], mutations: [{ op: "put", key: userKey(user.id), value: encode(user) }] });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw alreadyExists(`user ${user.id} already exists`, err);
      throw err;
    }
  }

  async updateUser(user: UserRecord): Promise<void> {
    const current = await this.kv.get(userKey(user.id));
    if (!current) throw notFound(`user ${user.id} not found`);
    try {
      await this.kv.write({ preconditions: [{ key: userKey(user.id), version: current.version }], mutations: [{ op: "put", key: userKey(user.id), value: encode(user) }] });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw notFound(`user ${user.id} not found (deleted meanwhile)`, err);
      throw err;
    }
  }

  async deleteUser(id: string): Promise<void> {
    const current = await this.kv.get(userKey(id));
    if (!current) throw notFound(`user ${id} not found`);
    const mutations: KvMutation[] = [{ op: "delete", key: userKey(id) }];
    for await (const r of scanAll(this.kv, { prefix: userCredsPrefix(id) })) {
      const keyId = r.key.subarray(userCredsPrefix(id).length).toString("utf8");
      mutations.push({ op: "delete", key: r.key }, { op: "delete", key: credKey(keyId) });
    }
    try {
      // The user's version pins the credential list: creating a credential bumps it (see createCredential).
      await this.kv.write({ preconditions: [{ key: userKey(id), version: current.version }], mutations });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) return this.deleteUser(id);
      throw err;
    }
  }

  async listUsers(page: PageRequest): Promise<Page<UserRecord>> {
    const records = await this.kv.scan({ prefix: k(USERS + (page.prefix ?? "")), after: page.after === undefined ? undefined : userKey(page.after), limit: page.amount + 1 });
    const items = records.slice(0, page.amount).map((r) => decode<UserRecord>(r.value, `user record ${r.key.toString()}`));
    return { items, hasMore: records.length > page.amount };
  }

  async getCredential(accessKeyId: string): Promise<CredentialRecord | undefined> {
    const r = await this.kv.get(credKey(accessKeyId));
    return r && decode<CredentialRecord>(r.value, `credential record ${accessKeyId}`);
  }

  async createCredential(credential: CredentialRecord): Promise<void> {
    const user = await this.kv.get(userKey(credential.userId));
    if (!user) throw notFound(`user ${credential.userId} not found`);
    try {
      await this.kv.write({
        preconditions: [
          { key: userKey(credential.userId), version: user.version },
          { key: credKey(credential.accessKeyId), absent: true },
        ],
        mutations: [
          { op: "put", key: credKey(credential.accessKeyId), value: encode(credential) },
          { op: "put", key: userCredKey(credential.userId, credential.accessKeyId), value: Buffer.alloc(0) },
          // Rewriting the user bumps its version, so a concurrent deleteUser sees the new key or retries.
          { op: "put", key: userKey(credential.userId), value: user.value },
        ],
      });
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION")) throw err;
      if (await this.kv.get(credKey(credential.accessKeyId))) throw alreadyExists(`access key id ${credential.accessKeyId} already exists`, err);
      return this.createCredential(credential);
    }
  }

  async deleteCredential(accessKeyId: string): Promise<void> {
    const current = await this.kv.get(credKey(accessKeyId));
    if (!current) throw notFound(`access key id ${accessKeyId} not found`);
    const record = decode<CredentialRecord>(current.value, `credential record ${accessKeyId}`);
    try {
      await this.kv.write({
        preconditions: [{ key: credKey(accessKeyId), version: current.version }],
        mutations: [
          { op: "delete", key: credKey(accessKeyId) },
          { op: "delete", key: userCredKey(record.userId, accessKeyId) },
        ],
      });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw notFound(`access key id ${accessKeyId} not found (deleted meanwhile)`, err);
      throw err;
    }
  }

  async listCredentials(userId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    const prefix = userCredsPrefix(userId);
    const index = await this.kv.scan({
      prefix: Buffer.concat([prefix, k(page.prefix ?? "")]),
      after: page.after === undefined ? undefined : userCredKey(userId, page.after),
      limit: page.amount + 1,
    });
    const items: CredentialRecord[] = [];
    for (const r of index.slice(0, page.amount)) {
      const credential = await this.getCredential(r.key.subarray(prefix.length).toString("utf8"));
      if (credential) items.push(credential);
    }
    return { items, hasMore: index.length > page.amount };
  }
}
