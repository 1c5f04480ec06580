// An NFS volume of Docker's local driver names its server in `addr=`, which the kernel takes as
// is: it does not resolve names, so the server must be an IP address. The NfsVolume validator
// (nfs-volume/nfs.ts, over the args), the policy pack (over the volume's driver options) and the
// preview summary (which server keeps a replaced volume's data) read the options through here.
import { isIpAddress } from "../net";

/** The local driver's `type` of an NFS mount. */
export function isNfsType(type: unknown): boolean {
    return /^nfs4?$/.test(String(type ?? ""));
}

/** The `addr=` of a mount option string ("addr=10.0.0.5,nfsvers=4" → "10.0.0.5"); undefined without one. */
export function nfsAddrOf(o: unknown): string | undefined {
    return /(?:^|,)addr=([^,]*)/.exec(String(o ?? ""))?.[1];
}

/** Why `server` cannot be an NFS addr=: "missing" or "name"; undefined for an IP address. */
export function nfsServerProblem(server: string | undefined): "missing" | "name" | undefined {
    if (!server) return "missing";
    return isIpAddress(server) ? undefined : "name";
}
