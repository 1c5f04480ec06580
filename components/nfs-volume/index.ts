export * from "./nfs";
export * from "./nfs-volume";
