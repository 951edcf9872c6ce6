// Where users and access keys live. The metadata service backs this with the replicated key-value state
// (one prefix for users, one for credentials); tests and tools use MemoryCredentialStore. Each method is one
// atomic step, and a backend must pass test/auth/credential-store-conformance.ts.
import { Policy } from "./policy";

export interface UserRecord {
  id: string;
  /** Unix epoch seconds. */
  createdAt: number;
  policy: Policy;
}

export interface CredentialRecord {
  accessKeyId: string;
  userId: string;
  /** Unix epoch seconds. */
  createdAt: number;
  /** secret-cipher.ts's encryptSecret output; never the plaintext. */
  encryptedSecret: string;
}

export interface PageRequest {
  /** Only ids starting with this. */
  prefix?: string;
  /** Only ids strictly after this. */
  after?: string;
  /** At most this many (the caller has validated it; > 0). */
  amount: number;
}

export interface Page<T> {
  items: T[];
  /** More items exist after the last one returned. */
  hasMore: boolean;
}

export interface CredentialStore {
  getUser(id: string): Promise<UserRecord | undefined>;
  /** Throws ALREADY_EXISTS when the id is taken. */
  createUser(user: UserRecord): Promise<void>;
  /** Replaces a user's record. Throws NOT_FOUND when the user does not exist. */
  updateUser(user: UserRecord): Promise<void>;
  /** Removes the user and all of their credentials at once. Throws NOT_FOUND. */
  deleteUser(id: string): Promise<void>;
  /** Users sorted by id. */
  listUsers(page: PageRequest): Promise<Page<UserRecord>>;

  getCredential(accessKeyId: string): Promise<CredentialRecord | undefined>;
  /** Throws ALREADY_EXISTS when the key id is taken, NOT_FOUND when the user does not exist. */
  createCredential(credential: CredentialRecord): Promise<void>;
  /** Throws NOT_FOUND when the key does not exist. */
  deleteCredential(accessKeyId: string): Promise<void>;
  /** One user's credentials sorted by access key id. */
  listCredentials(userId: string, page: PageRequest): Promise<Page<CredentialRecord>>;
}
