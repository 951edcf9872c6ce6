// Process entry points: `tarn run`, `tarn metadata`, `tarn gateway` (registered as CLI commands in
// src/cli/commands/server.ts), and the member wiring they share.
export { runServer } from "./run";
export type { RunOptions } from "./run";
export { runMetadataMember } from "./member";
export type { MetadataMemberOptions } from "./member";
export { runGateway } from "./gateway";
export type { GatewayProcessOptions } from "./gateway";
export { startMember } from "./service";
export type { MemberOptions, RunningMember } from "./service";
export { RaftClusterView } from "./raft-cluster-view";
export { parseHostPort, parsePeers, parseEndpointList, formatHostPort } from "./address";
export { storeConfigFromEnv } from "./store-config";
