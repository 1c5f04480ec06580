// The library entry of @dockfleet/components (packages/components builds it to dist/): the
// components, their Args types, and the pure renderers and validators. The stack-config loader
// (program/) is the dockfleet program's own and stays out of the package.
export * from "./common/issues";
export { DURATION_HINT, durationMs, isGoDuration } from "./common/duration";
export { HOST_KEY_TYPES, fingerprint, keysFor, knownHostsLine, parseHostKey } from "./common/host-keys";
export type { HostKey } from "./common/host-keys";
export { hostKeySshOptions } from "./common/known-hosts";
export type { HostKeyCheck } from "./common/known-hosts";
export { validateHostKeys } from "./common/connection";
export type { SshArgs, SshHost } from "./common/connection";
export * from "./docker-host";
export * from "./container-unit";
export * from "./registry";
export * from "./nfs-volume";
export * from "./swarm-stack";
export * from "./swarm";
export * from "./fleet-image";
export * from "./host-cleanup";
