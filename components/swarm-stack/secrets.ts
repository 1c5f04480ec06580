import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DockfleetConfigError } from "../common/issues";
import { STACK_NAMESPACE_LABEL, SwarmStackArgs, withFileRefDefaults } from "./spec";

// Swarm secrets and configs are immutable: docker refuses to change the data of one in use. The
// way operators rotate them is a new object under a new name, which the service is then updated
// to use; dockfleet names each one by a digest of its content, so a changed value is a new object,
// a rolling update of exactly the services that mount it, and the old object deleted after them.
// A secret's digest is keyed (HMAC): its name is shown to anyone who lists secrets or reads the
// state, and a plain hash of a guessable value could be confirmed offline against it.

export const HASH_CHARS = 10;
/** The least key length of `secretsKey` (random bytes): HMAC-SHA256's own strength. */
export const MIN_KEY_BYTES = 32;

/** `<stack>_<name>_<first 10 hex of sha256(content)>`: a config's name (its content is not secret). */
export function versionedName(stack: string, name: string, content: string): string {
    return `${stack}_${name}_${crypto.createHash("sha256").update(content, "utf8").digest("hex").slice(0, HASH_CHARS)}`;
}

/**
 * The bytes of a `secretsKey`: hex (an even number of hex digits) or else base64 (standard or
 * url-safe); a string that is neither, or shorter than MIN_KEY_BYTES, is a problem (returned as
 * text that never repeats the key).
 */
export function secretsKeyBytes(key: string): Buffer | string {
    const k = key.trim();
    let bytes: Buffer;
    if (/^([0-9a-fA-F]{2})+$/.test(k)) bytes = Buffer.from(k, "hex");
    else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(k) && k.replace(/=+$/, "").length % 4 !== 1) bytes = Buffer.from(k, "base64");
    else return `must be at least ${MIN_KEY_BYTES} random bytes as hex or base64 (it is neither)`;
    if (bytes.length < MIN_KEY_BYTES) return `is ${bytes.length} bytes; at least ${MIN_KEY_BYTES} random bytes are needed (hex or base64)`;
    return bytes;
}

function keyBytes(stack: string, key: string): Buffer {
    const b = secretsKeyBytes(key);
    if (typeof b === "string") throw new DockfleetConfigError([{ ctx: { resource: `SwarmStack "${stack}"` }, issue: { field: "secretsKey", message: b, severity: "error" } }]);
    return b;
}

/** `<stack>_<name>_<first 10 hex of HMAC-SHA256(key, value)>`: a secret's name, derivable only with the key. */
export function secretName(stack: string, name: string, value: string, key: string): string {
    return `${stack}_${name}_${crypto.createHmac("sha256", keyBytes(stack, key)).update(value, "utf8").digest("hex").slice(0, HASH_CHARS)}`;
}

/**
 * The versioned name of a config whose content may be an Output. The name is not secret: docker
 * shows it to anyone who lists configs, and the preview must show the rotation.
 */
export function versionedNameOf(stack: string, name: string, content: pulumi.Input<string>): pulumi.Input<string> {
    return typeof content === "string" ? versionedName(stack, name, content) : pulumi.unsecret(pulumi.output(content).apply((c) => versionedName(stack, name, c)));
}

/**
 * The name of a secret whose value and key may be Outputs (Pulumi secrets). Not secret itself
 * (shown by `docker secret ls`, the preview, the state): without the key it tells nothing of the value.
 */
export function secretNameOf(stack: string, name: string, value: pulumi.Input<string>, key: pulumi.Input<string> | undefined): pulumi.Input<string> {
    if (key === undefined) throw new DockfleetConfigError([{ ctx: { resource: `SwarmStack "${stack}"` }, issue: { field: "secretsKey", message: "is required when the stack has secrets (their names are keyed by it)", severity: "error" } }]);
    if (typeof value === "string" && typeof key === "string") return secretName(stack, name, value, key);
    return pulumi.unsecret(pulumi.all([value, key]).apply(([v, k]) => secretName(stack, name, v, k)));
}

/** Versioned names of the stack's secrets and configs by short name. */
export interface ObjectNames {
    secrets: Record<string, pulumi.Input<string>>;
    configs: Record<string, pulumi.Input<string>>;
}

