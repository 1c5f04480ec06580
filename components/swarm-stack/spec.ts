import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { NfsVolumeArgs } from "../nfs-volume/nfs";

/**
 * A swarm stack, the typed equivalent of a compose v3.8 file deployed with `docker stack deploy`.
 * Durations everywhere are Go duration strings ("500ms", "10s", "1m30s").
 */
export interface SwarmStackArgs {
    /** Stack namespace: prefixes service, network and volume names (`<name>_<service>`) and sets `com.docker.stack.namespace`. Required. */
    name: string;
    /** Services by short name (the name other services resolve on the stack's networks). Required, at least one. */
    services: Record<string, ServiceSpec>;
    /**
     * Overlay networks by short name, created as `<stack>_<net>`. A service without `networks` joins `default`
     * (created as `<stack>_default` when some service needs it, like `docker stack deploy`). Default: `{}`.
     */
    networks?: Record<string, NetworkSpec>;
    /** NFS exports mounted by services (`mounts: [{ type: "nfs", source: <key> }]`). Default: `{}`. */
    nfsVolumes?: Record<string, NfsVolumeArgs>;
    /** TZ sync: sets `TZ` in every service (unless the service sets it) and bind-mounts /etc/localtime read-only. "Area/City" or "UTC". Default: unset (off). */
    tz?: string;
    /** Convergence timeout for replicated services (Go duration). Default: "3m". */
    convergeTimeout?: string;
    /**
     * Swarm secrets by short name: mounted as files (`/run/secrets/<name>` by default), encrypted in
     * the managers' raft log, absent from `docker service inspect` / `docker inspect`. Created as
     * `<stack>_<name>_<first 10 hex of HMAC-SHA256(secretsKey, value)>`: a new value is a new secret,
     * so the services that use it roll and the old one is removed after them. Default: `{}`.
     */
    secrets?: Record<string, SecretSpec>;
    /**
     * Key of the secrets' names: at least 32 random bytes as hex or base64 (`openssl rand -hex 32`),
     * a Pulumi secret. Without it a name would be a plain hash of the value, which confirms a guessed
     * value offline. A new key renames (rotates) every secret once. Required when `secrets` is set.
     */
    secretsKey?: pulumi.Input<string>;
    /** Swarm configs by short name (non-secret files, e.g. nginx.conf), versioned by sha256 of the content (`<stack>_<name>_<first 10 hex>`). Default: `{}`. */
    configs?: Record<string, ConfigSpec>;
    /** Docker provider (a swarm manager). Default: unset (opts.provider / opts.providers.docker / the default provider). */
    provider?: docker.Provider;
}

/** A map entry (not a bare string) so a secret can grow settings (labels, a driver) without a shape change; configs have the same form. */
export interface SecretSpec {
    /** The secret value: a Pulumi secret (`config.requireSecret`); a plain string is warned about. Required. */
    value: pulumi.Input<string>;
}

/** Exactly one of content or file. */
export interface ConfigSpec {
    /** File content. Default: unset. */
    content?: pulumi.Input<string>;
    /** File read when the program runs, relative to the Pulumi project directory. Default: unset. */
    file?: string;
}

/**
 * A service's use of a stack secret or config (compose long syntax). Typed as an object only (the
 * component package's schema has no unions); untyped input may give a bare name (`withFileRefDefaults`).
 */
export interface FileRefSpec {
    /** Short name of a stack secret/config. Required. */
    source: string;
    /**
     * Path in the container. Secrets: a file name under /run/secrets or an absolute path; configs: an
     * absolute path (a relative one is taken from `/`). Default: `/run/secrets/<source>` (secrets), `/<source>` (configs).
     */
    target?: string;
    /** Octal file mode as a string, e.g. "0400". Default: "0444". */
    mode?: string;
    /** File owner uid. Default: "0". */
    uid?: string;
    /** File group gid. Default: "0". */
    gid?: string;
}

