// Who is calling: every call is signed either by a user's access key (src/auth/signing.ts) or by a gateway
// (src/auth/peer.ts, role "gateway"), which calls either for itself (GetCredentialForGateway) or on behalf of
// a user it has authenticated (x-tarn-peer-on-behalf-of, covered by its signature). The service then applies
// that user's policy. Member signatures are for Raft and forwarding, never for the API: refused.
//
// The per-call lookups (an access key's decrypted secret, a user's record) are linearizable reads under Raft,
// so they are kept for `ttlMs` (1 s): writes through this member's AuthService drop them at once (forget()),
// and since followers forward every call to the leader, a change through another member only shows late
// while leadership moves.
import { AuthManager, Caller, PEER_HEADERS, ReplayGuard, verifyPeerRequest, verifyRequest, type Headers, type UserRecord } from "../auth";
import { AUTH_HEADERS } from "../auth/signing";
import { hasCode, TarnError } from "../errors";

export interface AdmittedCaller {
  caller: Caller;
  /** The gateway's peer id when a gateway calls for itself; undefined for users and calls on their behalf. */
  gateway?: string;
  /** The gateway that acts for `caller.user`, when one does. */
  via?: string;
}

/** An access key's owner and its secret as the HMAC key bytes. */
interface KnownSecret {
  userId: string;
  secretKey: Buffer;
}

interface Cached<T> {
  value: T;
  until: number;
}

const unauthenticated = (message: string) => new TarnError("UNAUTHENTICATED", message);

function single(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined;
}

export class CallerAuthenticator {
  private readonly replay = new ReplayGuard();
  private readonly secrets = new Map<string, Cached<KnownSecret>>();
  private readonly users = new Map<string, Cached<UserRecord>>();

  constructor(
    private readonly auth: AuthManager,
    /** Without them gateway-signed calls are refused (UNAUTHENTICATED). */
    private readonly peerKeys: { memberKey: Buffer; gatewayKey: Buffer } | undefined,
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  /** Drops every cached secret and user (after a write to users or keys). */
  forget(): void {
    this.secrets.clear();
    this.users.clear();
  }

  async authenticate(method: string, headers: Headers, body: Uint8Array): Promise<AdmittedCaller> {
    if (headers[PEER_HEADERS.role] !== undefined || headers[PEER_HEADERS.signature] !== undefined) return this.peer(method, headers, body);
    if (headers[PEER_HEADERS.onBehalfOf] !== undefined) {
      throw new TarnError("PERMISSION_DENIED", `${PEER_HEADERS.onBehalfOf} is honoured only on calls signed as a gateway; ${method} is signed by an access key`);
    }
    const claimed = single(headers, AUTH_HEADERS.accessKeyId);
    // Cache hits are answered without a turn of the event loop (most calls).
    const lookup = claimed ? this.secretOf(claimed) : undefined;
    const found = lookup instanceof Promise ? await lookup : lookup;
    const now = this.now();
    const verified = verifyRequest({ method, headers, body, now, secretFor: (id) => (found && id === claimed ? found.secretKey : undefined) });
    this.replay.check(verified.accessKeyId, verified.nonce, verified.date, now);
    const userLookup = this.user(found!.userId);
    const user = userLookup instanceof Promise ? await userLookup : userLookup;
    if (!user) throw unauthenticated(`access key id ${verified.accessKeyId} belongs to user ${found!.userId}, who no longer exists`);
    return { caller: { user, accessKeyId: verified.accessKeyId } };
  }

  private async peer(method: string, headers: Headers, body: Uint8Array): Promise<AdmittedCaller> {
    if (!this.peerKeys) throw unauthenticated(`${method} is signed as a peer, but this service was started without the cluster keys: it takes only access-key signatures`);
    const now = this.now();
    const peer = verifyPeerRequest({ keys: this.peerKeys, allow: ["gateway"], method, headers, body, now });
    this.replay.check(`peer:${peer.peerId}`, peer.nonce, peer.date, now);
    if (peer.onBehalfOf === "") {
      const user: UserRecord = { id: `gateway:${peer.peerId}`, createdAt: 0, policy: { statements: [] } };
      return { caller: { user, accessKeyId: "" }, gateway: peer.peerId };
    }
    const userLookup = this.user(peer.onBehalfOf);
    const user = userLookup instanceof Promise ? await userLookup : userLookup;
    if (!user) throw unauthenticated(`gateway '${peer.peerId}' acts on behalf of user ${peer.onBehalfOf}, who does not exist`);
    return { caller: { user, accessKeyId: "" }, via: peer.peerId };
  }

  private secretOf(accessKeyId: string): KnownSecret | undefined | Promise<KnownSecret | undefined> {
    const hit = this.secrets.get(accessKeyId);
    if (hit && hit.until > this.now()) return hit.value;
    return this.loadSecret(accessKeyId);
  }

  private async loadSecret(accessKeyId: string): Promise<KnownSecret | undefined> {
    const found = await this.auth.secretOf(accessKeyId);
    if (!found) return undefined;
    const value = { userId: found.userId, secretKey: Buffer.from(found.secretAccessKey, "utf8") };
    if (this.secrets.size >= this.maxEntries) this.secrets.clear();
    this.secrets.set(accessKeyId, { value, until: this.now() + this.ttlMs });
    return value;
  }

  private user(id: string): UserRecord | undefined | Promise<UserRecord | undefined> {
    const hit = this.users.get(id);
    if (hit && hit.until > this.now()) return hit.value;
    return this.loadUser(id);
  }

  private async loadUser(id: string): Promise<UserRecord | undefined> {
    const now = this.now();
    let user: UserRecord;
    try {
      user = await this.auth.getUser(id);
    } catch (err) {
      if (hasCode(err, "NOT_FOUND")) return undefined;
      throw err;
    }
    if (this.users.size >= this.maxEntries) this.users.clear();
    this.users.set(id, { value: user, until: now + this.ttlMs });
    return user;
  }
}
