// Rules that more than one layer checks (the validators before any host is touched, the policy
// pack over rendered resources, the preview summary): each written once, here.
export * from "./engine-version";
export * from "./devicemapper";
export * from "./tcp-api";
export * from "./swift-registry";
export * from "./nfs-address";