export interface NetworkSpec {
    /** Network driver; swarm stacks use overlay only. Default: "overlay". */
    driver?: "overlay";
    /** Standalone containers may attach. Default: false. */
    attachable?: boolean;
    /** Extra network labels (`com.docker.stack.namespace` is always added). Default: `{}`. */
    labels?: Record<string, string>;
}

// Named value sets (a const object and a type of the same name): the literal unions of the fields
// below, spelled so that the component package's schema inference (packages/pulumi-plugin) reads
// them as enums. The types are exactly the literal unions; any string literal of the set fits.

/** How a service's tasks are scheduled. */
export const ServiceMode = {
    /** `replicas` tasks spread over the nodes. */
    replicated: "replicated",
    /** One task on every node that matches the placement. */
    global: "global",
} as const;
export type ServiceMode = (typeof ServiceMode)[keyof typeof ServiceMode];

/** Protocol of a published port. */
export const PortProtocol = { tcp: "tcp", udp: "udp" } as const;
export type PortProtocol = (typeof PortProtocol)[keyof typeof PortProtocol];

/** How a port is published. */
export const PublishMode = {
    /** The routing mesh: the port answers on every node. */
    ingress: "ingress",
    /** Only on the nodes that run a task. */
    host: "host",
} as const;
export type PublishMode = (typeof PublishMode)[keyof typeof PublishMode];

/** What a rolling update (or rollback) does when a batch fails. */
export const FailureAction = { pause: "pause", continue: "continue", rollback: "rollback" } as const;
export type FailureAction = (typeof FailureAction)[keyof typeof FailureAction];

/** Order of stopping the old task and starting the new one during an update. */
export const UpdateOrder = { stopFirst: "stop-first", startFirst: "start-first" } as const;
export type UpdateOrder = (typeof UpdateOrder)[keyof typeof UpdateOrder];

/** When swarm restarts a task. */
export const RestartCondition = { none: "none", onFailure: "on-failure", any: "any" } as const;
export type RestartCondition = (typeof RestartCondition)[keyof typeof RestartCondition];

/** Kind of a service mount. */
export const MountType = { bind: "bind", volume: "volume", nfs: "nfs" } as const;
export type MountType = (typeof MountType)[keyof typeof MountType];

/** How clients reach a service's tasks. */
export const EndpointMode = {
    /** A virtual IP in front of the tasks. */
    vip: "vip",
    /** DNS round robin over the tasks' addresses (no ingress ports). */
    dnsrr: "dnsrr",
} as const;
export type EndpointMode = (typeof EndpointMode)[keyof typeof EndpointMode];

export interface PortSpec {
    /** Container port, 1-65535. Required. */
    target: number;
    /** Port on the swarm nodes, 1-65535. Default: unset (swarm assigns one from 30000-32767 in ingress mode). */
    published?: number;
    /** Default: "tcp". */
    protocol?: PortProtocol;
    /** "ingress" (routing mesh) or "host" (only on nodes running a task). Default: "ingress". */
    mode?: PublishMode;
}

export interface HealthcheckSpec {
    /** `["CMD", "curl", "-f", "http://localhost/"]`, `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]` or `["NONE"]` (disables the image's check). Required. */
    test: string[];
    /** Time between checks. Default: unset (engine default 30s). */
    interval?: string;
    /** Time one check may run. Default: unset (engine default 30s). */
    timeout?: string;
    /** Consecutive failures before unhealthy, ≥ 1. Default: unset (engine default 3). */
    retries?: number;
    /** Grace period during which failures do not count. Default: unset (engine default 0s). */
    startPeriod?: string;
}

export interface UpdateSpec {
    /** Tasks updated at once (0 = all). Default: 1. */
    parallelism?: number;
    /** Wait between batches. Default: "10s". */
    delay?: string;
    /** What to do when a batch fails. Default: "rollback" for updateConfig, "pause" for rollbackConfig ("rollback" is not valid there). */
    failureAction?: FailureAction;
    /** How long each task is watched for failure after it starts. Default: "30s". */
    monitor?: string;
    /** Fraction of tasks (0-1) that may fail. Default: unset (engine default 0). */
    maxFailureRatio?: number;
    /** "stop-first" or "start-first" (needs room for one extra task). Default: "stop-first". */
    order?: UpdateOrder;
}