/** Every config's content (the `file` ones read from disk); a missing file throws a DockfleetConfigError naming the field. */
export function withConfigFiles<T extends SwarmStackArgs>(a: T, baseDir: string = process.cwd()): T {
    if (!a.configs) return a;
    const configs = Object.fromEntries(Object.entries(a.configs).map(([n, c]) => {
        if (c.file === undefined) return [n, c];
        const file = path.resolve(baseDir, c.file);
        try {
            return [n, { content: fs.readFileSync(file, "utf8") }];
        } catch (e) {
            throw new DockfleetConfigError([{ ctx: { resource: `SwarmStack "${a.name}"` }, issue: { field: `configs.${n}.file`, message: `cannot read ${file}: ${(e as Error).message}`, severity: "error" } }]);
        }
    }));
    return { ...a, configs };
}

/** Versioned names for a stack whose configs have their content (see withConfigFiles). */
export function objectNames(a: SwarmStackArgs): ObjectNames {
    return {
        secrets: Object.fromEntries(Object.entries(a.secrets ?? {}).map(([n, s]) => [n, secretNameOf(a.name, n, s.value, a.secretsKey)])),
        configs: Object.fromEntries(Object.entries(a.configs ?? {}).map(([n, c]) => [n, versionedNameOf(a.name, n, c.content ?? "")])),
    };
}

/** Names of a stack whose values are plain strings (tests, compose of a literal spec); an Output value needs the component's resolved names. */
export function plainObjectNames(a: SwarmStackArgs): { secrets: Record<string, string>; configs: Record<string, string> } {
    const plain = (n: string, v: pulumi.Input<string>) => {
        if (typeof v !== "string") throw new Error(`${n}: the value or the key is an Output; pass the resolved names`);
        return v;
    };
    return {
        secrets: Object.fromEntries(Object.entries(a.secrets ?? {}).map(([n, s]) => [n, plain(n, secretNameOf(a.name, n, s.value, a.secretsKey))])),
        configs: Object.fromEntries(Object.entries(a.configs ?? {}).map(([n, c]) => [n, versionedName(a.name, n, plain(n, c.content ?? ""))])),
    };
}

const base64 = (v: string) => Buffer.from(v, "utf8").toString("base64");
const labels = (stack: string) => [{ label: STACK_NAMESPACE_LABEL, value: stack }];

/** `docker.SecretArgs` of one stack secret: the data (base64, as the provider takes it) is a Pulumi secret whatever the input was. */
export function renderSecret(a: SwarmStackArgs, name: string): docker.SecretArgs {
    const value = a.secrets![name].value;
    return { name: secretNameOf(a.name, name, value, a.secretsKey), data: pulumi.secret(pulumi.output(value).apply(base64)), labels: labels(a.name) };
}

/** `docker.ServiceConfigArgs` of one stack config (content resolved, see withConfigFiles). */
export function renderConfig(a: SwarmStackArgs, name: string): docker.ServiceConfigArgs {
    const content = a.configs![name].content ?? "";
    return { name: versionedNameOf(a.name, name, content), data: typeof content === "string" ? base64(content) : pulumi.output(content).apply(base64), labels: labels(a.name) };
}

/** Ids and names of the created objects, by short name; without ids (tests, previews) the name stands for the id. */
export interface ObjectRefs {
    secrets: Record<string, { id: pulumi.Input<string>; name: pulumi.Input<string> }>;
    configs: Record<string, { id: pulumi.Input<string>; name: pulumi.Input<string> }>;
}

export function refsByName(names: ObjectNames): ObjectRefs {
    const by = (m: Record<string, pulumi.Input<string>>) => Object.fromEntries(Object.entries(m).map(([n, v]) => [n, { id: v, name: v }]));
    return { secrets: by(names.secrets), configs: by(names.configs) };
}

/** A service's `taskSpec.containerSpec.secrets` and `configs`. */
export function renderServiceFiles(a: SwarmStackArgs, service: string, refs: ObjectRefs) {
    const s = a.services[service];
    const mode = (m: string) => parseInt(m, 8);
    const secrets: docker.types.input.ServiceTaskSpecContainerSpecSecret[] = (s.secrets ?? []).map((r) => withFileRefDefaults(r, "secret")).map((r) => ({
        secretId: refs.secrets[r.source].id, secretName: refs.secrets[r.source].name, fileName: r.target, fileUid: r.uid, fileGid: r.gid, fileMode: mode(r.mode),
    }));
    const configs: docker.types.input.ServiceTaskSpecContainerSpecConfig[] = (s.configs ?? []).map((r) => withFileRefDefaults(r, "config")).map((r) => ({
        configId: refs.configs[r.source].id, configName: refs.configs[r.source].name, fileName: r.target, fileUid: r.uid, fileGid: r.gid, fileMode: mode(r.mode),
    }));
    return { ...(secrets.length ? { secrets } : {}), ...(configs.length ? { configs } : {}) };
}
