export * from "./plan";
export { PROBE_COMMAND, SWARM_STATE_DIR, parseProbe, probeSwarm } from "./probe";
export { renderNodeSpec, renderSwarmCommand } from "./commands";
export * from "./swarm-cluster";
