// `npm run adopt -- --stack NAME --hosts h1=10.0.0.1,h2=10.0.0.2 [--user root] [--port 22]
//                   [--key PATH] [--out stacks/Pulumi.NAME.yaml] [--no-pulumi] [--force]`
//
// Reads each host's ed25519 SSH host key (ssh-keyscan; its fingerprint printed for review, pinned
// as the host's hostKey), then each host over ssh verified against that key (read-only:
// daemon.json, docker.service drop-ins, engine version, swarm state) and writes the stack file in
// the typed schema. Proxy URLs (they may carry credentials)
// never go into the file: they are stored with `pulumi config set --secret`, or with --no-pulumi
// the commands are printed with the value replaced by <value>. The first `pulumi up` then restarts
// no host whose settings are already the same (the apply script compares settings, not bytes).
// Exit status: 0 written, 1 a host cannot be read or adopted (nothing written), 2 bad usage.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { AdoptError, AdoptResult, HostReading, adoptFromObservations } from "./adopt/adopt";
import { observeHost } from "./adopt/observe";
import { PREFERRED_HOST_KEY_TYPE, fingerprint } from "../components/common/host-keys";
import { keyscan } from "../components/common/ssh";
import { walkArgs } from "./lib/args";

export interface AdoptArgs {
    stack: string;
    hosts: { name: string; address: string }[];
    user: string;
    port: number;
    key?: string;
    out: string;
    pulumi: boolean;
    force: boolean;
}

export function parseArgs(argv: string[]): AdoptArgs {
    const a: Partial<AdoptArgs> & { pulumi: boolean; force: boolean } = { user: "root", port: 22, pulumi: true, force: false };
    walkArgs(argv, (k, next) => {
        if (k === "--stack") a.stack = next();
        else if (k === "--hosts") {
            a.hosts = next().split(",").filter((x) => x).map((x) => {
                const m = /^([^=]+)=(.+)$/.exec(x.trim());
                if (!m) throw new Error(`--hosts entry "${x}" must be name=address`);
                return { name: m[1], address: m[2] };
            });
        } else if (k === "--user") a.user = next();
        else if (k === "--port") {
            a.port = Number(next());
            if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new Error("--port must be a TCP port");
        } else if (k === "--key") a.key = next();
        else if (k === "--out") a.out = next();
        else if (k === "--no-pulumi") a.pulumi = false;
        else if (k === "--force") a.force = true;
        else throw new Error(`unknown argument "${k}"`);
    });
    if (!a.stack || !/^[\w.-]+$/.test(a.stack)) throw new Error("--stack NAME is required (letters, digits, . _ -)");
    if (!a.hosts || a.hosts.length === 0) throw new Error("--hosts name=address[,name=address...] is required");
    if (a.key && !fs.existsSync(a.key)) throw new Error(`--key ${a.key} does not exist`);
    return { ...a, out: a.out ?? path.join("stacks", `Pulumi.${a.stack}.yaml`) } as AdoptArgs;
}

/** Stores each secret with `pulumi config set --secret` (the value on stdin, never in argv or output). */
function storeSecrets(r: AdoptResult, stack: string): void {
    if (r.secretCommands.length === 0) return;
    // The stack must exist (selecting creates it; the backend and secrets provider are the user's).
    const sel = spawnSync("pulumi", ["stack", "select", "--create", stack, "--non-interactive"], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    if (sel.error || sel.status !== 0) throw new Error(`pulumi stack select --create ${stack} failed: ${sel.error?.message ?? (sel.stderr ?? "").trim().split("\n").pop()}`);
    for (const c of r.secretCommands) {
        const p = spawnSync("pulumi", ["config", "set", "--secret", c.key, "--stack", stack, "--non-interactive"], { input: c.value, encoding: "utf8", stdio: ["pipe", "inherit", "pipe"] });
        if (p.error || p.status !== 0) {
            throw new Error(`${c.display} failed: ${p.error?.message ?? (p.stderr ?? "").trim().split("\n").pop()}; run it yourself`);
        }
        process.stderr.write(`adopt: stored ${c.key} as a secret (stack ${stack})\n`);
    }
}

/**
 * With --force over a file `pulumi stack init` already wrote, keep its secrets-provider keys
 * (encryptionsalt, secretsprovider, encryptedkey): without them the stack's secrets cannot be read.
 */
export function keepStackKeys(file: string, yamlText: string): string {
    if (!fs.existsSync(file)) return yamlText;
    const old = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const doc = YAML.parseDocument(yamlText);
    for (const k of ["secretsprovider", "encryptedkey", "encryptionsalt"]) if (old[k] !== undefined) doc.set(k, old[k]);
    return doc.toString();
}

export async function main(argv: string[]): Promise<number> {
    let a: AdoptArgs;
    try {
        a = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`adopt: ${(e as Error).message}\n`);
        return 2;
    }
    if (fs.existsSync(a.out) && !a.force) {
        process.stderr.write(`adopt: ${a.out} exists; give --force to overwrite it or --out another file\n`);
        return 2;
    }
    const privateKey = a.key ? fs.readFileSync(a.key, "utf8") : undefined;
    let obs: HostReading[];
    let r: AdoptResult;
    try {
        // First contact: each host's ed25519 key, read without logging in and printed for review;
        // the observation then verifies it, and the stack file pins it (npm run hostkeys rotates it).
        const keys = await Promise.all(a.hosts.map((h) => keyscan(h.address, a.port, PREFERRED_HOST_KEY_TYPE, 10000)));
        const none = a.hosts.filter((_, i) => !keys[i]).map((h) => `${h.name} (${h.address}:${a.port})`);
        if (none.length > 0) throw new Error(`no ed25519 SSH host key read from ${none.join(", ")} (ssh-keyscan -t ed25519): is sshd up there?`);
        a.hosts.forEach((h, i) => process.stderr.write(`adopt: host ${h.name} ${h.address}:${a.port} presents ${fingerprint(keys[i]!)} (ssh-ed25519): pinned; compare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)\n`));
        obs = await Promise.all(a.hosts.map(async (h, i) => ({ ...(await observeHost(h.name, { host: h.address, port: a.port, user: a.user, privateKey, hostKey: keys[i] })), hostKey: keys[i] })));
        r = adoptFromObservations(obs, { stack: a.stack, user: a.user, port: a.port, keyPath: a.key ? path.resolve(a.key) : undefined });
    } catch (e) {
        process.stderr.write(e instanceof AdoptError ? `adopt: ${e.message}\n` : `adopt: ${(e as Error).message}\n`);
        return 1;
    }
    fs.mkdirSync(path.dirname(a.out), { recursive: true });
    fs.writeFileSync(a.out, keepStackKeys(a.out, r.stackYaml));
    process.stderr.write(`adopt: wrote ${a.out} (${obs.length} hosts)\n`);
    for (const n of r.notes) process.stderr.write(`adopt: note: ${n}\n`);
    if (a.pulumi) {
        try {
            storeSecrets(r, a.stack);
        } catch (e) {
            process.stderr.write(`adopt: ${(e as Error).message}\n`);
            return 1;
        }
    } else {
        for (const c of r.secretCommands) process.stdout.write(`${c.display}\n`);
    }
    if (!a.key) process.stdout.write(`pulumi config set --secret dockfleet:sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)" --stack ${a.stack}\n`);
    return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((c) => (process.exitCode = c));
