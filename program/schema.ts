import { z } from "zod";
import { DAEMON_KEYS, KeyKind, MODEL_FIELDS } from "../components/docker-host/daemon-keys";
import type { FleetHost } from "../components/docker-host/docker-fleet";
import type { SwarmHost } from "../components/swarm/plan";

// Shapes of the `dockfleet:*` stack config keys. Shapes and types live here (zod, strict: unknown
// keys are errors); meaning (addresses, durations, guards) is checked by each component's own
// validate function, so library users and stack configs get the same rules.

const str = z.string();
const strMap = z.record(z.string(), z.string());

// The daemon shape comes from the key table, one field per key (kind → zod), plus the fields that
// are not one daemon.json key (MODEL_FIELDS); a unit test holds the two lists together.
const KIND_SCHEMA: Record<Exclude<KeyKind, "model">, () => z.ZodTypeAny> = {
    boolean: () => z.boolean(),
    integer: () => z.number().int(),
    string: () => str,
    strings: () => z.array(str),
    stringMap: () => strMap,
    boolMap: () => z.record(z.string(), z.boolean()),
    labels: () => strMap,
    ulimits: () => z.record(z.string(), z.object({ Name: str, Hard: z.number().int(), Soft: z.number().int() }).strict()),
    runtimes: () => z.record(z.string(), z.object({
        path: str.optional(), runtimeArgs: z.array(str).optional(), runtimeType: str.optional(), options: z.record(z.string(), z.unknown()).optional(),
    }).strict()),
    addressPools: () => z.array(z.object({ base: str, size: z.number().int() }).strict()),
    networkOpts: () => z.record(z.string(), strMap),
    object: () => z.record(z.string(), z.unknown()),
};

const MODEL_SCHEMA: Record<keyof typeof MODEL_FIELDS | "tls", z.ZodTypeAny> = {
    directLvm: z.object({
        device: str,
        thinpPercent: z.number().optional(),
        thinpMetaPercent: z.number().optional(),
        thinpAutoextendThreshold: z.number().optional(),
        thinpAutoextendPercent: z.number().optional(),
        force: z.boolean().optional(),
    }).strict(),
    graph: str,
    allowPlainTcp: z.boolean(),
    tls: z.object({ caCert: str, cert: str, key: str, verify: z.boolean().optional() }).strict(),
};

export const daemonSchema = z.object({
    ...Object.fromEntries(DAEMON_KEYS.flatMap((d) => (d.kind === "model" ? [] : [[d.field, KIND_SCHEMA[d.kind]().optional()]]))),
    ...Object.fromEntries(Object.entries(MODEL_SCHEMA).map(([f, t]) => [f, t.optional()])),
} as Record<string, z.ZodTypeAny>).strict();

export const hostSchema = z.object({
    name: str,
    address: str,
    port: z.number().int().optional(),
    /** The host's pinned SSH host key (`ssh-ed25519 AAAA...`): `npm run hostkeys -- --stack NAME` writes it. */
    hostKey: str.optional(),
    role: z.enum(["manager", "worker", "none"]).optional(),
    engineVersion: str.optional(),
    daemon: daemonSchema.partial().optional(),
    /** Swarm node labels (exactly these when set; `{}` clears). Default: unset (not managed). */
    labels: strMap.optional(),
    /** Swarm node availability. Default: "active". */
    availability: z.enum(["active", "pause", "drain"]).optional(),
    /** This host inits the swarm when none exists. Default: the first manager. */
    swarmInit: z.boolean().optional(),
    /** Address the swarm advertises for this node (an IP). Default: address. */
    advertiseAddress: str.optional(),
}).strict();

export const sshSchema = z.object({
    user: str.optional(),
    port: z.number().int().optional(),
    /** Key file on the machine running pulumi; else the secret `dockfleet:sshPrivateKey`. */
    privateKeyPath: str.optional(),
    /** A known_hosts file on the machine running pulumi: the key of each host without hostKey. */
    knownHostsPath: str.optional(),
    /** Hosts with no pinned key are not verified (throwaway hosts only; warned on every run). Default: false. */
    insecureIgnoreHostKeys: z.boolean().optional(),
}).strict();

export const proxySchema = z.object({
    noProxy: z.array(str).optional(),
}).strict();

const CONCURRENCY_MESSAGE = { message: "must be a whole number ≥ 1 (SSH sessions the probe opens at once)" };

