// The TypeScript SDK's public face.
export { TarnClient } from "./client";
export type { TarnClientOptions } from "./client";
export type { UploadOptions, DownloadResult } from "./data";
export { ApiError } from "./errors";
export { backoffDelay, DEFAULT_RETRY } from "./backoff";
export type { RetryPolicy } from "./backoff";
export type * from "../metadata/messages";
