import { createHash } from "crypto";
import { Issue, error } from "../common/issues";
import { nfsServerProblem } from "../common/rules";

/** NFS protocol version (`nfsvers=`); a const object and a type, so schema inference reads it as an enum. */
export const NfsVersion = { v3: "3", v4: "4", v4_0: "4.0", v4_1: "4.1", v4_2: "4.2" } as const;
export type NfsVersion = (typeof NfsVersion)[keyof typeof NfsVersion];

/** An NFS export mounted through Docker's built-in `local` volume driver. */
export interface NfsVolumeArgs {
    /** NFS server IP address. The local driver passes `addr=` to the kernel, which does not resolve names. Required. */
    server: string;
    /** Exported path on the server, absolute, e.g. `/export/data`. Required. */
    path: string;
    /** NFS protocol version (`nfsvers=`). Default: "4". */
    nfsVersion?: NfsVersion;
    /** Extra mount options, e.g. `["rw", "hard", "timeo=600", "noatime"]`. Default: `["rw"]`. */
    options?: string[];
}

export const DEFAULT_NFS_VERSION = "4";
export const DEFAULT_NFS_OPTIONS = ["rw"];

/** `driver_opts` for the local driver: `type=nfs`, `o=addr=…,nfsvers=…,…`, `device=:/path`. */
export function nfsDriverOpts(a: NfsVolumeArgs): { type: string; o: string; device: string } {
    const opts = [`addr=${a.server}`, `nfsvers=${a.nfsVersion ?? DEFAULT_NFS_VERSION}`, ...(a.options ?? DEFAULT_NFS_OPTIONS)];
    return { type: "nfs", o: opts.join(","), device: `:${a.path}` };
}

/**
 * Volume name with a digest of the options. Docker never updates an existing local volume, and a
 * swarm node reuses a volume of the same name with its old options; a new name on every option
 * change makes the change real on every node and shows up in previews as a replacement.
 */
export function nfsVolumeName(base: string, a: NfsVolumeArgs): string {
    const o = nfsDriverOpts(a);
    const digest = createHash("sha256").update(`${o.type}|${o.o}|${o.device}`).digest("hex").slice(0, 8);
    return `${base}-${digest}`;
}

export function validateNfs(a: NfsVolumeArgs): Issue[] {
    const issues: Issue[] = [];
    if (nfsServerProblem(a.server)) {
        issues.push(error("server", `"${a.server}" must be an IP address: the local volume driver hands addr= to the kernel, which does not resolve host names`));
    }
    if (!a.path || !/^\/\S*$/.test(a.path)) issues.push(error("path", `"${a.path}" must be an absolute export path such as /export/data`));
    if (a.nfsVersion !== undefined && !["3", "4", "4.0", "4.1", "4.2"].includes(String(a.nfsVersion))) {
        issues.push(error("nfsVersion", `"${a.nfsVersion}" must be one of 3, 4, 4.0, 4.1, 4.2`));
    }
    (a.options ?? []).forEach((o, i) => {
        if (!/^[a-z0-9_]+(=[^,\s]+)?$/i.test(o)) issues.push(error(`options[${i}]`, `"${o}" is not a mount option such as "hard" or "timeo=600"`));
        if (/^(addr|nfsvers|vers)=/.test(o)) issues.push(error(`options[${i}]`, `"${o}" is set from server/nfsVersion; remove it from options`));
    });
    return issues;
}
