import * as pulumi from "@pulumi/pulumi";
import { Issue, error } from "./issues";
import { isHostKey, parseHostKey } from "./host-keys";

/** How dockfleet reaches hosts over SSH (DockerFleet's and SwarmCluster's `ssh`). */
export interface SshArgs {
    /** Default: "root". */
    user?: string;
    /** Private key (PEM/OpenSSH) as a secret. Required. */
    privateKey: pulumi.Input<string>;
    /** Default: 22. */
    port?: number;
    /**
     * Connect to hosts that have no `hostKey` without verifying who answers (throwaway hosts only:
     * whoever answers on the address gets root commands and every secret sent). Default: false
     * (a host without `hostKey` is an error).
     */
    insecureIgnoreHostKeys?: boolean;
}

/** A host as a connection needs it. */
export interface SshHost {
    address: string;
    port?: number;
    /** The host's pinned SSH host key in authorized_keys form (`ssh-ed25519 AAAA...`; `ssh-keyscan -t ed25519 HOST`). */
    hostKey?: string;
}

/**
 * Every host has a well-formed pinned key, or the fleet opted out (`insecureIgnoreHostKeys`) for
 * the hosts without one. Fields are relative to the component's Args (`hosts[2].hostKey`).
 */
export function validateHostKeys<H extends SshHost & { name?: string }>(hosts: H[], ssh: Partial<SshArgs> | undefined, connectsTo: (h: H) => boolean = () => true): Issue[] {
    const issues: Issue[] = [];
    hosts.forEach((h, i) => {
        if (!connectsTo(h)) return;
        if (h.hostKey === undefined) {
            if (!ssh?.insecureIgnoreHostKeys) {
                issues.push(error(`hosts[${i}].hostKey`, `no pinned SSH host key for ${h.name ?? h.address} (${h.address}): set hostKey to the host's key (ssh-keyscan -t ed25519 ${h.address}, its fingerprint checked on the host), or set ssh.insecureIgnoreHostKeys for throwaway hosts`));
            }
            return;
        }
        const k = parseHostKey(h.hostKey);
        if (!isHostKey(k)) issues.push(error(`hosts[${i}].hostKey`, k.error));
    });
    return issues;
}

/** The command:remote connection to a host: its own port over the fleet's, the key always secret, the host's key pinned. */
export function remoteConnection(h: SshHost, ssh: SshArgs) {
    return {
        host: h.address,
        port: h.port ?? ssh.port ?? 22,
        user: ssh.user ?? "root",
        privateKey: pulumi.secret(ssh.privateKey),
        // the command provider checks it with ssh.FixedHostKey before authenticating (nothing is
        // sent to a host presenting another key); without one it accepts any key
        ...(h.hostKey !== undefined ? { hostKey: parseHostKeyText(h.hostKey) } : {}),
        // a host restarting its sshd (or under load) refuses a few dials before it answers
        dialErrorLimit: 5,
    };
}

/** The key without its comment (a comment edit is no change of the pin). */
function parseHostKeyText(text: string): string {
    const k = parseHostKey(text);
    return isHostKey(k) ? k.text : text;
}