export interface RestartPolicySpec {
    /** Default: "any". */
    condition?: RestartCondition;
    /** Wait between restarts. Default: "5s". */
    delay?: string;
    /** Restarts before giving up; 0 = unlimited. Default: 0. */
    maxAttempts?: number;
    /** Window in which restarts are counted; "0s" = unbounded. Default: "0s". */
    window?: string;
}

export interface PlacementSpec {
    /** e.g. `["node.role == manager", "node.labels.zone != b"]`. Default: `[]`. */
    constraints?: string[];
    /** Maximum tasks of this service per node; 0 = unlimited. Default: unset (0). */
    maxReplicasPerNode?: number;
}

export interface ResourceSpec {
    /** CPUs as a decimal string, e.g. "0.5". Exclusive with nanoCpus. Default: unset. */
    cpus?: string;
    /** CPUs in units of 1e-9. Exclusive with cpus. Default: unset. */
    nanoCpus?: number;
    /** Memory like "512M", "1G", "256m", "1024k" or a byte count (binary multiples, as docker). Default: unset. */
    memory?: string;
}

export interface ResourcesSpec {
    /** Hard limits. Default: none. */
    limits?: ResourceSpec;
    /** Scheduling reservations. Default: none. */
    reservations?: ResourceSpec;
}

export interface MountSpec {
    /** "bind" (host path), "volume" (named local volume `<stack>_<source>`, or anonymous without source), "nfs" (key of `nfsVolumes`). Required. */
    type: MountType;
    /** Host path (bind), volume short name (volume) or nfsVolumes key (nfs). Required except for anonymous volumes. */
    source?: string;
    /** Absolute container path. Required. */
    target: string;
    /** Default: false. */
    readOnly?: boolean;
}

export interface ServiceSpec {
    /**
     * Image reference, e.g. "nginx:1.25" (pin a tag or digest), or a FleetImage's `repoDigest`
     * (`registry:port/name@sha256:…`): a new digest rolls this service and no other. Required.
     */
    image: pulumi.Input<string>;
    /** Default: "replicated". */
    mode?: ServiceMode;
    /** Tasks for a replicated service, integer ≥ 0. Not allowed with mode "global". Default: 1. */
    replicas?: number;
    /** Replaces the image's ENTRYPOINT (compose `entrypoint`). Default: unset (the image's). */
    command?: string[];
    /** Replaces the image's CMD (compose `command`). Default: unset (the image's). */
    args?: string[];
    /** Environment. Values may be secrets (`config.requireSecret`); they stay secret in state and are `${VAR}` references in the rendered compose. Default: `{}`. */
    env?: Record<string, pulumi.Input<string>>;
    /** Published ports. Default: `[]`. */
    ports?: PortSpec[];
    /** Default: unset (the image's HEALTHCHECK). */
    healthcheck?: HealthcheckSpec;
    /** Rolling update policy. Defaults: see UpdateSpec (parallelism 1, delay 10s, failureAction rollback, monitor 30s, stop-first). */
    update?: UpdateSpec;
    /** Rollback policy. Defaults: see UpdateSpec (parallelism 1, delay 10s, failureAction pause, monitor 30s, stop-first). */
    rollback?: UpdateSpec;
    /** Defaults: condition any, delay 5s, maxAttempts 0, window 0s. */
    restartPolicy?: RestartPolicySpec;
    /** Default: no constraints. */
    placement?: PlacementSpec;
    /** Default: no limits or reservations. */
    resources?: ResourcesSpec;
    /** Default: `[]` (plus /etc/localtime when the stack sets `tz`). */
    mounts?: MountSpec[];
    /** Short names of stack networks. Default: `["default"]`. */
    networks?: string[];
    /** Service labels (`com.docker.stack.namespace` is always added, on the service and its containers). Default: `{}`. */
    labels?: Record<string, string>;
    /** Container labels (compose `labels` at service level). Default: `{}`. */
    containerLabels?: Record<string, string>;
    /** "vip" (virtual IP) or "dnsrr" (DNS round robin; no ingress ports). Default: "vip". */
    endpointMode?: EndpointMode;
    /** Time between SIGTERM and SIGKILL. Default: unset (engine default 10s). */
    stopGracePeriod?: string;
    /** Stack secrets mounted into the tasks. In YAML a bare name stands for `{ source: <name> }` (compose's short form). Default: `[]`. */
    secrets?: FileRefSpec[];
    /** Stack configs mounted into the tasks. In YAML a bare name stands for `{ source: <name> }`. Default: `[]`. */
    configs?: FileRefSpec[];
}