export const rolloutSchema = z.object({
    batchSize: z.number().optional(),
    /** Tasks of each replicated service that may be down at once during a daemon rollout. Default: 1. */
    maxUnavailable: z.number().optional(),
    restartTimeoutSeconds: z.number().optional(),
    smokeImage: str.optional(),
    /** "missing" (pull an absent smoke image) or "never" (it must be on every host). Default: "missing". */
    smokePull: z.enum(["missing", "never"]).optional(),
    restartCommand: str.optional(),
    reloadCommand: str.optional(),
    logCommand: str.optional(),
    execStart: str.optional(),
    onDelete: z.enum(["restore", "keep"]).optional(),
    /** Ask each host for hand edits on every preview/up. Default: true. */
    driftCheck: z.boolean().optional(),
    /** Limit of the program's one SSH probe per host (drift, swarm state, services). Default: 15. */
    probeTimeoutSeconds: z.number().positive().optional(),
    /** Seconds the probe's SSH connection to a host stays open for the next preview (ControlPersist); 0: a new one each time. Default: 60. */
    probeReuseSeconds: z.number().int().nonnegative().optional(),
    /** SSH sessions the probe opens at once (the other hosts wait for a free one). Default: 10 (DEFAULT_PROBE_CONCURRENCY). */
    probeConcurrency: z.number().int().positive(CONCURRENCY_MESSAGE).optional(),
}).strict();

const swiftSchema = z.object({
    kind: z.literal("swift"),
    authUrl: str,
    username: str,
    container: str,
    region: str.optional(),
    tenant: str.optional(),
    tenantId: str.optional(),
    domain: str.optional(),
    authVersion: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    insecureSkipVerify: z.boolean().optional(),
    chunkSize: z.number().optional(),
    prefix: str.optional(),
}).strict();
const s3Schema = z.object({
    kind: z.literal("s3"),
    region: str,
    regionEndpoint: str.optional(),
    bucket: str,
    accessKey: str,
    forcePathStyle: z.boolean().optional(),
    secure: z.boolean().optional(),
    redirectDisable: z.boolean().optional(),
}).strict();
const fsSchema = z.object({ kind: z.literal("filesystem"), rootDirectory: str.optional() }).strict();

export const registrySchema = z.object({
    /** Name of the host (from dockfleet:hosts) the registry container runs on. */
    onHost: str,
    /** Address clients use; default: that host's address. */
    address: str.optional(),
    port: z.number().int().optional(),
    image: str.optional(),
    storage: z.discriminatedUnion("kind", [swiftSchema, s3Schema, fsSchema]),
    deleteEnabled: z.boolean().optional(),
    healthcheck: z.array(str).optional(),
    /** The fleet CA's and the server's certificates (PEM; the key is the secret registryTlsKey), written by `npm run registry-tls`; false: plain HTTP (warned). Default: unset (plain HTTP, warned). */
    tls: z.union([z.literal(false), z.object({ caCert: str, cert: str }).strict()]).optional(),
    /** The user of dockfleet:registryUsers the hosts and swarm services log in as. Default: the only user. */
    loginUser: str.optional(),
    /** Garbage collection by a timer on onHost (components/registry/gc-config.ts). Default: unset (none). */
    gc: z.object({
        /** Default: true. false removes the job. */
        enabled: z.boolean().optional(),
        /** Unreferenced digests kept per repository, newest first. Default: 3. */
        keep: z.number().optional(),
        /** The maintenance window (systemd OnCalendar). Default: "Sun *-*-* 03:00:00". */
        schedule: str.optional(),
    }).strict().optional(),
}).strict();

export const containerUnitSchema = z.object({
    /** Host names (from dockfleet:hosts) to install it on; default: all. */
    onHosts: z.array(str).optional(),
    name: str,
    image: str,
    command: z.array(str).optional(),
    runArgs: z.array(str).optional(),
    env: strMap.optional(),
    description: str.optional(),
    restart: z.enum(["on-failure", "always", "on-abnormal", "no"]).optional(),
    restartSec: str.optional(),
    startLimitBurst: z.number().optional(),
    startLimitInterval: str.optional(),
    pullOnStart: z.boolean().optional(),
    stopTimeoutSeconds: z.number().optional(),
    dockerPath: str.optional(),
}).strict();

/** A swarm stack: either inline (SwarmStack's spec) or imported from a compose file. Checked in detail by validateSwarmStack. */
export const stackSchema = z.object({
    /** Path of a compose v3 file, relative to the project root. */
    composeFile: str.optional(),
    services: z.record(z.string(), z.unknown()).optional(),
    networks: z.record(z.string(), z.unknown()).optional(),
    nfsVolumes: z.record(z.string(), z.unknown()).optional(),
    /** Swarm configs by name: { file: <path relative to the project root> } or { content: <text> }; secrets are the secret dockfleet:stackSecrets. */
    configs: z.record(z.string(), z.unknown()).optional(),
    tz: str.optional(),
    /** How long `pulumi up` waits for a service to converge. Default: "3m". */
    convergeTimeout: str.optional(),
    /** Tasks of each of this stack's services that may be down at once during a daemon rollout. Default: rollout.maxUnavailable. */
    maxUnavailable: z.number().optional(),
}).strict();

