export * from "./registry-config";
export * from "./registry";
export * from "./gc-config";
export * from "./gc";
