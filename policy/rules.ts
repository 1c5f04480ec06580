// dockfleet policy rules. Each rule is a pure check over a resource's inputs (returns the
// violation messages) plus its registration as a @pulumi/policy policy. The checks read what the
// engine hands an analyzer: the custom resources' inputs (docker:index/service:Service,
// docker:index/container:Container, docker:index/volume:Volume, command:remote:Command whose
// `create` carries the DockerHost bundle with daemon.json) and, for the stack policy, every
// resource with its dependencies. Rules that the validators check too come from
// components/common/rules; the pack reads no files: the Engine versions are passed in
// (makePolicies, wired in index.ts).
import { PolicyConfigSchema, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isIpAddress, isPrivateAddress, parseCidr } from "../components/common/net";
import { daemonJsonUsesDevicemapper, devicemapperRemoved, isNfsType, listenerTlsOf, nfsAddrOf, nfsServerProblem, swiftImageProblem, tcpListenerProblem } from "../components/common/rules";
import { parseApplyCommand } from "../components/docker-host/bundle-parse";

type Props = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Secret tracking. @pulumi/policy unwraps secrets before a validateResource sees the inputs, so
// a rule cannot tell `pulumi.secret(x)` from a plain `x`. The engine does send the secret marker;
// installSecretTracking() wraps the pack's deserializer to note which property paths were secret
// (keyed by the deserialized object) before they are unwrapped. Unit tests use markSecrets().

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const secretPaths = new WeakMap<object, Set<string>>();
let lastSecretPaths: Set<string> | undefined;

function collectSecretPaths(v: unknown, at: string, out: Set<string>) {
    if (v === null || typeof v !== "object") return;
    if ((v as Props)[SECRET_SIG] === SECRET_VALUE) {
        out.add(at);
        return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => collectSecretPaths(x, `${at}[${i}]`, out));
    else for (const [k, x] of Object.entries(v)) collectSecretPaths(x, at ? `${at}.${k}` : k, out);
}

/** Makes the pack's deserializer record secret paths. Idempotent. */
export function installSecretTracking(): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const de = require("@pulumi/policy/deserialize") as { deserializeProperties: (s: unknown, p: boolean) => unknown; __dockfleet?: boolean };
    if (de.__dockfleet) return;
    const original = de.deserializeProperties;
    de.deserializeProperties = (struct: unknown, proxySecrets: boolean) => {
        const result = original(struct, proxySecrets);
        const paths = new Set<string>();
        const raw = struct && typeof (struct as { toJavaScript?: () => unknown }).toJavaScript === "function" ? (struct as { toJavaScript: () => unknown }).toJavaScript() : struct;
        collectSecretPaths(raw, "", paths);
        if (result && typeof result === "object") secretPaths.set(result as object, paths);
        lastSecretPaths = paths;
        return result;
    };
    de.__dockfleet = true;
}

/** For tests: declare which paths of `props` were secrets. Returns props. */
export function markSecrets<T extends object>(props: T, paths: string[]): T {
    secretPaths.set(props, new Set(paths));
    return props;
}

/** The secret paths of the props a validateResource received (through the pack's proxies). */
export function secretPathsOf(props: unknown): Set<string> {
    let target = props as Props | undefined;
    for (let i = 0; i < 3 && target; i++) {
        const known = secretPaths.get(target as object);
        if (known) return known;
        const inner = (target as Props)["__getSpecialProxyTarget"] as Props | undefined;
        if (!inner || inner === target) break;
        target = inner;
    }
    return lastSecretPaths ?? new Set();
}

// ---------------------------------------------------------------------------------------------
// Pure checks. Each returns violation messages (empty: compliant).

