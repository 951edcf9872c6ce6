// The S3 gateway's public face: an HTTP handler/server over a TarnClient, and how it resolves credentials.
export { createGatewayHandler, createGatewayServer } from "./server";
export type { GatewayHandler, GatewayOptions, GatewayServerOptions } from "./server";
export { credentialResolver } from "./credentials";
export { remoteCredentialLookup, remoteCredentialResolver } from "./remote-credentials";
export type { CredentialLookup, CredentialResolver, ResolvedCredential } from "./credentials";
export { S3Error } from "./errors";
