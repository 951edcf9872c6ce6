// Users, access keys and request authentication over a CredentialStore: the part of auth the metadata
// service calls. Secrets are generated here, returned once, and stored only encrypted (secret-cipher.ts).
import { failedPrecondition, invalidArgument, notFound, TarnError } from "../errors";
import { DEFAULT_WINDOW_MS, Headers, header, unauthenticated } from "./canonical";
import { checkAccessKeyId, checkSecretAccessKey, generateAccessKeyId, generateSecretAccessKey } from "./keys";
import { adminPolicy, authorize, AUTH_RESOURCE, checkPolicy, Policy } from "./policy";
import { ReplayGuard } from "./replay";
import { decryptSecret, encryptSecret } from "./secret-cipher";
import { AUTH_HEADERS, verifyRequest } from "./signing";
import { CredentialRecord, CredentialStore, Page, PageRequest, UserRecord } from "./store";

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export const DEFAULT_ADMIN_USER = "admin";

export function checkUserId(id: string): string {
  if (!USER_ID.test(id)) {
    throw invalidArgument(`invalid user id '${id}': expected 1 to 128 letters, digits and . _ @ + -, starting with a letter or digit`);
  }
  return id;
}

export interface NewAccessKey {
  accessKeyId: string;
  /** Shown to the user once; Tarn keeps only its encrypted form. */
  secretAccessKey: string;
  userId: string;
  createdAt: number;
}

/** Who made an authenticated call. */
export interface Caller {
  user: UserRecord;
  accessKeyId: string;
}

export interface AuthManagerOptions {
  store: CredentialStore;
  /** ClusterKeys.credentialKey. */
  credentialKey: Buffer;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  windowMs?: number;
  /** Defaults to a fresh guard for this process. */
  replayGuard?: ReplayGuard;
}

export class AuthManager {
  private readonly store: CredentialStore;
  private readonly credentialKey: Buffer;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly replayGuard: ReplayGuard;

  constructor(options: AuthManagerOptions) {
    this.store = options.store;
    this.credentialKey = options.credentialKey;
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.replayGuard = options.replayGuard ?? new ReplayGuard(this.windowMs);
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  // ---- users

  async createUser(id: string, policy: Policy): Promise<UserRecord> {
    const user: UserRecord = { id: checkUserId(id), createdAt: this.seconds(), policy: checkPolicy(policy) };
    await this.store.createUser(user);
    return user;
  }

  async getUser(id: string): Promise<UserRecord> {
    const user = await this.store.getUser(id);
    if (!user) throw notFound(`user ${id} not found`);
    return user;
  }

  listUsers(page: PageRequest): Promise<Page<UserRecord>> {
    return this.store.listUsers(page);
  }

  async putUserPolicy(id: string, policy: Policy): Promise<UserRecord> {
    const user = { ...(await this.getUser(id)), policy: checkPolicy(policy) };
    await this.refuseLosingLastAdmin(id, user.policy, `changing user ${id}'s policy`);
    await this.store.updateUser(user);
    return user;
  }

  async deleteUser(id: string): Promise<void> {
    await this.getUser(id);
    await this.refuseLosingLastAdmin(id, undefined, `deleting user ${id}`);
    await this.store.deleteUser(id);
  }

  /**
   * Keeps at least one user able to manage auth, so the cluster never locks its operators out. Checked
   * before the write, not inside it: two admins removing each other at the same moment can still race.
   */
  private async refuseLosingLastAdmin(id: string, newPolicy: Policy | undefined, doing: string): Promise<void> {
    if (newPolicy && authorize({ id, policy: newPolicy }, "auth:Manage", AUTH_RESOURCE).allowed) return;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listUsers({ after, amount: 1000 });
      if (page.items.some((u) => u.id !== id && authorize(u, "auth:Manage", AUTH_RESOURCE).allowed)) return;
      if (!page.hasMore || page.items.length === 0) break;
      after = page.items[page.items.length - 1].id;
    }
    throw failedPrecondition(`${doing} would leave no user allowed auth:Manage`);
  }

  // ---- access keys

