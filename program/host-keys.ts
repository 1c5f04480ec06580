// The stack's pinned SSH host keys: each host's `hostKey`, else its entry in `ssh.knownHostsPath`,
// else (with `ssh.insecureIgnoreHostKeys`) none, warned on every run; otherwise a config error
// naming the command that collects it. And the error a host presenting another key fails with.
import * as fs from "fs";
import { DockfleetConfigError, Issue, error, warning } from "../components/common/issues";
import { HostKey, fingerprint, hostkeysCommand, isHostKey, keysFor, parseHostKey } from "../components/common/host-keys";
import { NAMESPACE } from "./names";

interface KeyedHost {
    name: string;
    address: string;
    port?: number;
    hostKey?: string;
}

interface SshKeyConfig {
    port?: number;
    knownHostsPath?: string;
    insecureIgnoreHostKeys?: boolean;
}

export interface ResolvedHostKeys<H extends KeyedHost> {
    /** The hosts, each with the key it is verified against (from knownHostsPath when it had none). */
    hosts: H[];
    /** Where each host's key comes from (the field to name in messages), by host name. */
    sources: Record<string, string>;
    /** Fields are full config keys (`dockfleet:hosts[2].hostKey`). */
    issues: Issue[];
}

/** Resolves every host's pinned key; never throws (a known_hosts file that cannot be read is an issue). */
export function resolveHostKeys<H extends KeyedHost>(stack: string, hosts: H[], ssh: SshKeyConfig | undefined, read: (f: string) => string = (f) => fs.readFileSync(f, "utf8")): ResolvedHostKeys<H> {
    const issues: Issue[] = [];
    const sources: Record<string, string> = {};
    let knownHosts: string | undefined;
    const khField = `${NAMESPACE}:ssh.knownHostsPath`;
    if (ssh?.knownHostsPath !== undefined) {
        try {
            knownHosts = read(ssh.knownHostsPath);
        } catch (e) {
            issues.push(error(khField, `${ssh.knownHostsPath} cannot be read on this machine (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); for the local stack: npm run sandbox:up`));
        }
    }
    const unverified: string[] = [];
    const out = hosts.map((h, i) => {
        const field = `${NAMESPACE}:hosts[${i}].hostKey`;
        if (h.hostKey !== undefined) {
            const k = parseHostKey(h.hostKey);
            sources[h.name] = field;
            if (!isHostKey(k)) {
                issues.push(error(field, `${k.error}; collect it with: ${hostkeysCommand(stack, h.name, true)}`));
                return h;
            }
            return { ...h, hostKey: k.text }; // without its comment: a comment edit is no change of the pin
        }
        const port = h.port ?? ssh?.port ?? 22;
        const found: HostKey | undefined = knownHosts !== undefined ? keysFor(knownHosts, h.address, port)[0] : undefined;
        if (found) {
            sources[h.name] = `${khField} (${ssh!.knownHostsPath})`;
            return { ...h, hostKey: found.text };
        }
        if (ssh?.insecureIgnoreHostKeys) {
            unverified.push(h.name);
            return h;
        }
        if (ssh?.knownHostsPath !== undefined && knownHosts === undefined) return h; // the file's own error says it
        const where = knownHosts !== undefined ? ` (${ssh!.knownHostsPath} has no ed25519/ECDSA key for "${port === 22 ? h.address : `[${h.address}]:${port}`}")` : "";
        issues.push(error(field, `no pinned SSH host key for ${h.name} (${h.address})${where}: collect it with: ${hostkeysCommand(stack, h.name)} (reads it with ssh-keyscan, prints its fingerprint for review, writes it here); or set ${NAMESPACE}:ssh.insecureIgnoreHostKeys: true for throwaway hosts`));
        return h;
    });
    if (unverified.length > 0) {
        issues.push(warning(`${NAMESPACE}:ssh.insecureIgnoreHostKeys`, `SSH host keys are NOT verified for ${unverified.join(", ")}: whoever answers on their addresses gets root commands and this stack's secrets; pin them with: ${hostkeysCommand(stack)}`));
    }
    return { hosts: out, sources, issues };
}

/** A host that answered with another key than the pinned one (the probe's finding). */
export interface HostKeyMismatch {
    host: string;
    address: string;
    port: number;
    /** The pinned key (`type base64`). */
    pinned: string;
    /** What `ssh-keyscan -t <pinned type>` read from the host; undefined when it read none. */
    presented?: string;
}

/** The error a preview or up fails with, before anything is registered: one line per host. */
export function hostKeyMismatchError(stack: string, found: HostKeyMismatch[], sources: Record<string, string> = {}): DockfleetConfigError {
    return new DockfleetConfigError(found.map((m) => {
        const pinned = parseHostKey(m.pinned);
        const type = isHostKey(pinned) ? pinned.type : "ssh-ed25519";
        const presented = m.presented ? `${fingerprint(m.presented)} (${type})` : `no ${type} key (ssh-keyscan read none)`;
        return {
            ctx: { stack, resource: `host "${m.host}"` },
            issue: error(sources[m.host] ?? `${NAMESPACE}:hosts[?].hostKey`,
                `${m.host} (${m.address}:${m.port}) presented SSH host key ${presented}, not the pinned ${fingerprint(m.pinned)}: nothing was sent to it. ` +
                `If its keys were replaced on purpose (a reinstall), compare the new fingerprint with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on its console) and rotate the pin: ${hostkeysCommand(stack, m.host, true)}`),
        };
    }));
}
