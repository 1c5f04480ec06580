import * as fs from "fs";
import { ZodIssue } from "zod";
import { DockfleetConfigError, Issue, IssueContext, error, nest } from "../components/common/issues";
import { validateFleet } from "../components/docker-host/docker-fleet";
import { unknownKeyHint } from "../components/docker-host/daemon-keys";
import { validateRegistryHost, validateRegistryStorage, RegistryStorage } from "../components/registry/registry-config";
import { DEFAULT_REGISTRY_IMAGE } from "../components/registry/registry";
import { validateRegistryGc } from "../components/registry/gc-config";
import { validateContainerUnit } from "../components/container-unit/unit";
import { validateNfs } from "../components/nfs-volume/nfs";
import { validateHostCleanup } from "../components/host-cleanup/policy";
import { members, validateSwarm } from "../components/swarm/plan";
import { autolockIssues } from "../components/docker-host/autolock";
import { secretsKeyBytes } from "../components/swarm-stack/secrets";
import { PARTS, Part, SECRET_KEYS, SECRET_MAP_KEYS, SecretKey, StackConfigShape, configSchema } from "./schema";
import { registryTrustIssues } from "./registry-trust";
import { ImageRefs, StackSpecs, loadStacks } from "./stacks";
import { StackImage, declaredImages, imageIssues } from "./images";
import { NAMESPACE } from "./names";
import { resolveHostKeys } from "./host-keys";

export { NAMESPACE };


export interface LoadedConfig {
    stack: string;
    config: StackConfigShape;
    /** Plain secret values, for validation and for wrapping with pulumi.secret. Never log them. */
    secrets: Partial<Record<SecretKey, string>>;
    parts: Set<Part>;
    stacks: StackSpecs;
    /** Images to build (dockfleet:images and compose `build:` sections), by key; contexts relative to the project root. */
    images: Record<string, StackImage>;
    /** Services that run a built image: stack → service → image key (their spec image is a placeholder until program.ts pins the digest). */
    imageRefs: ImageRefs;
    /** dockfleet:registryUsers (user → password). Secret: never log it. */
    registryUsers?: Record<string, string>;
    /** Warnings to log (once) when the program runs. */
    warnings: { issue: Issue; text: string }[];
    /** Where each host's pinned SSH key comes from (the field a mismatch names), by host name. */
    hostKeySources?: Record<string, string>;
}

const HOST_CLEANUP_RESOURCE = 'HostCleanup "*"';

/** Which component a config key belongs to, for error messages. */
function resourceFor(key: string, path: (string | number)[]): string {
    switch (key) {
        case "registry": case "swiftPassword": case "s3SecretKey": case "registryHttpSecret": case "registryTlsKey": case "registryCaKey": case "registryUsers":
            return 'Registry "registry"';
        case "containerUnits":
            return `ContainerUnit #${typeof path[0] === "number" ? path[0] : "?"}`;
        case "stacks": case "stackSecrets":
            return `SwarmStack "${path[0] ?? "?"}"`;
        case "swarm": case "swarmUnlockKey":
            return 'SwarmCluster "swarm"';
        case "stackSecretsKey":
            return 'SwarmStack "*"';
        case "volumes":
            return `NfsVolume #${typeof path[0] === "number" ? path[0] : "?"}`;
        case "hostCleanup":
            return HOST_CLEANUP_RESOURCE;
        default:
            return 'DockerFleet "fleet"';
    }
}

