export * from "./daemon-config";
export * from "./dropins";
export * from "./bundle";
export * from "./docker-host";
export * from "./docker-fleet";