/** An image built on a fleet host and pushed to the fleet's registry (components/fleet-image); services name it by key. */
export const imageSchema = z.object({
    /** Build context directory, relative to the project root. */
    context: str,
    /** Relative to the context. Default: "Dockerfile". */
    dockerfile: str.optional(),
    /** Stage to build. Default: the last. */
    target: str.optional(),
    /** Plain build args (never the proxy: dockfleet passes it as secret predefined args). Default: {}. */
    args: strMap.optional(),
    /** The host (from dockfleet:hosts) whose dockerd builds and pushes. Default: registry.onHost. */
    builder: str.optional(),
    /** Repository in the registry. Default: the image's key. */
    name: str.optional(),
    /** Default: "linux/amd64". */
    platform: str.optional(),
}).strict();

/** A stand-alone NFS volume on one host (for swarm services use a stack's nfsVolumes). */
export const volumeSchema = z.object({
    onHost: str,
    name: str,
    server: str,
    path: str,
    nfsVersion: z.enum(["3", "4", "4.0", "4.1", "4.2"]).optional(),
    options: z.array(str).optional(),
}).strict();

/** Swarm membership (components/swarm): which hosts are nodes comes from each host's role. */
export const swarmSchema = z.object({
    /** Remove nodes from the swarm that are not configured members. Default: false (kept, with a warning). */
    removeNodes: z.boolean().optional(),
    /** Swarm autolock (CIS 7.6): managers restarted by the rollout are unlocked with the secret dockfleet:swarmUnlockKey. Default: false. */
    autolock: z.boolean().optional(),
}).strict();

/** Each host's cleanup timer (components/host-cleanup): off unless set; `{}` is the conservative default policy. */
export const hostCleanupSchema = z.object({
    /** Host names (from dockfleet:hosts) that get the timer. Default: all. */
    onHosts: z.array(str).optional(),
    /** systemd OnCalendar. Default: "daily". */
    schedule: str.optional(),
    /** systemd RandomizedDelaySec. Default: "1h". */
    randomizedDelay: str.optional(),
    /** Stopped containers, unused networks and images older than this (Go duration) are pruned. Default: "168h". */
    age: str.optional(),
    /** Build cache unused for this long is pruned. Default: age. */
    buildCacheAge: str.optional(),
    /** Default: "unused" (every image no container uses); "dangling": untagged ones only. */
    images: z.enum(["unused", "dangling"]).optional(),
    /** Images and stopped containers with this label are kept. Default: "dockfleet.keep". */
    keepLabel: str.optional(),
    /** Also remove anonymous volumes no container uses. Default: false. */
    volumes: z.boolean().optional(),
}).strict();

export const PARTS = ["daemon", "swarm", "containerUnits", "registry", "images", "stacks", "volumes", "hostCleanup"] as const;
export type Part = (typeof PARTS)[number];

/** Every non-secret key. Secret keys are listed in SECRET_KEYS. */
export const configSchema = z.object({
    hosts: z.array(hostSchema),
    ssh: sshSchema.optional(),
    engineVersion: str.optional(),
    daemon: daemonSchema.optional(),
    proxy: proxySchema.optional(),
    rollout: rolloutSchema.optional(),
    swarm: swarmSchema.optional(),
    registry: registrySchema.optional(),
    containerUnits: z.array(containerUnitSchema).optional(),
    images: z.record(z.string(), imageSchema).optional(),
    stacks: z.record(z.string(), stackSchema).optional(),
    volumes: z.array(volumeSchema).optional(),
    hostCleanup: hostCleanupSchema.optional(),
    /** Which parts this stack manages. Default: every configured part. */
    parts: z.array(z.enum(PARTS)).optional(),
}).strict();

export type StackConfigShape = z.infer<typeof configSchema>;

/**
 * A host of the stack config: what DockerFleet (FleetHost) and SwarmCluster (SwarmHost) both take.
 * The components declare their Args (the library has no zod); the check below makes any drift
 * between this shape and theirs a type error where a cast would hide it.
 */
export type StackHost = z.infer<typeof hostSchema>;
const stackHostFits = (h: StackHost): FleetHost & SwarmHost => h;
void stackHostFits;

/** Secret config keys (`pulumi config set --secret dockfleet:<key> ...`). */
export const SECRET_KEYS = ["sshPrivateKey", "httpProxy", "httpsProxy", "swiftPassword", "s3SecretKey", "registryHttpSecret", "registryTlsKey", "registryCaKey", "swarmUnlockKey", "stackSecretsKey"] as const;
/** Secret config keys holding a map (`pulumi config set --secret --path 'dockfleet:<key>.<name>' ...`). */
export const SECRET_MAP_KEYS = ["registryUsers", "stackSecrets"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
