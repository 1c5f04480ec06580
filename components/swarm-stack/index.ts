export * from "./spec";
export * from "./render";
export * from "./validate";
export * from "./compose-import";
export * from "./swarm-stack";
export * from "./secrets";
