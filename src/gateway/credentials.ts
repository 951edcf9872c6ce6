// Where the gateway finds a user's secret to check a SigV4/SigV2 signature: `tarn run` hands the gateway a
// function over its own credential store; a sidecar gateway asks the metadata service
// (AuthService.GetCredentialForGateway, signed with the gateway key: remote-credentials.ts).
// Results are cached briefly (a deleted key stops working within the TTL), misses for a second, so a flood
// of bad keys costs one lookup per key per second and a key created a moment ago works almost at once.

export interface ResolvedCredential {
  secretAccessKey: string;
  userId: string;
}

export interface CredentialResolver {
  resolve(accessKeyId: string): Promise<ResolvedCredential | undefined>;
}

export type CredentialLookup = (accessKeyId: string) => Promise<ResolvedCredential | undefined> | ResolvedCredential | undefined;

/** A resolver over a lookup function, with a small TTL cache (default 10 s for keys found, 1 s for misses). */
export function credentialResolver(lookup: CredentialLookup, options: { ttlMs?: number; missTtlMs?: number; maxEntries?: number } = {}): CredentialResolver {
  const ttl = options.ttlMs ?? 10_000;
  const missTtl = Math.min(ttl, options.missTtlMs ?? 1000);
  const max = options.maxEntries ?? 10_000;
  const cache = new Map<string, { at: number; found: boolean; value: Promise<ResolvedCredential | undefined> }>();
  return {
    resolve(accessKeyId) {
      const now = Date.now();
      const hit = cache.get(accessKeyId);
      if (hit && now - hit.at < (hit.found ? ttl : missTtl)) return hit.value;
      const value = Promise.resolve(lookup(accessKeyId));
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      const entry = { at: now, found: true, value };
      cache.set(accessKeyId, entry);
      value.then((v) => (entry.found = v !== undefined), () => cache.delete(accessKeyId));
      return value;
    },
  };
}
