import { createHash } from "crypto";
import { DAEMON_KEYS, DaemonKey, RELOADABLE_KEYS } from "./daemon-keys";

export { RELOADABLE_KEYS };

/** devicemapper direct-lvm settings (`dm.*` storage-opts). Deprecated since Engine 18.09, removed in 25. */
export interface DirectLvmOptions {
    /** Block device dockerd turns into a thin pool, e.g. `/dev/xvdf`. Required. */
    device: string;
    /** `dm.thinp_percent`: share of the device for data. Default: unset (dockerd uses 95). */
    thinpPercent?: number;
    /** `dm.thinp_metapercent`: share for metadata. Default: unset (dockerd uses 1). */
    thinpMetaPercent?: number;
    /** `dm.thinp_autoextend_threshold`: fill level that triggers autoextend. Default: unset (80). */
    thinpAutoextendThreshold?: number;
    /** `dm.thinp_autoextend_percent`: growth per autoextend. Default: unset (20). */
    thinpAutoextendPercent?: number;
    /** `dm.directlvm_device_force`: wipe an existing filesystem on the device. Default: false (not written). */
    force?: boolean;
}

/** TLS for a TCP listener (`tls`, `tlsverify`, `tlscacert`, `tlscert`, `tlskey`). */
export interface DaemonTls {
    /** CA certificate path on the host. */
    caCert: string;
    /** Server certificate path on the host. */
    cert: string;
    /** Server key path on the host. */
    key: string;
    /** Require client certificates (`tlsverify`). Default: true. */
    verify?: boolean;
}

/** One `default-ulimits` entry, as dockerd spells it. */
export interface Ulimit {
    /** The limit's name (`nofile`, `nproc`, ...); must equal its key in `defaultUlimits`. */
    Name: string;
    /** Hard limit; -1 is unlimited. */
    Hard: number;
    /** Soft limit, at most Hard; -1 is unlimited. */
    Soft: number;
}

/** One `runtimes` entry. */
export interface RuntimeSpec {
    /** Runtime binary (name on PATH or absolute path). Required unless `runtimeType` (Engine 23+). */
    path?: string;
    /** Extra arguments. Default: `[]`. */
    runtimeArgs?: string[];
    /** containerd shim (`io.containerd.runsc.v1`), Engine 23+. Default: unset. */
    runtimeType?: string;
    /** Shim options, with `runtimeType` only. Default: unset. */
    options?: Record<string, any>;
}

/** One `default-address-pools` entry. */
export interface AddressPool {
    /** Pool CIDR, e.g. `10.10.0.0/16`. */
    base: string;
    /** Prefix length of each network carved from it, between the base's prefix and 32 (128 for IPv6). */
    size: number;
}

/**
 * Storage drivers of dockerd on Linux (devicemapper: Engine < 25). A const object and a type of the
 * same name, so the component package's schema inference (packages/pulumi-plugin) reads it as an enum.
 */
export const StorageDriver = {
    overlay2: "overlay2", fuseOverlayfs: "fuse-overlayfs", btrfs: "btrfs", zfs: "zfs", vfs: "vfs", devicemapper: "devicemapper",
} as const;
export type StorageDriver = (typeof StorageDriver)[keyof typeof StorageDriver];
export const STORAGE_DRIVERS: readonly StorageDriver[] = Object.values(StorageDriver);

export const LOG_DRIVERS = [
    "json-file", "local", "journald", "syslog", "fluentd", "gelf", "awslogs", "splunk", "gcplogs", "logentries", "etwlogs", "none",
] as const;

/**
 * Typed model of /etc/docker/daemon.json, one field per key of the table in daemon-keys.ts (each
 * comment names its key and dockerd's default; a unit test holds them to the table). Unset fields
 * are not written, so dockerd's own default applies, except the hot-reloadable keys
 * (registry-mirrors, insecure-registries, labels, debug, live-restore), which are always written:
 * dockerd keeps a reloaded key's old value when the key is merely removed from the file.
 */