export const STACK_NAMESPACE_LABEL = "com.docker.stack.namespace";
export const DEFAULT_NETWORK = "default";
export const DEFAULT_CONVERGE_TIMEOUT = "3m";
export const CONVERGE_DELAY = "2s";

/** Update/rollback defaults, applied in one place. */
export function withUpdateDefaults(u: UpdateSpec | undefined, kind: "update" | "rollback") {
    return {
        parallelism: u?.parallelism ?? 1,
        delay: u?.delay ?? "10s",
        failureAction: u?.failureAction ?? (kind === "update" ? "rollback" : "pause"),
        monitor: u?.monitor ?? "30s",
        maxFailureRatio: u?.maxFailureRatio,
        order: u?.order ?? "stop-first",
    };
}

export function withRestartDefaults(r: RestartPolicySpec | undefined) {
    return {
        condition: r?.condition ?? "any",
        delay: r?.delay ?? "5s",
        maxAttempts: r?.maxAttempts ?? 0,
        window: r?.window ?? "0s",
    };
}

export const SECRETS_DIR = "/run/secrets";
export const DEFAULT_FILE_MODE = "0444";

/** A secret/config reference with its defaults: compose's target rules (secrets under /run/secrets, configs from /). */
export function withFileRefDefaults(r: string | FileRefSpec, kind: "secret" | "config") {
    const ref = typeof r === "string" ? { source: r } : r;
    const target = ref.target ?? ref.source;
    return {
        source: ref.source,
        target: target.startsWith("/") ? target : kind === "secret" ? `${SECRETS_DIR}/${target}` : `/${target}`,
        mode: ref.mode ?? DEFAULT_FILE_MODE,
        uid: ref.uid ?? "0",
        gid: ref.gid ?? "0",
    };
}

/** Service defaults, applied in one place. */
export function withServiceDefaults(s: ServiceSpec) {
    const mode = s.mode ?? "replicated";
    return {
        ...s,
        mode,
        replicas: mode === "replicated" ? s.replicas ?? 1 : undefined,
        env: s.env ?? {},
        ports: s.ports ?? [],
        mounts: s.mounts ?? [],
        networks: s.networks ?? [DEFAULT_NETWORK],
        labels: s.labels ?? {},
        containerLabels: s.containerLabels ?? {},
        secrets: (s.secrets ?? []).map((r) => withFileRefDefaults(r, "secret")),
        configs: (s.configs ?? []).map((r) => withFileRefDefaults(r, "config")),
        endpointMode: s.endpointMode ?? "vip",
        update: withUpdateDefaults(s.update, "update"),
        rollback: withUpdateDefaults(s.rollback, "rollback"),
        restartPolicy: withRestartDefaults(s.restartPolicy),
    };
}

/** The stack's networks, plus `default` when a service uses it implicitly or explicitly and it is not declared. */
export function effectiveNetworks(a: SwarmStackArgs): Record<string, NetworkSpec> {
    const nets: Record<string, NetworkSpec> = { ...(a.networks ?? {}) };
    const usesDefault = Object.values(a.services ?? {}).some((s) => (s.networks ?? [DEFAULT_NETWORK]).includes(DEFAULT_NETWORK));
    if (usesDefault && !nets[DEFAULT_NETWORK]) nets[DEFAULT_NETWORK] = {};
    return nets;
}

export const serviceFullName = (stack: string, service: string) => `${stack}_${service}`;
export const networkFullName = (stack: string, net: string) => `${stack}_${net}`;