function fieldOf(key: string, path: (string | number)[]): string {
    return `${NAMESPACE}:${key}` + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

function zodMessage(i: ZodIssue): string {
    if (i.code === "unrecognized_keys") {
        const hints = i.path[i.path.length - 1] === "daemon" ? i.keys.map(unknownKeyHint).filter((h) => h) : [];
        return `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}; ${hints.length ? hints.join("; ") : "check the spelling against docs/stack-config.md"}`;
    }
    if (i.code === "invalid_type") return `expected ${i.expected}, got ${i.received}`;
    if (i.code === "invalid_enum_value") return `"${i.received}" is not valid; valid: ${i.options.join(", ")}`;
    if (i.code === "invalid_union_discriminator") return `must be one of ${i.options.map((o) => JSON.stringify(o)).join(", ")}`;
    return i.message;
}

/**
 * Parses and validates the whole `dockfleet:*` config of a stack. `raw` maps full keys
 * (`dockfleet:hosts`) to values (objects already parsed), `secretKeys` holds the keys stored
 * with `--secret`. Throws one DockfleetConfigError listing every problem; nothing is registered.
 */
/** rollout without the keys only the program's restart plan and probes read (DockerFleet does not take them). */
export function fleetRollout(r: StackConfigShape["rollout"]) {
    const { maxUnavailable: _planOnly, probeTimeoutSeconds: _probeOnly, probeReuseSeconds: _probeReuse, probeConcurrency: _probeConcurrency, ...rest } = r ?? {};
    return rest;
}

export function loadStackConfig(stack: string, raw: Record<string, unknown>, secretKeys: Set<string>, projectRoot: string, now: Date = new Date()): LoadedConfig {
    const problems: { ctx: IssueContext; issue: Issue }[] = [];
    const warnings: { issue: Issue; text: string }[] = [];
    const add = (resource: string, issues: Issue[]) => {
        for (const issue of issues) {
            if (issue.severity === "error") problems.push({ ctx: { stack, resource }, issue });
            else warnings.push({ issue, text: `stack "${stack}", ${resource}, field ${issue.field}: ${issue.message}` });
        }
    };

    const plain: Record<string, unknown> = {};
    const secrets: Partial<Record<SecretKey, string>> = {};
    let registryUsers: unknown;
    let stackSecrets: unknown;
    for (const [full, value] of Object.entries(raw)) {
        if (!full.startsWith(`${NAMESPACE}:`)) continue;
        const key = full.slice(NAMESPACE.length + 1);
        if (key === "stackSecrets") {
            if (!secretKeys.has(full)) add('SwarmStack "*"', [error(full, `holds secrets but is stored in plain text; run: pulumi config rm ${full} --stack ${stack}, then for each: pulumi config set --secret --path '${full}.<stack>.<name>' --stack ${stack} (the value on stdin)`)]);
            else stackSecrets = value;
        } else if ((SECRET_MAP_KEYS as readonly string[]).includes(key)) {
            if (!secretKeys.has(full)) add(resourceFor(key, []), [error(full, `holds passwords but is stored in plain text; run: pulumi config rm ${full} --stack ${stack}, then for each user: pulumi config set --secret --path '${full}.<user>' --stack ${stack} (the password on stdin)`)]);
            else registryUsers = value;
        } else if ((SECRET_KEYS as readonly string[]).includes(key)) {
            if (!secretKeys.has(full)) {
                add(resourceFor(key, []), [error(full, `holds a secret but is stored in plain text; run: pulumi config set --secret ${full} <value> --stack ${stack}`)]);
            } else if (typeof value !== "string" || value === "") {
                add(resourceFor(key, []), [error(full, "must be a non-empty string")]);
            } else {
                secrets[key as SecretKey] = value;
            }
        } else {
            plain[key] = value;
        }
    }

    const parsed = configSchema.safeParse(plain);
    if (!parsed.success) {
        for (const i of parsed.error.issues) {
            const [key, ...rest] = i.path as (string | number)[];
            if (key === undefined && i.code === "unrecognized_keys") {
                for (const k of i.keys) add('DockerFleet "fleet"', [error(`${NAMESPACE}:${k}`, `unknown config key; valid keys: ${[...Object.keys(configSchema.shape), ...SECRET_KEYS, ...SECRET_MAP_KEYS].map((x) => `${NAMESPACE}:${x}`).join(", ")}`)]);
                continue;
            }
            add(resourceFor(String(key ?? ""), rest), [error(fieldOf(String(key ?? "(root)"), rest), zodMessage(i))]);
        }
        throw new DockfleetConfigError(problems);
    }
    const c = parsed.data;
    const parts = new Set<Part>(c.parts ?? PARTS.filter((p) => p === "daemon" || (p === "swarm" && members(c.hosts).length > 0) || (p === "registry" && c.registry) || (p === "images" && c.images) || (p === "stacks" && c.stacks) || (p === "containerUnits" && c.containerUnits) || (p === "volumes" && c.volumes) || (p === "hostCleanup" && c.hostCleanup)));

    // Pinned SSH host keys: each host's hostKey, else ssh.knownHostsPath's entry (filled in here).
    const keyed = resolveHostKeys(stack, c.hosts, c.ssh);
    c.hosts = keyed.hosts;
    add('DockerFleet "fleet"', keyed.issues);

    // Docker hosts: daemon, proxy, rollout.
    const fleetIssues = validateFleet({
        hosts: c.hosts,
        daemon: c.daemon as never,
        proxy: { httpProxy: secrets.httpProxy, httpsProxy: secrets.httpsProxy, noProxy: c.proxy?.noProxy },
        engineVersion: c.engineVersion,
        ...fleetRollout(c.rollout),
    });
    add('DockerFleet "fleet"', fleetIssues.map((i) => ({ ...i, field: configField(i.field) })));
    const wholeOrZero = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (c.rollout?.maxUnavailable !== undefined && !wholeOrZero(c.rollout.maxUnavailable)) {
        add('DockerFleet "fleet"', [error(`${NAMESPACE}:rollout.maxUnavailable`, `${JSON.stringify(c.rollout.maxUnavailable)} must be a whole number ≥ 0 (tasks of each service that may be down at once)`)]);
    }
    for (const [name, st] of Object.entries(c.stacks ?? {})) {
        if (st.maxUnavailable !== undefined && !wholeOrZero(st.maxUnavailable)) {
            add(`SwarmStack "${name}"`, [error(`${NAMESPACE}:stacks.${name}.maxUnavailable`, `${JSON.stringify(st.maxUnavailable)} must be a whole number ≥ 0 (tasks of each service that may be down at once)`)]);
        }
    }
    if (c.ssh?.privateKeyPath && !secrets.sshPrivateKey && !fs.existsSync(c.ssh.privateKeyPath)) {
        add('DockerFleet "fleet"', [error(`${NAMESPACE}:ssh.privateKeyPath`, `${c.ssh.privateKeyPath} does not exist on this machine (for the local stack: npm run sandbox:up)`)]);
    }
    if (!secrets.sshPrivateKey && !c.ssh?.privateKeyPath) {
        add('DockerFleet "fleet"', [error(`${NAMESPACE}:sshPrivateKey`, `no SSH key: set ${NAMESPACE}:ssh.privateKeyPath, or run: pulumi config set --secret ${NAMESPACE}:sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)" --stack ${stack}`)]);
    }

    // Swarm membership: roles, init host, labels, availability.
    add('SwarmCluster "swarm"', validateSwarm(c.hosts).map((i) => ({ ...i, field: `${NAMESPACE}:${i.field}` })));
    add('SwarmCluster "swarm"', autolockIssues(stack, c.swarm?.autolock === true, secrets.swarmUnlockKey, c.hosts.find((h) => h.role === "manager")?.address));
    if (parts.has("swarm") && members(c.hosts).length === 0) {
        add('SwarmCluster "swarm"', [error(`${NAMESPACE}:parts`, `"swarm" is listed but no host has role manager or worker`)]);
    }

    const hostNames = new Set(c.hosts.map((h) => h.name));
    if (c.registry) {
        const r = c.registry;
        if (!hostNames.has(r.onHost)) add('Registry "registry"', [error(`${NAMESPACE}:registry.onHost`, `"${r.onHost}" is not a host in ${NAMESPACE}:hosts (${[...hostNames].join(", ")})`)]);
        const address = r.address ?? c.hosts.find((h) => h.name === r.onHost)?.address ?? "";
        const storage = { ...r.storage, password: secrets.swiftPassword ?? "x", secretKey: secrets.s3SecretKey ?? "x" } as unknown as RegistryStorage;
        add('Registry "registry"', nest(`${NAMESPACE}:registry`, [
            ...validateRegistryHost(address, r.port ?? 5000),
            ...validateRegistryStorage(r.image ?? DEFAULT_REGISTRY_IMAGE, storage, { password: secrets.swiftPassword, secretKey: secrets.s3SecretKey }),
            ...nest("gc", validateRegistryGc(r.gc ?? {})),
            ...(r.gc && r.gc.enabled !== false && r.deleteEnabled === false ? [error("deleteEnabled", "is false but gc is on: the GC job deletes manifests through the API (leave deleteEnabled unset)")] : []),
        ]));
        const missing = (key: SecretKey, why: string) => {
            if (!parts.has("registry")) return; // not managed by this stack: its secrets are not needed
            if (!secrets[key] && !problems.some((p) => p.issue.field === `${NAMESPACE}:${key}`)) {
                add('Registry "registry"', [error(`${NAMESPACE}:${key}`, `is required (${why}); run: pulumi config set --secret ${NAMESPACE}:${key} <value> --stack ${stack}`)]);
            }
        };
        if (r.storage.kind === "swift") missing("swiftPassword", "Swift password for storage.username");
        if (r.storage.kind === "s3") missing("s3SecretKey", "S3 secret key for storage.accessKey");
        missing("registryHttpSecret", "the registry's http.secret");
        if (parts.has("registry") || parts.has("daemon")) {
            add('Registry "registry"', registryTrustIssues({ stack, config: c, host: address, port: r.port ?? 5000, tlsKey: secrets.registryTlsKey, users: registryUsers, now }));
        }
    } else if (registryUsers !== undefined || secrets.registryTlsKey !== undefined) {
        add('Registry "registry"', [error(`${NAMESPACE}:${registryUsers !== undefined ? "registryUsers" : "registryTlsKey"}`, `is set but ${NAMESPACE}:registry is not`)]);
    }

    const unitNames = new Set<string>();
    (c.containerUnits ?? []).forEach((u, i) => {
        const res = `ContainerUnit "${u.name}"`;
        add(res, nest(`${NAMESPACE}:containerUnits[${i}]`, validateContainerUnit(u)));
        if (unitNames.has(u.name)) add(res, [error(`${NAMESPACE}:containerUnits[${i}].name`, `duplicate unit name "${u.name}"`)]);
        unitNames.add(u.name);
        (u.onHosts ?? []).forEach((h, j) => {
            if (!hostNames.has(h)) add(res, [error(`${NAMESPACE}:containerUnits[${i}].onHosts[${j}]`, `"${h}" is not a host in ${NAMESPACE}:hosts`)]);
        });
    });

    const volumeNames = new Set<string>();
    (c.volumes ?? []).forEach((v, i) => {
        const res = `NfsVolume "${v.name}"`;
        const { onHost, name, ...nfs } = v;
        add(res, nest(`${NAMESPACE}:volumes[${i}]`, validateNfs(nfs)));
        if (!hostNames.has(onHost)) add(res, [error(`${NAMESPACE}:volumes[${i}].onHost`, `"${onHost}" is not a host in ${NAMESPACE}:hosts`)]);
        if (volumeNames.has(`${onHost}/${name}`)) add(res, [error(`${NAMESPACE}:volumes[${i}].name`, `duplicate volume "${name}" on ${onHost}`)]);
        volumeNames.add(`${onHost}/${name}`);
    });

    if (c.hostCleanup) {
        const { onHosts, ...policy } = c.hostCleanup;
        add(HOST_CLEANUP_RESOURCE, nest(`${NAMESPACE}:hostCleanup`, validateHostCleanup(policy)));
        (onHosts ?? []).forEach((h, j) => {
            if (!hostNames.has(h)) add(HOST_CLEANUP_RESOURCE, [error(`${NAMESPACE}:hostCleanup.onHosts[${j}]`, `"${h}" is not a host in ${NAMESPACE}:hosts`)]);
        });
    }

    let stacks: StackSpecs = {};
    let imageRefs: ImageRefs = {};
    let images = declaredImages(c.images);
    if (stackSecrets !== undefined && !c.stacks) add('SwarmStack "*"', [error(`${NAMESPACE}:stackSecrets`, `holds secrets but ${NAMESPACE}:stacks declares no stack`)]);
    if (c.stacks) {
        const r = loadStacks(c.stacks, projectRoot, new Set(Object.keys(images)), stackSecrets);
        stacks = r.stacks;
        imageRefs = r.refs;
        images = { ...images, ...r.images };
        // by default a stack manages what it configures, compose builds included
        if (c.parts === undefined && Object.keys(r.images).length > 0) parts.add("images");
        for (const p of r.problems) add(`SwarmStack "${p.stack}"`, [p.issue]);
        // not managed by this stack (parts): its secrets are not named here
        if (parts.has("stacks")) for (const [name, spec] of Object.entries(stacks)) add(`SwarmStack "${name}"`, stackSecretsKeyIssues(stack, name, spec, secrets.stackSecretsKey, problems));
        const usingBuilds = Object.keys(imageRefs);
        if (usingBuilds.length > 0 && parts.has("stacks") && !parts.has("images")) {
            add(`SwarmStack "${usingBuilds[0]}"`, [error(`${NAMESPACE}:parts`, `stacks ${usingBuilds.join(", ")} run built images: list "images" with "stacks" (the digest comes from the build)`)]);
        }
        if (!c.hosts.some((h) => h.role === "manager")) {
            add('SwarmStack "*"', [error(`${NAMESPACE}:hosts`, "swarm stacks need a host with role: manager (the docker provider talks to it)")]);
        }
    }

    if (Object.keys(images).length > 0) {
        const registryAddress = c.registry ? `${c.registry.address ?? c.hosts.find((h) => h.name === c.registry!.onHost)?.address}:${c.registry.port ?? 5000}` : undefined;
        for (const p of imageIssues({ images, hostNames, registryAddress, projectRoot })) add(p.resource, [p.issue]);
    }

    if (problems.length > 0) throw new DockfleetConfigError(problems);
    return { stack, config: c, secrets, parts, stacks, images, imageRefs, warnings, hostKeySources: keyed.sources, ...(registryUsers !== undefined ? { registryUsers: registryUsers as Record<string, string> } : {}) };
}

/**
 * dockfleet:stackSecretsKey for a stack with secrets: the HMAC key of their names (a plain hash of
 * a value would let anyone who sees the name confirm a guess offline). Checked here, before any
 * host is touched; nothing in a message repeats the key.
 */
function stackSecretsKeyIssues(stack: string, name: string, spec: { secrets?: Record<string, unknown> }, key: string | undefined, problems: { issue: Issue }[]): Issue[] {
    const field = `${NAMESPACE}:stackSecretsKey`;
    const names = Object.keys(spec.secrets ?? {});
    // a plain-text key is already an error of its own
    if (names.length === 0 || problems.some((p) => p.issue.field === field)) return [];
    const run = `run: pulumi config set --secret ${field} "$(openssl rand -hex 32)" --stack ${stack}`;
    if (key === undefined) return [error(field, `is required: stack "${name}" has secrets (${names.join(", ")}), each named by an HMAC of its value under this key; ${run}`)];
    const bytes = secretsKeyBytes(key);
    return typeof bytes === "string" ? [error(field, `${bytes}; ${run} (a new key renames every secret once)`)] : [];
}

/** Maps a component field (`daemon.x`, `hosts[0].y`, `rollout.z`, `proxy.w`) to its config key. */
function configField(field: string): string {
    if (field.startsWith("proxy.httpProxy")) return `${NAMESPACE}:httpProxy`;
    if (field.startsWith("proxy.httpsProxy")) return `${NAMESPACE}:httpsProxy`;
    return `${NAMESPACE}:${field}`;
}