export interface DaemonConfig {
    /** `allow-nondistributable-artifacts`: registries (host:port or CIDR) that may receive foreign layers on push. Default: `[]`. */
    allowNondistributableArtifacts?: string[];
    /** `api-cors-header`: CORS header of the Engine API. Deprecated in Engine 27.0: put a reverse proxy in front of the API instead. Default: unset. */
    apiCorsHeader?: string;
    /** `authorization-plugins`: authorization plugins to load. Default: `[]`. */
    authorizationPlugins?: string[];
    /** `bip`: docker0 address in CIDR form. Default: unset (`172.17.0.1/16`, or the first free default pool). */
    bip?: string;
    /** `bridge`: existing bridge to attach the default network to (`none` disables it). Default: unset (dockerd creates `docker0`). */
    bridge?: string;
    /** `builder`: BuildKit settings: `gc`, `entitlements`. Default: unset (BuildKit's own GC and entitlements). */
    builder?: Record<string, any>;
    /** `cdi-spec-dirs`: directories with CDI device specs. Engine 25.0+. Default: `["/etc/cdi", "/var/run/cdi"]`. */
    cdiSpecDirs?: string[];
    /** `cgroup-parent`: parent cgroup of all containers (a `.slice` with the systemd driver). Default: `/docker` (cgroupfs) or `system.slice` (systemd). */
    cgroupParent?: string;
    /** `containerd`: containerd socket path. Default: unset (dockerd starts its own containerd unless the unit passes `--containerd`). */
    containerd?: string;
    /** `containerd-namespace`: containerd namespace of the containers. Default: `moby`. */
    containerdNamespace?: string;
    /** `cpu-rt-period`: real-time CPU period (µs) of the parent cgroup; cgroup v1 only. Default: `0`. */
    cpuRtPeriod?: number;
    /** `cpu-rt-runtime`: real-time CPU runtime (µs) of the parent cgroup; cgroup v1 only. Default: `0`. */
    cpuRtRuntime?: number;
    /** `cri-containerd`: start the containerd dockerd manages with its CRI plugin. Default: `false`. */
    criContainerd?: boolean;
    /** `data-root`: root of persistent state (images, containers, volumes). Default: `/var/lib/docker`. */
    dataRoot?: string;
    /** `debug`: debug logging. Always written (hot-reloadable). Default: `false`. */
    debug?: boolean;
    /** `default-address-pools`: pools local networks are carved from: `{base, size}`. Default: `172.17.0.0/16`–`172.31.0.0/16` by /16, `192.168.0.0/16` by /20. */
    defaultAddressPools?: AddressPool[];
    /** `default-cgroupns-mode`: containers' cgroup namespace: `private` or `host`. Default: `private` on cgroup v2, `host` on cgroup v1. */
    defaultCgroupnsMode?: string;
    /** `default-gateway`: containers' IPv4 gateway on the default bridge. Default: unset (the bridge address). */
    defaultGateway?: string;
    /** `default-gateway-v6`: containers' IPv6 gateway on the default bridge. Default: unset (the bridge address). */
    defaultGatewayV6?: string;
    /** `default-ipc-mode`: containers' IPC mode: `private` or `shareable`. Default: `private`. */
    defaultIpcMode?: string;
    /** `default-network-opts`: default options per network driver. Engine 24.0+. Default: `{}`. */
    defaultNetworkOpts?: Record<string, Record<string, string>>;
    /** `default-runtime`: OCI runtime of new containers: `runc` or a key of `runtimes`. Default: `runc`. */
    defaultRuntime?: string;
    /** `default-shm-size`: containers' /dev/shm size. Default: `64M`. */
    defaultShmSize?: string;
    /** `default-ulimits`: containers' ulimits: `{nofile: {Name, Hard, Soft}}`. Default: `{}` (dockerd's own limits). */
    defaultUlimits?: Record<string, Ulimit>;
    /** `dns`: DNS servers (IP addresses) for containers. Default: the host's resolv.conf nameservers. */
    dns?: string[];
    /** `dns-opts`: resolv.conf options for containers. Default: `[]`. */
    dnsOpts?: string[];
    /** `dns-search`: DNS search domains for containers. Default: `[]`. */
    dnsSearch?: string[];
    /** `exec-opts`: runtime options: `native.cgroupdriver=systemd|cgroupfs`. Default: `[]` (cgroup driver `systemd` on cgroup v2 hosts with systemd, else `cgroupfs`). */
    execOpts?: string[];
    /** `exec-root`: root of execution state. Default: `/var/run/docker`. */
    execRoot?: string;
    /** `experimental`: experimental features. Default: `false`. */
    experimental?: boolean;
    /** `features`: feature switches, e.g. `{"containerd-snapshotter": true}`. Default: `{}`. */
    features?: Record<string, boolean>;
    /** `fixed-cidr`: IPv4 subnet (inside bip's network) containers on the default bridge get addresses from. Default: unset (all of bip's subnet). */
    fixedCidr?: string;
    /** `fixed-cidr-v6`: IPv6 subnet of the default bridge (with `ipv6: true`). Default: unset. */
    fixedCidrV6?: string;
    /** `group`: group owning the unix socket. Default: `docker`. */
    group?: string;
    /** `host-gateway-ip`: address `host-gateway` resolves to in `--add-host`. Default: the default bridge's address. */
    hostGatewayIp?: string;
    /** `hosts`: listen sockets: `unix://`, `fd://`, `tcp://ip:port` (TCP off loopback needs `tls` with client verification). Default: unset (the unit's `-H fd://`). */
    hosts?: string[];
    /** `icc`: traffic between containers on the default bridge; dockfleet writes `false` unless set (CIS 2.2). Default: `true`. */
    icc?: boolean;
    /** `init`: run an init (docker-init) in every container. Default: `false`. */
    init?: boolean;
    /** `init-path`: path of the init binary. Default: `docker-init` on PATH. */
    initPath?: string;
    /** `insecure-registries`: registries reached over plain HTTP: host:port or CIDR. Always written (hot-reloadable). Default: `[]`. */
    insecureRegistries?: string[];
    /** `ip`: default host address of published ports. Default: `0.0.0.0`. */
    ip?: string;
    /** `ip6tables`: ip6tables rules for IPv6 networks. Default: `false` (`true` since 27.0; before 27 it needs `experimental`). */
    ip6tables?: boolean;
    /** `ip-forward`: enable net.ipv4.ip_forward. Default: `true`. */
    ipForward?: boolean;
    /** `ip-masq`: masquerade traffic from the bridge (needs iptables). Default: `true`. */
    ipMasq?: boolean;
    /** `iptables`: iptables rules (port publishing, isolation, masquerading). Default: `true`. */
    iptables?: boolean;
    /** `ipv6`: IPv6 on the default bridge. Default: `false`. */
    ipv6?: boolean;
    /** `labels`: daemon labels; a map, written as sorted `k=v`. Always written (hot-reloadable). Default: `{}`. */
    labels?: Record<string, string>;
    /** `live-restore`: keep containers running while dockerd is down (refused on swarm nodes). Always written (hot-reloadable). Default: `false`. */
    liveRestore?: boolean;
    /** `log-driver`: default log driver of containers. Default: `json-file`. */
    logDriver?: string;
    /** `log-format`: dockerd's own log format: `text` or `json`. Engine 25.0+. Default: `text`. */
    logFormat?: string;
    /** `log-level`: dockerd's log level: debug, info, warn, error, fatal. Default: `info`. */
    logLevel?: string;
    /** `log-opts`: log driver options, strings, written verbatim (Go templates are kept). Default: `{}`. */
    logOpts?: Record<string, string>;
    /** `max-concurrent-downloads`: parallel layer downloads per pull. Default: `3`. */
    maxConcurrentDownloads?: number;
    /** `max-concurrent-uploads`: parallel layer uploads per push. Default: `5`. */
    maxConcurrentUploads?: number;
    /** `max-download-attempts`: attempts per layer download. Default: `5`. */
    maxDownloadAttempts?: number;
    /** `metrics-addr`: Prometheus endpoint `ip:port`. Default: unset (no metrics endpoint). */
    metricsAddr?: string;
    /** `mtu`: MTU of the default bridge. Default: `1500`. */
    mtu?: number;
    /** `network-control-plane-mtu`: MTU of swarm's control-plane traffic. Default: `1500`. */
    networkControlPlaneMtu?: number;
    /** `network-diagnostic-port`: port of the network diagnostic server (127.0.0.1 only). Default: `0` (off). */
    networkDiagnosticPort?: number;
    /** `no-new-privileges`: no-new-privileges for new containers; dockfleet writes `true` unless set (CIS 2.14). Default: `false`. */
    noNewPrivileges?: boolean;
    /** `node-generic-resources`: swarm generic resources of this node: `NAME=VALUE`. Default: `[]`. */
    nodeGenericResources?: string[];
    /** `oom-score-adjust`: dockerd's own oom_score_adj. Deprecated in Engine 24.0: set OOMScoreAdjust in the docker.service unit. Removed in Engine 25.0. Default: `-500`. */
    oomScoreAdjust?: number;
    /** `pidfile`: dockerd's PID file. Default: `/var/run/docker.pid`. */
    pidfile?: string;
    /** `raw-logs`: full timestamps, no ANSI colours in dockerd's log. Default: `false`. */
    rawLogs?: boolean;
    /** `registry-mirrors`: pull-through mirrors of Docker Hub: URLs with scheme. Always written (hot-reloadable). Default: `[]`. */
    registryMirrors?: string[];
    /** `runtimes`: extra OCI runtimes: `{name: {path, runtimeArgs?}}`. Default: `{}` (runc is built in). */
    runtimes?: Record<string, RuntimeSpec>;
    /** `seccomp-profile`: seccomp profile path, `builtin` or `unconfined`. Default: the built-in profile. */
    seccompProfile?: string;
    /** `selinux-enabled`: SELinux labelling of containers. Default: `false`. */
    selinuxEnabled?: boolean;
    /** `shutdown-timeout`: seconds dockerd waits for containers on shutdown. Default: `15`. */
    shutdownTimeout?: number;
    /** `storage-driver`: overlay2, fuse-overlayfs, btrfs, zfs, vfs, devicemapper (< 25). Default: unset (dockerd picks overlay2 on current kernels). */
    storageDriver?: StorageDriver;
    /** `storage-opts`: storage driver options (`overlay2.size=20G`, ...); `directLvm` adds `dm.*`. Default: `[]`. */
    storageOpts?: string[];
    /** `swarm-default-advertise-addr`: default swarm advertise address or interface. Default: unset (swarm picks an interface). */
    swarmDefaultAdvertiseAddr?: string;
    /** `userland-proxy`: docker-proxy for published ports (else iptables only); dockfleet writes `false` unless set (CIS 2.16). Default: `true`. */
    userlandProxy?: boolean;
    /** `userland-proxy-path`: path of docker-proxy. Default: `docker-proxy` on PATH. */
    userlandProxyPath?: string;
    /** `userns-remap`: user namespace remapping: `default` or `user[:group]`. Default: unset (no remapping). */
    usernsRemap?: string;
    /** devicemapper direct-lvm, written as `dm.*` entries of `storage-opts`; requires `storageDriver: devicemapper`. Default: unset. */
    directLvm?: DirectLvmOptions;
    /** Deprecated `--graph` / `graph`: written as `data-root` with a warning (dockerd 23+ refuses `graph` in the file). Default: unset. */
    graph?: string;
    /** Withdrawn (issue 28): `true` is an error, a TCP API off loopback needs `tls` with client verification. Not written. Default: false. */
    allowPlainTcp?: boolean;
    /** `tls`, `tlsverify`, `tlscacert`, `tlscert`, `tlskey` for TCP listeners. Default: unset (no TLS). */
    tls?: DaemonTls;
}

