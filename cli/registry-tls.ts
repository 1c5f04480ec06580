// `npm run registry-tls -- --stack NAME [--renew] [--new-ca] [--days N] [--ca-days N] [--name DNS|IP]...
//                           [--ca-cert FILE --ca-key FILE]`
//
// The registry's TLS material in the stack config (run with dev/env.sh sourced, like adopt):
// the fleet CA (created when the stack has none; --ca-cert/--ca-key import the operator's own),
// and a server certificate for the registry's address (IP SAN for an IP, DNS SAN for a name) plus
// any --name. Certificates go into dockfleet:registry.tls (plain: they are public); the server
// key into dockfleet:registryTlsKey and the CA key into dockfleet:registryCaKey with
// `pulumi config set --secret`, the values on stdin (never in argv, never printed). The program
// never reads the CA key, so it never enters state.
// Renewal is this command with --renew (a new server certificate under the same CA) and an
// ordinary `pulumi up`: hosts trust the CA, which is unchanged, so no host file changes.
// Without --renew a certificate that names the address and has ≥ 30 days left is kept.
// Exit status: 0 written or nothing to do, 1 failed (nothing written), 2 bad usage.
import * as fs from "fs";
import { spawnSync } from "child_process";
import { createCa, issueServerCert, Pem } from "./registry-tls/generate";
import { RENEW_WARN_DAYS, certFacts, certNames } from "../components/registry/tls";
import { isIpAddress, isHostname } from "../components/common/net";

export interface TlsArgs { stack: string; renew: boolean; newCa: boolean; days: number; caDays: number; names: string[]; caCertFile?: string; caKeyFile?: string }

export function parseArgs(argv: string[]): TlsArgs {
    const a: TlsArgs = { stack: "", renew: false, newCa: false, days: 397, caDays: 3650, names: [] };
    for (let i = 0; i < argv.length; i++) {
        const next = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
            return v;
        };
        const k = argv[i];
        if (k === "--stack") a.stack = next();
        else if (k === "--renew") a.renew = true;
        else if (k === "--new-ca") a.newCa = true;
        else if (k === "--days") a.days = Number(next());
        else if (k === "--ca-days") a.caDays = Number(next());
        else if (k === "--name") a.names.push(next());
        else if (k === "--ca-cert") a.caCertFile = next();
        else if (k === "--ca-key") a.caKeyFile = next();
        else throw new Error(`unknown argument "${k}"`);
    }
    if (!/^[\w.-]+$/.test(a.stack)) throw new Error("--stack NAME is required (letters, digits, . _ -)");
    for (const [f, v] of [["--days", a.days], ["--ca-days", a.caDays]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`${f} must be whole days ≥ 1`);
    for (const n of a.names) if (!isIpAddress(n) && !isHostname(n)) throw new Error(`--name "${n}" is not an IP address or DNS name`);
    if ((a.caCertFile === undefined) !== (a.caKeyFile === undefined)) throw new Error("--ca-cert and --ca-key go together");
    if (a.caCertFile && a.newCa) throw new Error("--new-ca creates a CA; --ca-cert/--ca-key import one: pick one");
    return a;
}

type Cfg = Record<string, { value?: string; objectValue?: unknown; secret?: boolean }>;

function pulumi(args: string[], input?: string): string {
    const r = spawnSync("pulumi", [...args, "--non-interactive"], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 120000 });
    if (r.error || r.status !== 0) throw new Error(`pulumi ${args.filter((x) => !x.startsWith("-----")).join(" ")} failed: ${r.error?.message ?? (r.stderr ?? "").trim().split("\n").pop()}`);
    return r.stdout;
}