/** Every swarm service has a healthcheck and `update_config.failure_action: rollback`. */
export function checkSwarmService(p: Props): string[] {
    const out: string[] = [];
    const spec = ((p.taskSpec ?? {}) as Props).containerSpec as Props | undefined;
    const hc = spec?.healthcheck as Props | undefined;
    const tests = Array.isArray(hc?.tests) ? (hc!.tests as string[]) : [];
    if (tests.length === 0 || tests[0] === "NONE") out.push("has no healthcheck: set services.<name>.healthcheck (a rolling update can only roll back on an unhealthy task it can see)");
    const fa = ((p.updateConfig ?? {}) as Props).failureAction;
    if (fa !== "rollback") out.push(`update_config.failure_action is ${fa === undefined ? "unset (docker's default is pause)" : `"${fa}"`}; it must be "rollback"`);
    return out;
}

const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential)/i;
const NOT_SECRET_KEY = /(path|file|ref|name|id|url|kind|type|length|ttl|expir\w*|enabled)$/i;
const ENV_SECRET = /(?:^|[\s'"])([A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_]*)=([^\s'"]+)/i;
const URL_CREDS = /\b[a-z][a-z0-9+.-]*:\/\/([^\s/@:]+):([^\s/@]+)@/i;

/** A plain string that is a placeholder, not a value (`${VAR}`, `$VAR`, `***`, empty, [secret]). */
function isPlaceholder(v: string): boolean {
    return v === "" || v === "[secret]" || /^\*+$/.test(v) || /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v) || /^<[^>]*>$/.test(v);
}

/**
 * Secret-looking values in inputs that are not secrets: a secret-named key with a literal value,
 * credentials in a URL, `PASSWORD=...`-style assignments (env lists, unit files, command lines),
 * PEM private keys. `secret` holds the paths the engine marked secret (they and their children
 * are skipped).
 */
export function findPlainSecrets(p: Props, secret: Set<string> = new Set()): string[] {
    const out: string[] = [];
    const isSecret = (at: string) => [...secret].some((s) => at === s || at.startsWith(`${s}.`) || at.startsWith(`${s}[`));
    const walk = (v: unknown, at: string, key: string) => {
        if (isSecret(at)) return;
        if (typeof v === "string") {
            if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) out.push(`${at}: a private key in plain text`);
            else if (key && SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key) && !isPlaceholder(v)) out.push(`${at}: "${key}" has a plain value`);
            const u = URL_CREDS.exec(v);
            if (u && !isPlaceholder(u[2]) && !/^\*+$/.test(u[1])) out.push(`${at}: credentials in a URL (${u[1]}:***@...)`);
            const e = ENV_SECRET.exec(v);
            if (e && !isPlaceholder(e[2])) out.push(`${at}: ${e[1]}=... in plain text`);
            return;
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`, key));
        else if (v && typeof v === "object") {
            // docker's [{label, value}] lists: the label is the key.
            const o = v as Props;
            if (typeof o.label === "string" && "value" in o && Object.keys(o).length === 2) return walk(o.value, `${at}.value`, o.label);
            for (const [k, x] of Object.entries(o)) walk(x, at ? `${at}.${k}` : k, k);
        }
    };
    walk(p, "", "");
    return [...new Set(out)].map((m) => `${m}: pass it as a secret (pulumi config set --secret / pulumi.secret)`);
}

/** No devicemapper on Engine ≥ 25 (removed there); unknown version with devicemapper is a violation too. */
export function checkDevicemapper(daemon: Props, engineVersion: string | undefined): string[] {
    if (!daemonJsonUsesDevicemapper(daemon)) return [];
    const newer = devicemapperRemoved(engineVersion);
    if (newer === true) return [`storage-driver devicemapper on Docker Engine ${engineVersion}: devicemapper was removed in Engine 25; move to overlay2 before upgrading`];
    if (newer === undefined) return ["storage-driver devicemapper with an unknown Engine version: set dockfleet:engineVersion (or the host's engineVersion) so the guard can tell; devicemapper is gone from Engine 25"];
    return [];
}

/** No docker API on TCP off loopback without tlsverify: the daemon validator's rule (components/docker-host/tcp-api.ts). */
export function checkPlainTcp(daemon: Props): string[] {
    const hosts = Array.isArray(daemon.hosts) ? (daemon.hosts as string[]) : [];
    const tls = listenerTlsOf(daemon);
    return hosts.flatMap((h) => {
        const problem = tcpListenerProblem(h, tls);
        return problem ? [`hosts: ${problem}`] : [];
    });
}

/** Registry with swift storage runs a 2.8.x image (registry 3 has no swift driver). */
export function checkSwiftRegistry(p: Props): string[] {
    const envs = Array.isArray(p.envs) ? (p.envs as unknown[]).map(String) : [];
    const swift = envs.some((e) => e === "REGISTRY_STORAGE=swift" || /^REGISTRY_STORAGE_SWIFT_/.test(e));
    if (!swift) return [];
    const image = String(p.image ?? "");
    if (!swiftImageProblem(image)) return [];
    return [`image "${image}" with swift storage: pin a 2.8.x tag (e.g. registry:2.8.3); registry 3 has no swift driver and "latest"/"2" move`];
}

/** insecure-registries only on private address ranges (host:port or CIDR; names cannot be checked). */
export function checkInsecureRegistries(daemon: Props): string[] {
    const list = Array.isArray(daemon["insecure-registries"]) ? (daemon["insecure-registries"] as string[]) : [];
    const out: string[] = [];
    for (const r of list) {
        if (r.includes("/")) {
            const c = parseCidr(r);
            const ok = c && isPrivateAddress(c[0].toString()) && isPrivateAddress(lastAddress(c[0].toString(), c[1]));
            if (!ok) out.push(`insecure-registries: "${r}" is not a private range`);
            continue;
        }
        const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(r);
        const host = v6 ? v6[1] : r.includes(":") && !/:.*:/.test(r) ? r.replace(/:\d+$/, "") : r;
        if (!isIpAddress(host)) out.push(`insecure-registries: "${r}" is a name: plain HTTP is allowed only to private IP addresses, use the registry's IP`);
        else if (!isPrivateAddress(host)) out.push(`insecure-registries: "${r}" is a public address: plain HTTP to it crosses networks you do not control`);
    }
    return out;
}