function sortObject(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = o[k];
    return out;
}

/** Deep copy with object keys sorted, so the file is stable whatever order the config had. */
function sortDeep(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortDeep(o[k])]));
    }
    return v;
}

/** The daemon.json value of one table entry, from the model value (undefined: not written). */
function renderValue(d: DaemonKey, v: unknown): unknown {
    if (d.kind === "labels") {
        const m = (v ?? {}) as Record<string, string>;
        return Object.keys(m).sort().map((k) => `${k}=${m[k]}`);
    }
    if (v === undefined) return d.written === undefined ? undefined : sortDeep(d.written);
    return sortDeep(v);
}

/** Builds the daemon.json object (keys sorted, stable) from the typed model, one table entry at a time. */
export function daemonJsonObject(cfg: DaemonConfig): Record<string, unknown> {
    const model = cfg as Record<string, unknown>;
    const o: Record<string, unknown> = {};
    for (const d of DAEMON_KEYS) {
        if (d.kind === "model") continue; // tls*, below
        let v: unknown;
        if (d.key === "storage-opts") {
            const all = [...directLvmOpts(cfg.directLvm), ...(cfg.storageOpts ?? [])];
            v = all.length > 0 ? all : undefined;
        } else if (d.key === "data-root") {
            v = cfg.dataRoot ?? cfg.graph;
        } else if (d.key === "log-opts") {
            v = cfg.logOpts && Object.keys(cfg.logOpts).length > 0 ? cfg.logOpts : undefined;
        } else {
            v = model[d.field];
        }
        const out = renderValue(d, v);
        if (out !== undefined) o[d.key] = out;
    }
    if (cfg.tls) {
        o["tls"] = true;
        o["tlsverify"] = cfg.tls.verify ?? true;
        o["tlscacert"] = cfg.tls.caCert;
        o["tlscert"] = cfg.tls.cert;
        o["tlskey"] = cfg.tls.key;
    }
    return sortObject(o);
}

