// The metadata service's public face: the gRPC server, its cluster view, its stores, metrics and logs.
export { MetadataServer, DEFAULT_MAX_MESSAGE_BYTES } from "./server";
export type { MetadataServerOptions } from "./server";
export { LocalClusterView } from "./cluster";
export type { ClusterView, ClusterStatusInfo, MemberInfo, MemberRole } from "./cluster";
export { KvCredentialStore } from "./credential-store";
export { Storage } from "./storage";
export type { StorageOptions } from "./storage";
export { createServiceMetrics, metricsHandler, startMetricsServer } from "./metrics";
export type { ServiceMetrics } from "./metrics";
export { createLogger, formatLogLine, silentLogger } from "./logger";
export type { Logger, LoggerOptions, LogLevel } from "./logger";
export { toStatus } from "./status";
export { apiMethods, methodPath, messageType, LEADER_HEADER, FORWARDED_HEADER } from "./proto";
export type { MethodSchema } from "./proto";
export { openLocalService } from "./local";
export type { LocalService, LocalServiceOptions } from "./local";
export type * from "./messages";
