// devicemapper is gone from Docker Engine 25: dockerd refuses to start with it. The daemon
// validator (docker-host/daemon-validate.ts, over the config) and the policy pack (over the
// rendered daemon.json) both ask devicemapperRemoved. The apply script keeps its own copy for
// hosts whose version only it can see (components/docker-host/scripts).
import { engineMajorAtLeast } from "./engine-version";

/** The Engine major version that removed devicemapper. */
export const DEVICEMAPPER_REMOVED_IN = 25;

/** A rendered daemon.json uses devicemapper: the storage driver, or `dm.*` storage-opts. */
export function daemonJsonUsesDevicemapper(daemonJson: Record<string, unknown>): boolean {
    const opts = daemonJson["storage-opts"];
    return daemonJson["storage-driver"] === "devicemapper" || (Array.isArray(opts) && (opts as unknown[]).some((o) => /^dm\./.test(String(o))));
}

/** true: this engine has no devicemapper; false: it still has; undefined: the version is unknown. */
export function devicemapperRemoved(engineVersion: string | undefined): boolean | undefined {
    return engineMajorAtLeast(engineVersion, DEVICEMAPPER_REMOVED_IN);
}