function lastAddress(first: string, bits: number): string {
    if (first.includes(":")) return first; // IPv6: the first address's range decides (fc00::/7, fe80::/10)
    const n = first.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    const last = Math.floor(n / size) * size + size - 1;
    return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join(".");
}

/** NFS `addr=` must be an IP (the local driver hands it to the kernel, which does not resolve names). */
export function checkNfsOptions(driverOpts: Props | undefined, where: string): string[] {
    if (!driverOpts) return [];
    if (!isNfsType(driverOpts.type)) return [];
    const addr = nfsAddrOf(driverOpts.o);
    const problem = nfsServerProblem(addr);
    if (problem === "missing") return [`${where}: NFS volume without addr= (the device "${driverOpts.device ?? ""}" alone needs name resolution in the kernel): set server to an IP`];
    if (problem === "name") return [`${where}: NFS addr="${addr}" is a name: the kernel does not resolve addr=, use the server's IP`];
    return [];
}

/** NFS volumes: stand-alone docker volumes and the volume options of service mounts. */
export function checkNfsVolumes(type: string, p: Props): string[] {
    if (type === "docker:index/volume:Volume") return checkNfsOptions(p.driverOpts as Props | undefined, `volume ${p.name ?? ""}`);
    if (type === "docker:index/service:Service") {
        const mounts = ((((p.taskSpec ?? {}) as Props).containerSpec ?? {}) as Props).mounts;
        const out: string[] = [];
        (Array.isArray(mounts) ? (mounts as Props[]) : []).forEach((m, i) => {
            const vo = (m.volumeOptions ?? {}) as Props;
            out.push(...checkNfsOptions(vo.driverOptions as Props | undefined, `mount ${i} (${m.target ?? ""})`));
        });
        return out;
    }
    return [];
}

