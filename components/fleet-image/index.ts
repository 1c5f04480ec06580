export * from "./context-tag";
export * from "./render";
export * from "./fleet-image";
export * from "./plan";