function directLvmOpts(d: DirectLvmOptions | undefined): string[] {
    if (!d) return [];
    const opts = [`dm.directlvm_device=${d.device}`];
    if (d.thinpPercent !== undefined) opts.push(`dm.thinp_percent=${d.thinpPercent}`);
    if (d.thinpMetaPercent !== undefined) opts.push(`dm.thinp_metapercent=${d.thinpMetaPercent}`);
    if (d.thinpAutoextendThreshold !== undefined) opts.push(`dm.thinp_autoextend_threshold=${d.thinpAutoextendThreshold}`);
    if (d.thinpAutoextendPercent !== undefined) opts.push(`dm.thinp_autoextend_percent=${d.thinpAutoextendPercent}`);
    if (d.force) opts.push("dm.directlvm_device_force=true");
    return opts;
}

/** daemon.json text: 2-space indented, sorted keys, trailing newline. Deterministic. */
export function renderDaemonJson(cfg: DaemonConfig): string {
    return JSON.stringify(daemonJsonObject(cfg), null, 2) + "\n";
}

/**
 * Digest of what needs a restart: every restart-only key's value, and for the hot-reloadable keys
 * that are not always written, only whether they are present (a reload applies a new value, but
 * dockerd keeps the old one when such a key is removed). The apply script reloads instead of
 * restarting when this digest is unchanged since the last verified apply.
 */
export function restartDigest(cfg: DaemonConfig): string {
    const o = daemonJsonObject(cfg);
    for (const d of DAEMON_KEYS) {
        if (d.reload === "always") delete o[d.key];
        else if (d.reload === "reload" && d.key in o) o[d.key] = "(set)";
    }
    return createHash("sha256").update(JSON.stringify(o)).digest("hex").slice(0, 32);
}
