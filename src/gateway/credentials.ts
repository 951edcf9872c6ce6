// Where the gateway finds a user's secret to check a SigV4/SigV2 signature. The metadata service will answer
// this over gRPC (AuthService.GetCredentialForGateway, callable only by a gateway signing with the cluster's
// gateway key); until it does, `tarn run` hands the gateway a function over its own credential store.
// Results are cached briefly, misses too, so a flood of bad keys costs one lookup per key per TTL.

export interface ResolvedCredential {
  secretAccessKey: string;
  userId: string;
}

export interface CredentialResolver {
  resolve(accessKeyId: string): Promise<ResolvedCredential | undefined>;
}

export type CredentialLookup = (accessKeyId: string) => Promise<ResolvedCredential | undefined> | ResolvedCredential | undefined;

/** A resolver over a lookup function, with a small TTL cache (default 10 s; deleted keys stop working within it). */
export function credentialResolver(lookup: CredentialLookup, options: { ttlMs?: number; maxEntries?: number } = {}): CredentialResolver {
  const ttl = options.ttlMs ?? 10_000;
  const max = options.maxEntries ?? 10_000;
  const cache = new Map<string, { at: number; value: Promise<ResolvedCredential | undefined> }>();
  return {
    resolve(accessKeyId) {
      const now = Date.now();
      const hit = cache.get(accessKeyId);
      if (hit && now - hit.at < ttl) return hit.value;
      const value = Promise.resolve(lookup(accessKeyId));
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(accessKeyId, { at: now, value });
      value.catch(() => cache.delete(accessKeyId));
      return value;
    },
  };
}
