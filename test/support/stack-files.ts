// Stack files as the whole-program tests read them: committed config plus placeholder secrets,
// and the checks on what was registered (settled, no secret in plain inputs).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { registered } from "./mocks";
import { SECRET_KEYS } from "../../program/schema";
import { testKnownHosts } from "./host-key-fixtures";

/**
 * Committed stack files hold no secret values (they are set per machine with `pulumi config set
 * --secret`), so the test supplies recognisable placeholders for each secret key and then checks
 * that none of them appears outside a secret.
 */
const PLACEHOLDER = (k: string) => `PLACEHOLDER-${k}-c0ffee`;
export const PLACEHOLDER_VALUES: Record<string, string> = {
    sshPrivateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${PLACEHOLDER("sshPrivateKey")}\n-----END OPENSSH PRIVATE KEY-----\n`,
    httpProxy: `http://svc:${PLACEHOLDER("httpProxy")}@proxy.corp.example:3128`,
    httpsProxy: `http://svc:${PLACEHOLDER("httpsProxy")}@proxy.corp.example:3128`,
    swiftPassword: PLACEHOLDER("swiftPassword"),
    s3SecretKey: PLACEHOLDER("s3SecretKey"),
    registryHttpSecret: PLACEHOLDER("registryHttpSecret"),
};

export function stackConfig(file: string): { raw: Record<string, unknown>; secret: Set<string> } {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const raw: Record<string, unknown> = {};
    const secret = new Set<string>();
    const isSecure = (v: unknown) => v !== null && typeof v === "object" && "secure" in (v as object);
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        if (isSecure(v)) {
            secret.add(k);
            raw[k] = PLACEHOLDER_VALUES[k.replace(/^dockfleet:/, "")] ?? PLACEHOLDER(k);
        } else if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).length > 0 && Object.values(v).every(isSecure)) {
            // a secret map (`config set --secret --path`): the whole key is secret at runtime
            secret.add(k);
            raw[k] = Object.fromEntries(Object.keys(v).map((n) => [n, PLACEHOLDER(`${k}.${n}`)]));
        } else {
            raw[k] = v;
        }
    }
    // The registry's key cannot be decrypted here: a stack with registry.tls gets the fixture's
    // certificates (for 10.232.0.11) and their key, so the key-belongs-to-cert check still runs.
    const reg = raw["dockfleet:registry"] as { tls?: unknown } | undefined;
    if (reg?.tls) {
        const fx = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/registry-tls.json"), "utf8")) as { caCert: string; cert: string; key: string };
        raw["dockfleet:registry"] = { ...reg, tls: { caCert: fx.caCert, cert: fx.cert } };
        raw["dockfleet:registryTlsKey"] = fx.key;
        secret.add("dockfleet:registryTlsKey");
    }
    for (const k of SECRET_KEYS) {
        if (k === "swarmUnlockKey") continue; // only with swarm.autolock, which no stack file sets
        const full = `dockfleet:${k}`;
        if (!(full in raw) && PLACEHOLDER_VALUES[k] !== undefined) {
            raw[full] = PLACEHOLDER_VALUES[k];
            secret.add(full);
        }
    }
    // The local stack points at the sandbox's key file, which may not exist where unit tests run.
    let ssh = raw["dockfleet:ssh"] as { privateKeyPath?: string; knownHostsPath?: string } | undefined;
    if (ssh?.privateKeyPath && !fs.existsSync(ssh.privateKeyPath)) raw["dockfleet:ssh"] = ssh = { ...ssh, privateKeyPath: undefined };
    // ... and at its known_hosts, which the sandbox writes: test keys for the same hosts instead
    if (ssh?.knownHostsPath && !fs.existsSync(ssh.knownHostsPath)) raw["dockfleet:ssh"] = { ...ssh, knownHostsPath: testKnownHosts(raw["dockfleet:hosts"] as { address: string; port?: number }[]) };
    return { raw, secret };
}

/** Strings in `v` that are not inside a secret-wrapped value. */
export function plainStrings(v: unknown, out: string[] = []): string[] {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
    else if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return out;
        Object.values(o).forEach((x) => plainStrings(x, out));
    }
    return out;
}

export async function settle(): Promise<void> {
    let n = -1;
    while (n !== registered.length) {
        n = registered.length;
        await new Promise((r) => setTimeout(r, 150));
    }
}