  /**
   * Creates an access key for a user. `supplied` keys (TARN_ADMIN_ACCESS_KEY_ID and _SECRET_ACCESS_KEY)
   * are checked for shape; otherwise both are generated.
   */
  async createAccessKey(userId: string, supplied?: { accessKeyId: string; secretAccessKey: string }): Promise<NewAccessKey> {
    await this.getUser(userId);
    for (let attempt = 0; ; attempt++) {
      const accessKeyId = supplied ? checkAccessKeyId(supplied.accessKeyId) : generateAccessKeyId();
      const secretAccessKey = supplied ? checkSecretAccessKey(supplied.secretAccessKey, accessKeyId) : generateSecretAccessKey();
      const record: CredentialRecord = {
        accessKeyId,
        userId,
        createdAt: this.seconds(),
        encryptedSecret: encryptSecret(this.credentialKey, accessKeyId, secretAccessKey),
      };
      try {
        await this.store.createCredential(record);
        return { accessKeyId, secretAccessKey, userId, createdAt: record.createdAt };
      } catch (err) {
        // 80 random bits make a collision of generated ids practically impossible; retry it anyway.
        const collided = err instanceof TarnError && err.code === "ALREADY_EXISTS";
        if (!collided || supplied || attempt >= 2) throw err;
      }
    }
  }

  async deleteAccessKey(userId: string, accessKeyId: string): Promise<void> {
    const credential = await this.store.getCredential(accessKeyId);
    if (!credential || credential.userId !== userId) throw notFound(`access key id ${accessKeyId} not found for user ${userId}`);
    await this.store.deleteCredential(accessKeyId);
  }

  async listAccessKeys(userId: string, page: PageRequest): Promise<Page<Omit<CredentialRecord, "encryptedSecret">>> {
    await this.getUser(userId);
    const found = await this.store.listCredentials(userId, page);
    return { items: found.items.map(({ accessKeyId, userId: owner, createdAt }) => ({ accessKeyId, userId: owner, createdAt })), hasMore: found.hasMore };
  }

  /** The plaintext secret of a key (for SigV4 at the gateway), or undefined for an unknown key. */
  async secretOf(accessKeyId: string): Promise<{ userId: string; secretAccessKey: string } | undefined> {
    const credential = await this.store.getCredential(accessKeyId);
    if (!credential) return undefined;
    return { userId: credential.userId, secretAccessKey: decryptSecret(this.credentialKey, accessKeyId, credential.encryptedSecret) };
  }

  // ---- requests

  /**
   * Authenticates a signed call (signing.ts): looks up and decrypts the key's secret, verifies signature,
   * date and message hash, refuses replays, and returns the caller. Throws TarnError UNAUTHENTICATED.
   */
  async authenticate(request: { method: string; headers: Headers; body?: Uint8Array }): Promise<Caller> {
    const claimedKey = header(request.headers, AUTH_HEADERS.accessKeyId);
    const found = claimedKey ? await this.secretOf(claimedKey) : undefined;
    const now = this.now();
    const verified = verifyRequest({
      method: request.method,
      headers: request.headers,
      body: request.body,
      now,
      windowMs: this.windowMs,
      secretFor: (id) => (found && id === claimedKey ? found.secretAccessKey : undefined),
    });
    this.replayGuard.check(verified.accessKeyId, verified.nonce, verified.date, now);
    const user = found && (await this.store.getUser(found.userId));
    if (!user) throw unauthenticated(`access key id ${verified.accessKeyId} belongs to user ${found?.userId}, who no longer exists`);
    return { user, accessKeyId: verified.accessKeyId };
  }

  // ---- first start

  /**
   * On a store with no users, creates the admin user with the given keys (TARN_ADMIN_*) or generated ones
   * and returns them; returns undefined when users exist already (the cluster was set up before).
   */
  async bootstrapAdmin(supplied?: { accessKeyId: string; secretAccessKey: string }, userId = DEFAULT_ADMIN_USER): Promise<NewAccessKey | undefined> {
    const existing = await this.store.listUsers({ amount: 1 });
    if (existing.items.length > 0) return undefined;
    // Check the supplied keys before creating anything, so a bad key leaves no half-made admin behind.
    if (supplied) checkSecretAccessKey(supplied.secretAccessKey, checkAccessKeyId(supplied.accessKeyId));
    await this.createUser(userId, adminPolicy());
    return this.createAccessKey(userId, supplied);
  }
}
