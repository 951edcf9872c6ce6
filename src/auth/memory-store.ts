// A CredentialStore in memory: for tests, and the reference the conformance suite is written against.
import { alreadyExists, notFound } from "../errors";
import { CredentialRecord, CredentialStore, Page, PageRequest, UserRecord } from "./store";

const clone = <T>(value: T): T => structuredClone(value);

function paginate<T>(items: T[], idOf: (item: T) => string, page: PageRequest): Page<T> {
  const matching = items
    .filter((item) => idOf(item).startsWith(page.prefix ?? "") && (page.after === undefined || idOf(item) > page.after))
    .sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  return { items: matching.slice(0, page.amount).map(clone), hasMore: matching.length > page.amount };
}

export class MemoryCredentialStore implements CredentialStore {
  private readonly users = new Map<string, UserRecord>();
  private readonly credentials = new Map<string, CredentialRecord>();

  async getUser(id: string): Promise<UserRecord | undefined> {
    const user = this.users.get(id);
    return user && clone(user);
  }

  async createUser(user: UserRecord): Promise<void> {
    if (this.users.has(user.id)) throw alreadyExists(`user ${user.id} already exists`);
    this.users.set(user.id, clone(user));
  }

  async updateUser(user: UserRecord): Promise<void> {
    if (!this.users.has(user.id)) throw notFound(`user ${user.id} not found`);
    this.users.set(user.id, clone(user));
  }

  async deleteUser(id: string): Promise<void> {
    if (!this.users.delete(id)) throw notFound(`user ${id} not found`);
    for (const [keyId, credential] of this.credentials) if (credential.userId === id) this.credentials.delete(keyId);
  }

  async listUsers(page: PageRequest): Promise<Page<UserRecord>> {
    return paginate([...this.users.values()], (u) => u.id, page);
  }

  async getCredential(accessKeyId: string): Promise<CredentialRecord | undefined> {
    const credential = this.credentials.get(accessKeyId);
    return credential && clone(credential);
  }

  async createCredential(credential: CredentialRecord): Promise<void> {
    if (!this.users.has(credential.userId)) throw notFound(`user ${credential.userId} not found`);
    if (this.credentials.has(credential.accessKeyId)) throw alreadyExists(`access key id ${credential.accessKeyId} already exists`);
    this.credentials.set(credential.accessKeyId, clone(credential));
  }

  async deleteCredential(accessKeyId: string): Promise<void> {
    if (!this.credentials.delete(accessKeyId)) throw notFound(`access key id ${accessKeyId} not found`);
  }

  async listCredentials(userId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    return paginate([...this.credentials.values()].filter((c) => c.userId === userId), (c) => c.accessKeyId, page);
  }
}
