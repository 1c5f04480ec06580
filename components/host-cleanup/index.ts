export * from "./policy";
export * from "./host-cleanup";
