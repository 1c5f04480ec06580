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

export const HASH_CHARS = 10;

/** `<stack>_<name>_<first 10 hex of sha256(content)>`. */
export function versionedName(stack: string, name: string, content: string): string {
    return `${stack}_${name}_${crypto.createHash("sha256").update(content, "utf8").digest("hex").slice(0, HASH_CHARS)}`;
}

/**
 * The versioned name of a value that may be an Output (a Pulumi secret). The name is not secret:
 * docker shows it to anyone who lists secrets, and the preview must show the rotation. It carries
 * 40 bits of a hash of the value (docs/secrets.md: use values nobody can guess).
 */
export function versionedNameOf(stack: string, name: string, content: pulumi.Input<string>): pulumi.Input<string> {
    return typeof content === "string" ? versionedName(stack, name, content) : pulumi.unsecret(pulumi.output(content).apply((c) => versionedName(stack, name, c)));
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
        secrets: Object.fromEntries(Object.entries(a.secrets ?? {}).map(([n, s]) => [n, versionedNameOf(a.name, n, s.value)])),
        configs: Object.fromEntries(Object.entries(a.configs ?? {}).map(([n, c]) => [n, versionedNameOf(a.name, n, c.content ?? "")])),
    };
}

/** Names of a stack whose values are plain strings (tests, compose of a literal spec); an Output value needs the component's resolved names. */
export function plainObjectNames(a: SwarmStackArgs): { secrets: Record<string, string>; configs: Record<string, string> } {
    const plain = (n: string, v: pulumi.Input<string>) => {
        if (typeof v !== "string") throw new Error(`${n}: the value is an Output; pass the resolved names`);
        return versionedName(a.name, n, v);
    };
    return {
        secrets: Object.fromEntries(Object.entries(a.secrets ?? {}).map(([n, s]) => [n, plain(n, s.value)])),
        configs: Object.fromEntries(Object.entries(a.configs ?? {}).map(([n, c]) => [n, plain(n, c.content ?? "")])),
    };
}

const base64 = (v: string) => Buffer.from(v, "utf8").toString("base64");
const labels = (stack: string) => [{ label: STACK_NAMESPACE_LABEL, value: stack }];

/** `docker.SecretArgs` of one stack secret: the data (base64, as the provider takes it) is a Pulumi secret whatever the input was. */
export function renderSecret(a: SwarmStackArgs, name: string): docker.SecretArgs {
    const value = a.secrets![name].value;
    return { name: versionedNameOf(a.name, name, value), data: pulumi.secret(pulumi.output(value).apply(base64)), labels: labels(a.name) };
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