/** Replicated services have ≥ 2 replicas (advisory, production stacks). */
export function checkReplicas(p: Props): string[] {
    const r = ((p.mode ?? {}) as Props).replicated as Props | undefined;
    if (!r || ((p.mode ?? {}) as Props).global) return [];
    const n = r.replicas === undefined ? 1 : Number(r.replicas);
    return n < 2 ? [`${p.name ?? "service"} has ${n} replica${n === 1 ? "" : "s"}: one node or task failure is an outage; use at least 2`] : [];
}

/**
 * DockerFleet restart batch size from the DockerHost components' dependencies: a host of batch
 * N+1 depends on (the apply commands of) every host of batch N, so hosts of one batch share the
 * same dependencies; the largest group is the batch size.
 */
export function fleetBatchSizes(resources: { urn: string; type: string; parent?: { urn: string }; dependencies: { urn: string }[] }[]): Map<string, number> {
    const out = new Map<string, number>();
    const hosts = resources.filter((r) => r.type === "dockfleet:dockerhost:DockerHost");
    const byFleet = new Map<string, typeof hosts>();
    for (const h of hosts) {
        const fleet = h.parent?.urn ?? "";
        byFleet.set(fleet, [...(byFleet.get(fleet) ?? []), h]);
    }
    for (const [fleet, hs] of byFleet) {
        const groups = new Map<string, number>();
        for (const h of hs) {
            // dependsOn a DockerHost component is recorded as its apply command(s).
            const key = h.dependencies.map((d) => d.urn).sort().join(" ");
            groups.set(key, (groups.get(key) ?? 0) + 1);
        }
        out.set(fleet, Math.max(...groups.values()));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Stack context: the stack name (from the URN) and the Engine version per host (from the stack
// config file next to the pack, or the policy config).

export const stackOfUrn = (urn: string) => urn.replace(/^urn:pulumi:/, "").split("::")[0];

export interface EngineVersions {
    fleet?: string;
    hosts: Record<string, string>;
}

/** The Engine versions of a stack's hosts (policy/stack-engine-versions.ts reads them from the stack file). */
export type EngineVersionsOf = (stack: string) => EngineVersions;

interface PackConfig {
    /** Stacks the advisory production rules apply to. Default: ["prod"]. */
    productionStacks?: string[];
    /** Engine version when the stack file does not say (e.g. "25.0"). Default: unset. */
    engineVersion?: string;
}

const packConfigSchema: PolicyConfigSchema = {
    properties: {
        productionStacks: { type: "array", items: { type: "string" } },
        engineVersion: { type: "string" },
    },
};

function getConfig(args: { getConfig: <T extends object>() => T }): PackConfig {
    try {
        return args.getConfig<PackConfig>() ?? {};
    } catch {
        return {};
    }
}

const isProduction = (stack: string, cfg: PackConfig) => (cfg.productionStacks ?? ["prod"]).includes(stack);

function daemonOf(args: ResourceValidationArgs): { host: string; daemon: Props } | undefined {
    if (args.type !== "command:remote:Command") return undefined;
    const cmd = parseApplyCommand(args.props.create);
    return cmd?.daemon ? { host: cmd.host, daemon: cmd.daemon } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The policies.

const report = (msgs: string[], reportViolation: (m: string) => void) => msgs.forEach((m) => reportViolation(m));

export const swarmServiceHealthcheckRollback: ResourceValidationPolicy = {
    name: "swarm-service-healthcheck-rollback",
    description: "Every swarm service has a healthcheck and update_config.failure_action rollback.",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => {
        if (args.type === "docker:index/service:Service") report(checkSwarmService(args.props), rv);
    },
};

export const noPlainSecrets: ResourceValidationPolicy = {
    name: "no-plain-secrets",
    description: "No secret-looking value (password, token, private key, credentials in a URL) in plain, non-secret inputs.",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => {
        const secret = secretPathsOf(args.props);
        if (args.type.startsWith("pulumi:providers:")) return;
        report(findPlainSecrets(args.props, secret), rv);
    },
};

export const daemonNoDevicemapperOnEngine25 = (engineVersionsFor: EngineVersionsOf): ResourceValidationPolicy => ({
    name: "daemon-no-devicemapper-on-engine-25",
    description: "daemon.json does not use devicemapper on Docker Engine 25 or later (removed there).",
    enforcementLevel: "mandatory",
    configSchema: packConfigSchema,
    validateResource: (args, rv) => {
        const d = daemonOf(args);
        if (!d) return;
        const v = engineVersionsFor(stackOfUrn(args.urn));
        report(checkDevicemapper(d.daemon, v.hosts[d.host] ?? v.fleet ?? getConfig(args).engineVersion), rv);
    },
});

export const daemonNoPlainTcp: ResourceValidationPolicy = {
    name: "daemon-no-plain-tcp",
    description: "No docker API over plain TCP off loopback (tcp:// listeners need tlsverify).",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => {
        const d = daemonOf(args);
        if (d) report(checkPlainTcp(d.daemon), rv);
    },
};

export const registrySwiftPinned28: ResourceValidationPolicy = {
    name: "registry-swift-pinned-2-8",
    description: "A registry with swift storage runs a pinned 2.8.x image.",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => {
        if (args.type === "docker:index/container:Container") report(checkSwiftRegistry(args.props), rv);
    },
};

export const insecureRegistriesPrivate: ResourceValidationPolicy = {
    name: "insecure-registries-private",
    description: "daemon.json insecure-registries only on private address ranges.",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => {
        const d = daemonOf(args);
        if (d) report(checkInsecureRegistries(d.daemon), rv);
    },
};

export const nfsByIp: ResourceValidationPolicy = {
    name: "nfs-volume-by-ip",
    description: "NFS volumes (stand-alone and in service mounts) address the server by IP.",
    enforcementLevel: "mandatory",
    validateResource: (args, rv) => report(checkNfsVolumes(args.type, args.props), rv),
};

export const prodReplicas: ResourceValidationPolicy = {
    name: "prod-replicas-at-least-2",
    description: "Replicated services run at least 2 replicas in production stacks.",
    enforcementLevel: "advisory",
    configSchema: packConfigSchema,
    validateResource: (args, rv) => {
        if (args.type !== "docker:index/service:Service" || !isProduction(stackOfUrn(args.urn), getConfig(args))) return;
        report(checkReplicas(args.props), rv);
    },
};

export const prodBatchSize: StackValidationPolicy = {
    name: "prod-restart-batch-size-1",
    description: "Docker hosts restart one at a time (rollout.batchSize 1) in production stacks.",
    enforcementLevel: "advisory",
    configSchema: packConfigSchema,
    validateStack: (args, rv) => {
        const resources = args.resources as PolicyResource[];
        const first = resources[0];
        if (!first || !isProduction(stackOfUrn(first.urn), getConfig(args))) return;
        for (const [fleet, size] of fleetBatchSizes(resources.map((r) => ({ urn: r.urn, type: r.type, parent: r.parent, dependencies: r.dependencies })))) {
            if (size > 1) rv(`DockerFleet ${fleet.split("::").pop()} restarts ${size} hosts at once: set dockfleet:rollout.batchSize to 1 in production`);
        }
    },
};

/** The pack's policies; `engineVersionsFor` gives a stack's Engine versions (the devicemapper guard needs them). */
export const makePolicies = (engineVersionsFor: EngineVersionsOf) => [
    swarmServiceHealthcheckRollback,
    noPlainSecrets,
    daemonNoDevicemapperOnEngine25(engineVersionsFor),
    daemonNoPlainTcp,
    registrySwiftPinned28,
    insecureRegistriesPrivate,
    nfsByIp,
    prodReplicas,
    prodBatchSize,
];
