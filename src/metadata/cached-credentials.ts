// A read-through cache in front of a CredentialStore for the two lookups every call makes (its access key
// and its user). Under Raft each lookup is a linearizable read, so caching them for a moment takes two
// ReadIndex rounds off every call. Writes through this store drop what they touch at once; a change made
// through another member (only while leadership moves, since followers forward every call) shows within
// `ttlMs`. lakeFS caches credentials the same way (for 20 s by default); Tarn's default is 2 s.
import type { CredentialRecord, CredentialStore, Page, PageRequest, UserRecord } from "../auth";

interface Cached<T> {
  value: T | undefined;
  until: number;
}

export class CachedCredentialStore implements CredentialStore {
  private readonly users = new Map<string, Cached<UserRecord>>();
  private readonly credentials = new Map<string, Cached<CredentialRecord>>();

  constructor(
    private readonly inner: CredentialStore,
    private readonly ttlMs = 2000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  private async through<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = cache.get(key);
    if (hit && hit.until > this.now()) return hit.value === undefined ? undefined : structuredClone(hit.value);
    const value = await load();
    if (cache.size >= this.maxEntries) cache.clear();
    cache.set(key, { value, until: this.now() + this.ttlMs });
    return value === undefined ? undefined : structuredClone(value);
  }

  getUser(id: string): Promise<UserRecord | undefined> {
    return this.through(this.users, id, () => this.inner.getUser(id));
  }

  getCredential(accessKeyId: string): Promise<CredentialRecord | undefined> {
    return this.through(this.credentials, accessKeyId, () => this.inner.getCredential(accessKeyId));
  }

  async createUser(user: UserRecord): Promise<void> {
    this.users.delete(user.id);
    await this.inner.createUser(user);
  }

  async updateUser(user: UserRecord): Promise<void> {
    this.users.delete(user.id);
    try {
      await this.inner.updateUser(user);
    } finally {
      this.users.delete(user.id);
    }
  }

  async deleteUser(id: string): Promise<void> {
    try {
      await this.inner.deleteUser(id);
    } finally {
      // The user's keys go with it; which ones is not known here, so forget every cached key.
      this.users.delete(id);
      this.credentials.clear();
    }
  }

  listUsers(page: PageRequest): Promise<Page<UserRecord>> {
    return this.inner.listUsers(page);
  }

  async createCredential(credential: CredentialRecord): Promise<void> {
    this.credentials.delete(credential.accessKeyId);
    await this.inner.createCredential(credential);
  }

  async deleteCredential(accessKeyId: string): Promise<void> {
    try {
      await this.inner.deleteCredential(accessKeyId);
    } finally {
      this.credentials.delete(accessKeyId);
    }
  }

  listCredentials(userId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    return this.inner.listCredentials(userId, page);
  }
}