/** The registry's address (as the program computes it) and its current TLS material. */
export function currentTls(cfg: Cfg): { address: string; port: number; tls: unknown; caKey?: string } {
    const obj = (k: string) => cfg[`dockfleet:${k}`]?.objectValue ?? (cfg[`dockfleet:${k}`]?.value ? JSON.parse(cfg[`dockfleet:${k}`]!.value!) : undefined);
    const reg = obj("registry") as { onHost: string; address?: string; port?: number; tls?: unknown } | undefined;
    if (!reg) throw new Error("the stack has no dockfleet:registry");
    const hosts = (obj("hosts") ?? []) as { name: string; address: string }[];
    const address = reg.address ?? hosts.find((h) => h.name === reg.onHost)?.address;
    if (!address) throw new Error(`dockfleet:registry.onHost "${reg.onHost}" is not a host in dockfleet:hosts`);
    return { address, port: reg.port ?? 5000, tls: reg.tls, caKey: cfg["dockfleet:registryCaKey"]?.value };
}

/** What to write: undefined when the current certificate is kept. */
export async function plan(a: TlsArgs, cur: ReturnType<typeof currentTls>, now: Date, log: (m: string) => void): Promise<{ ca: Pem; caIsNew: boolean; server: Pem } | undefined> {
    if (cur.tls === false) throw new Error("dockfleet:registry.tls is false (plain HTTP); remove it first: pulumi config rm --path dockfleet:registry.tls");
    const tls = cur.tls as { caCert?: string; cert?: string } | undefined;
    let ca: Pem | undefined;
    let caIsNew = false;
    if (a.caCertFile) {
        ca = { cert: fs.readFileSync(a.caCertFile, "utf8"), key: fs.readFileSync(a.caKeyFile!, "utf8") };
        caIsNew = true;
    } else if (!a.newCa && tls?.caCert) {
        if (!cur.caKey) throw new Error("the stack has a CA certificate (registry.tls.caCert) but no dockfleet:registryCaKey: sign the server certificate with your CA yourself, or pass --ca-cert FILE --ca-key FILE, or --new-ca");
        ca = { cert: tls.caCert, key: cur.caKey };
    }
    const names = [cur.address, ...a.names.filter((n) => n !== cur.address)];
    if (ca && !caIsNew && !a.renew && tls?.cert) {
        const f = certFacts(tls.cert, now);
        if (names.every((n) => certNames(tls.cert!, n)) && f.daysLeft >= RENEW_WARN_DAYS) {
            log(`the server certificate names ${names.join(", ")} and has ${f.daysLeft} days left; nothing to do (--renew makes a new one)`);
            return undefined;
        }
    }
    if (!ca) {
        ca = await createCa({ commonName: `dockfleet ${a.stack} registry CA`, days: a.caDays, now });
        caIsNew = true;
        log(`created a CA valid for ${a.caDays} days`);
    }
    const server = await issueServerCert({ ca, names, days: a.days, now });
    log(`issued a server certificate for ${names.join(", ")} valid until ${certFacts(server.cert, now).notAfter.toISOString()}`);
    return { ca, caIsNew, server };
}

async function main(): Promise<number> {
    let a: TlsArgs;
    try {
        a = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`registry-tls: ${(e as Error).message}\n`);
        return 2;
    }
    const log = (m: string) => process.stderr.write(`registry-tls: ${m}\n`);
    try {
        const cur = currentTls(JSON.parse(pulumi(["config", "--stack", a.stack, "--json", "--show-secrets"])) as Cfg);
        const p = await plan(a, cur, new Date(), log);
        if (!p) return 0;
        const set = (key: string, value: string, secret: boolean) => {
            pulumi(["config", "set", ...(secret ? ["--secret"] : ["--path"]), key, "--stack", a.stack], value);
            log(`stored ${key}${secret ? " (secret)" : ""}`);
        };
        if (p.caIsNew) {
            set("dockfleet:registryCaKey", p.ca.key, true);
            set("dockfleet:registry.tls.caCert", p.ca.cert, false);
        }
        set("dockfleet:registryTlsKey", p.server.key, true);
        set("dockfleet:registry.tls.cert", p.server.cert, false);
        log(`done; run pulumi up --stack ${a.stack}${p.caIsNew ? " (a new CA: every host gets its ca.crt, no dockerd restart)" : " (the registry container is replaced; hosts keep trusting the same CA)"}`);
        return 0;
    } catch (e) {
        log((e as Error).message);
        return 1;
    }
}

if (require.main === module) void main().then((c) => process.exit(c));
