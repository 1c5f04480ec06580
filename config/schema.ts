import { z } from "zod";

// Shapes of the `dockfleet:*` stack config keys. Shapes and types live here (zod, strict: unknown
// keys are errors); meaning (addresses, durations, guards) is checked by each component's own
// validate function, so library users and stack configs get the same rules.

const str = z.string();
const strMap = z.record(z.string(), z.string());

export const daemonSchema = z.object({
    registryMirrors: z.array(str).optional(),
    insecureRegistries: z.array(str).optional(),
    metricsAddr: str.optional(),
    experimental: z.boolean().optional(),
    debug: z.boolean().optional(),
    logDriver: str.optional(),
    logOpts: strMap.optional(),
    storageDriver: str.optional(),
    storageOpts: z.array(str).optional(),
    directLvm: z.object({
        device: str,
        thinpPercent: z.number().optional(),
        thinpMetaPercent: z.number().optional(),
        thinpAutoextendThreshold: z.number().optional(),
        thinpAutoextendPercent: z.number().optional(),
        force: z.boolean().optional(),
    }).strict().optional(),
    dataRoot: str.optional(),
    graph: str.optional(),
    liveRestore: z.boolean().optional(),
    hosts: z.array(str).optional(),
    allowPlainTcp: z.boolean().optional(),
    tls: z.object({ caCert: str, cert: str, key: str, verify: z.boolean().optional() }).strict().optional(),
    labels: strMap.optional(),
    bip: str.optional(),
}).strict();

export const hostSchema = z.object({
    name: str,
    address: str,
    port: z.number().int().optional(),
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
}).strict();

export const proxySchema = z.object({
    noProxy: z.array(str).optional(),
}).strict();

export const rolloutSchema = z.object({
    batchSize: z.number().optional(),
    restartTimeoutSeconds: z.number().optional(),
    smokeImage: str.optional(),
    restartCommand: str.optional(),
    reloadCommand: str.optional(),
    logCommand: str.optional(),
    execStart: str.optional(),
    onDelete: z.enum(["restore", "keep"]).optional(),
    /** Ask each host for hand edits on every preview/up. Default: true. */
    driftCheck: z.boolean().optional(),
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
    tz: str.optional(),
    /** How long `pulumi up` waits for a service to converge. Default: "3m". */
    convergeTimeout: str.optional(),
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
}).strict();

export const PARTS = ["daemon", "swarm", "containerUnits", "registry", "stacks", "volumes"] as const;
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
    stacks: z.record(z.string(), stackSchema).optional(),
    volumes: z.array(volumeSchema).optional(),
    /** Which parts this stack manages. Default: every configured part. */
    parts: z.array(z.enum(PARTS)).optional(),
}).strict();

export type StackConfigShape = z.infer<typeof configSchema>;

/** Secret config keys (`pulumi config set --secret dockfleet:<key> ...`). */
export const SECRET_KEYS = ["sshPrivateKey", "httpProxy", "httpsProxy", "swiftPassword", "s3SecretKey", "registryHttpSecret"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
