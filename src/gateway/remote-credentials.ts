// `tarn gateway` (sidecar) mode: the gateway learns callers' secrets from the metadata service with
// AuthService.GetCredentialForGateway, signed with its gateway key; the answer is sealed under a key derived
// from that gateway key (src/auth/gateway-credential.ts) and opened here.
import { openGatewayCredential } from "../auth";
import type { TarnClient } from "../client";
import { ApiError } from "../client";
import { credentialResolver, type CredentialLookup, type CredentialResolver } from "./credentials";

/** A lookup over a gateway-signed client; undefined for an unknown access key. */
export function remoteCredentialLookup(client: TarnClient, gatewayKey: Buffer): CredentialLookup {
  return async (accessKeyId) => {
    try {
      const found = await client.getCredentialForGateway({ accessKeyId });
      return { userId: found.userId, secretAccessKey: openGatewayCredential(gatewayKey, found.accessKeyId, found.userId, found.encryptedSecret) };
    } catch (err) {
      if (err instanceof ApiError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  };
}

/** The resolver a sidecar gateway uses: remote lookups, cached as credentialResolver does. */
export function remoteCredentialResolver(client: TarnClient, gatewayKey: Buffer, options: { ttlMs?: number; missTtlMs?: number } = {}): CredentialResolver {
  return credentialResolver(remoteCredentialLookup(client, gatewayKey), options);
}
