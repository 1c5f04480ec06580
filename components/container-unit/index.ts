export * from "./unit";
export * from "./container-unit";
