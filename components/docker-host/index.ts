export * from "./daemon-config";
export * from "./dropins";
export * from "./bundle";
export * from "./docker-host";
export * from "./docker-fleet";
export * from "./registry-trust";
export { DAEMON_KEYS, MODEL_FIELDS, OMITTED, changeEffect } from "./daemon-keys";
export type { DaemonKey, KeyKind, ReloadClass } from "./daemon-keys";
export { COMMON_LOG_OPTS, LOG_OPTS, STORAGE_OPTS } from "./daemon-checks";
