// `npm run hostkeys -- --stack NAME [--host NAME ...] [--rotate] [--file PATH]`
//
// Reads each host's ed25519 SSH host key with ssh-keyscan (no login), prints its SHA256
// fingerprint for review (compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the
// host's console), and pins it as the host's `hostKey` in stacks/Pulumi.NAME.yaml, editing only
// those values. A host whose pinned key (hostKey, else its dockfleet:ssh.knownHostsPath entry)
// differs from what it presents is refused unless --rotate: nothing is written then.
// Exit status: 0 written (or nothing to change), 1 a host refused or unreachable (nothing written),
// 2 bad usage.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PREFERRED_HOST_KEY_TYPE, keysFor } from "../components/common/host-keys";
import { keyscan } from "../components/common/ssh";
import { NAMESPACE } from "../program/names";
import { HostKeyTarget, formatAction, planHostKey, setHostKeys } from "./hostkeys/plan";
import { walkArgs } from "./lib/args";

export interface HostkeysArgs {
    stack: string;
    hosts: string[];
    rotate: boolean;
    file: string;
}

export function parseArgs(argv: string[]): HostkeysArgs {
    const a: Partial<HostkeysArgs> & { hosts: string[]; rotate: boolean } = { hosts: [], rotate: false };
    walkArgs(argv, (k, next) => {
        if (k === "--stack") a.stack = next();
        else if (k === "--host") a.hosts.push(...next().split(",").filter((x) => x));
        else if (k === "--rotate") a.rotate = true;
        else if (k === "--file") a.file = next();
        else throw new Error(`unknown argument "${k}"`);
    });
    if (!a.stack || !/^[\w.-]+$/.test(a.stack)) throw new Error("--stack NAME is required (letters, digits, . _ -)");
    return { ...a, file: a.file ?? path.join("stacks", `Pulumi.${a.stack}.yaml`) } as HostkeysArgs;
}

interface StackHost { name?: unknown; address?: unknown; port?: unknown; hostKey?: unknown }

/** The hosts to scan, each with the key the stack pins for it today. */
export function targetsOf(config: Record<string, unknown>, only: string[], readFile: (f: string) => string = (f) => fs.readFileSync(f, "utf8")): HostKeyTarget[] {
    const hosts = (config[`${NAMESPACE}:hosts`] ?? []) as StackHost[];
    const ssh = (config[`${NAMESPACE}:ssh`] ?? {}) as { port?: number; knownHostsPath?: string };
    const unknown = only.filter((n) => !hosts.some((h) => h.name === n));
    if (unknown.length > 0) throw new Error(`not in ${NAMESPACE}:hosts: ${unknown.join(", ")} (hosts: ${hosts.map((h) => String(h.name)).join(", ")})`);
    let knownHosts: string | undefined;
    if (ssh.knownHostsPath && fs.existsSync(ssh.knownHostsPath)) knownHosts = readFile(ssh.knownHostsPath);
    return hosts.filter((h) => only.length === 0 || only.includes(String(h.name))).map((h) => {
        const port = typeof h.port === "number" ? h.port : ssh.port ?? 22;
        const t: HostKeyTarget = { name: String(h.name), address: String(h.address), port };
        if (typeof h.hostKey === "string") return { ...t, pinned: h.hostKey, pinnedFrom: "hostKey" };
        const k = knownHosts !== undefined ? keysFor(knownHosts, t.address, port)[0] : undefined;
        return k ? { ...t, pinned: k.text, pinnedFrom: ssh.knownHostsPath } : t;
    });
}

export async function main(argv: string[], scan = keyscan): Promise<number> {
    let a: HostkeysArgs;
    try {
        a = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`hostkeys: ${(e as Error).message}\n`);
        return 2;
    }
    if (!fs.existsSync(a.file)) {
        process.stderr.write(`hostkeys: ${a.file} does not exist (give --file, or create the stack file first)\n`);
        return 2;
    }
    const text = fs.readFileSync(a.file, "utf8");
    let targets: HostKeyTarget[];
    try {
        targets = targetsOf((YAML.parse(text) ?? {}).config ?? {}, a.hosts);
    } catch (e) {
        process.stderr.write(`hostkeys: ${a.file}: ${(e as Error).message}\n`);
        return 2;
    }
    const scanned = await Promise.all(targets.map((t) => scan(t.address, t.port, PREFERRED_HOST_KEY_TYPE, 10000)));
    const actions = targets.map((t, i) => planHostKey(t, scanned[i], a.rotate));
    targets.forEach((t, i) => process.stdout.write(`${formatAction(a.stack, t, actions[i])}\n`));
    if (actions.some((x) => x.kind === "refuse" || x.kind === "unreachable")) {
        process.stderr.write(`hostkeys: nothing written to ${a.file}\n`);
        return 1;
    }
    const keys: Record<string, string> = {};
    targets.forEach((t, i) => {
        const x = actions[i];
        // a key that only knownHostsPath held is written too: the stack file then pins it itself
        if (x.kind === "pin" || x.kind === "rotate" || (x.kind === "same" && t.pinnedFrom !== "hostKey")) keys[t.name] = x.key;
    });
    if (Object.keys(keys).length === 0) {
        process.stderr.write(`hostkeys: ${a.file} already pins these keys\n`);
        return 0;
    }
    fs.writeFileSync(a.file, setHostKeys(text, keys));
    process.stderr.write(`hostkeys: wrote hostKey of ${Object.keys(keys).join(", ")} to ${a.file}; review the fingerprints above against each host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)\n`);
    return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((c) => (process.exitCode = c));
