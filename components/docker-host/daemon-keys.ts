// The one table of daemon.json keys (Linux, Docker Engine 20.10 through 27). The DaemonConfig
// doc comments, the stack config schema (program/schema.ts), the renderer, the reload digest, the
// version guards, the preview summary and the key table of docs/stack-config.md are all derived from it or
// checked against it by unit tests (daemon-keys.test.ts), so they cannot drift apart.
//
// Sources: moby's daemon/config/*.go (json tags) and cmd/dockerd/config*.go (flags and their
// defaults) at v20.10.0, v23.0.0, v24.0.0, v25.0.0, v26.0.0, v27.0.1 and v27.5.0; what is
// hot-reloadable comes from daemon/reload.go, daemon/reload_unix.go and cmd/dockerd/daemon.go
// (reloadConfig) over the same tags.

/** How a value is shaped in the model (and in daemon.json, unless said otherwise). */
export type KeyKind =
    | "boolean"
    | "integer"
    | "string"
    /** list of strings */
    | "strings"
    /** `{ name: "value" }` */
    | "stringMap"
    /** `{ name: true }` (features) */
    | "boolMap"
    /** model `{ k: "v" }`, daemon.json a sorted `["k=v"]` list */
    | "labels"
    /** `{ nofile: { Name, Hard, Soft } }` */
    | "ulimits"
    /** `{ name: { path, runtimeArgs?, runtimeType?, options? } }` */
    | "runtimes"
    /** `[{ base: CIDR, size: prefix }]` */
    | "addressPools"
    /** `{ driver: { option: "value" } }` */
    | "networkOpts"
    /** a JSON object written as given (builder) */
    | "object"
    /** written by the renderer from a structured model field (tls*) */
    | "model";

/**
 * What changing the key does to dockerd:
 * - `restart`: only a restart applies it;
 * - `reload`: SIGHUP applies a new value, but dockerd keeps a reloaded key's old value when the
 *   key is merely removed from the file, so adding or removing the key restarts;
 * - `always`: hot-reloadable and always written (its default when unset), so any change reloads.
 */
export type ReloadClass = "restart" | "reload" | "always";

export interface DaemonKey {
    /** camelCase field of DaemonConfig that writes this key. */
    field: string;
    /** daemon.json key. */
    key: string;
    kind: KeyKind;
    /** dockerd's default, as its docs and `dockerd --help` state it. */
    default: string;
    /** First engine version that accepts the key; unset: 20.10 or earlier. */
    since?: string;
    /** First engine version that refuses (or no longer knows) the key. */
    removedIn?: string;
    /** Engine version that deprecated the key, and what to use instead. */
    deprecated?: { since: string; hint: string };
    reload: ReloadClass;
    /** The value written when the field is unset (`always` keys only). */
    written?: unknown;
    /**
     * dockerd's own value when the key is absent, for keys dockfleet hardens (cis.ts): a file
     * that sets the key to it means the same as one without the key (adopting restarts nothing).
     */
    dockerdDefault?: unknown;
    /**
     * A reloadable key that changes how dockerd creates and starts new containers (runtimes,
     * their defaults, authorization): after a reload that changes one, the apply runs its smoke
     * container; after a reload that changes none, a container start proves nothing new.
     */
    starts?: true;
    /** One line for the key table (docs/stack-config.md). */
    doc: string;
}

const k = (field: string, key: string, kind: KeyKind, dflt: string, reload: ReloadClass, doc: string, more: Partial<DaemonKey> = {}): DaemonKey =>
    ({ field, key, kind, default: dflt, reload, doc, ...more });

/** Every daemon.json key dockfleet writes, sorted by key. */
export const DAEMON_KEYS: readonly DaemonKey[] = [
    k("allowNondistributableArtifacts", "allow-nondistributable-artifacts", "strings", "`[]`", "reload", "registries (host:port or CIDR) that may receive foreign layers on push"),
    k("apiCorsHeader", "api-cors-header", "string", "unset", "restart", "CORS header of the Engine API", { deprecated: { since: "27.0", hint: "put a reverse proxy in front of the API instead" } }),
    k("authorizationPlugins", "authorization-plugins", "strings", "`[]`", "reload", "authorization plugins to load", { starts: true }),
    k("bip", "bip", "string", "unset (`172.17.0.1/16`, or the first free default pool)", "restart", "docker0 address in CIDR form"),
    k("bridge", "bridge", "string", "unset (dockerd creates `docker0`)", "restart", "existing bridge to attach the default network to (`none` disables it)"),
    k("builder", "builder", "object", "unset (BuildKit's own GC and entitlements)", "restart", "BuildKit settings: `gc`, `entitlements`"),
    k("cdiSpecDirs", "cdi-spec-dirs", "strings", "`[\"/etc/cdi\", \"/var/run/cdi\"]`", "restart", "directories with CDI device specs", { since: "25.0" }),
    k("cgroupParent", "cgroup-parent", "string", "`/docker` (cgroupfs) or `system.slice` (systemd)", "restart", "parent cgroup of all containers (a `.slice` with the systemd driver)"),
    k("containerd", "containerd", "string", "unset (dockerd starts its own containerd unless the unit passes `--containerd`)", "restart", "containerd socket path"),
    k("containerdNamespace", "containerd-namespace", "string", "`moby`", "restart", "containerd namespace of the containers"),
    k("cpuRtPeriod", "cpu-rt-period", "integer", "`0`", "restart", "real-time CPU period (µs) of the parent cgroup; cgroup v1 only"),
    k("cpuRtRuntime", "cpu-rt-runtime", "integer", "`0`", "restart", "real-time CPU runtime (µs) of the parent cgroup; cgroup v1 only"),
    k("criContainerd", "cri-containerd", "boolean", "`false`", "restart", "start the containerd dockerd manages with its CRI plugin"),
    k("dataRoot", "data-root", "string", "`/var/lib/docker`", "restart", "root of persistent state (images, containers, volumes)"),
    k("debug", "debug", "boolean", "`false`", "always", "debug logging", { written: false }),
    k("defaultAddressPools", "default-address-pools", "addressPools", "`172.17.0.0/16`–`172.31.0.0/16` by /16, `192.168.0.0/16` by /20", "restart", "pools local networks are carved from: `{base, size}`"),
    k("defaultCgroupnsMode", "default-cgroupns-mode", "string", "`private` on cgroup v2, `host` on cgroup v1", "reload", "containers' cgroup namespace: `private` or `host`", { starts: true }),
    k("defaultGateway", "default-gateway", "string", "unset (the bridge address)", "restart", "containers' IPv4 gateway on the default bridge"),
    k("defaultGatewayV6", "default-gateway-v6", "string", "unset (the bridge address)", "restart", "containers' IPv6 gateway on the default bridge"),
    k("defaultIpcMode", "default-ipc-mode", "string", "`private`", "reload", "containers' IPC mode: `private` or `shareable`", { starts: true }),
    k("defaultNetworkOpts", "default-network-opts", "networkOpts", "`{}`", "restart", "default options per network driver", { since: "24.0" }),
    k("defaultRuntime", "default-runtime", "string", "`runc`", "reload", "OCI runtime of new containers: `runc` or a key of `runtimes`", { starts: true }),
    k("defaultShmSize", "default-shm-size", "string", "`64M`", "reload", "containers' /dev/shm size", { starts: true }),
    k("defaultUlimits", "default-ulimits", "ulimits", "`{}` (dockerd's own limits)", "restart", "containers' ulimits: `{nofile: {Name, Hard, Soft}}`"),
    k("dns", "dns", "strings", "the host's resolv.conf nameservers", "restart", "DNS servers (IP addresses) for containers"),
    k("dnsOpts", "dns-opts", "strings", "`[]`", "restart", "resolv.conf options for containers"),
    k("dnsSearch", "dns-search", "strings", "`[]`", "restart", "DNS search domains for containers"),
    k("execOpts", "exec-opts", "strings", "`[]` (cgroup driver `systemd` on cgroup v2 hosts with systemd, else `cgroupfs`)", "restart", "runtime options: `native.cgroupdriver=systemd|cgroupfs`"),
    k("execRoot", "exec-root", "string", "`/var/run/docker`", "restart", "root of execution state"),
    k("experimental", "experimental", "boolean", "`false`", "restart", "experimental features"),
    k("features", "features", "boolMap", "`{}`", "reload", "feature switches, e.g. `{\"containerd-snapshotter\": true}`", { starts: true }),
    k("fixedCidr", "fixed-cidr", "string", "unset (all of bip's subnet)", "restart", "IPv4 subnet (inside bip's network) containers on the default bridge get addresses from"),
    k("fixedCidrV6", "fixed-cidr-v6", "string", "unset", "restart", "IPv6 subnet of the default bridge (with `ipv6: true`)"),
    k("group", "group", "string", "`docker`", "restart", "group owning the unix socket"),
    k("hostGatewayIp", "host-gateway-ip", "string", "the default bridge's address", "restart", "address `host-gateway` resolves to in `--add-host`"),
    k("hosts", "hosts", "strings", "unset (the unit's `-H fd://`)", "restart", "listen sockets: `unix://`, `fd://`, `tcp://ip:port` (TCP off loopback needs `tls` with client verification)"),
    k("icc", "icc", "boolean", "`true`", "restart", "traffic between containers on the default bridge; dockfleet writes `false` unless set (CIS 2.2)", { dockerdDefault: true }),
    k("init", "init", "boolean", "`false`", "restart", "run an init (docker-init) in every container"),
    k("initPath", "init-path", "string", "`docker-init` on PATH", "restart", "path of the init binary"),
    k("insecureRegistries", "insecure-registries", "strings", "`[]`", "always", "registries reached over plain HTTP: host:port or CIDR", { written: [] }),
    k("ip", "ip", "string", "`0.0.0.0`", "restart", "default host address of published ports"),
    k("ipForward", "ip-forward", "boolean", "`true`", "restart", "enable net.ipv4.ip_forward"),
    k("ipMasq", "ip-masq", "boolean", "`true`", "restart", "masquerade traffic from the bridge (needs iptables)"),
    k("ip6tables", "ip6tables", "boolean", "`false` (`true` since 27.0; before 27 it needs `experimental`)", "restart", "ip6tables rules for IPv6 networks"),
    k("iptables", "iptables", "boolean", "`true`", "restart", "iptables rules (port publishing, isolation, masquerading)"),
    k("ipv6", "ipv6", "boolean", "`false`", "restart", "IPv6 on the default bridge"),
    k("labels", "labels", "labels", "`{}`", "always", "daemon labels; a map, written as sorted `k=v`", { written: [] }),
    k("liveRestore", "live-restore", "boolean", "`false`", "always", "keep containers running while dockerd is down (refused on swarm nodes)", { written: false }),
    k("logDriver", "log-driver", "string", "`json-file`", "restart", "default log driver of containers"),
    k("logFormat", "log-format", "string", "`text`", "restart", "dockerd's own log format: `text` or `json`", { since: "25.0" }),
    k("logLevel", "log-level", "string", "`info`", "restart", "dockerd's log level: debug, info, warn, error, fatal"),
    k("logOpts", "log-opts", "stringMap", "`{}`", "restart", "log driver options, strings, written verbatim (Go templates are kept)"),
    k("maxConcurrentDownloads", "max-concurrent-downloads", "integer", "`3`", "reload", "parallel layer downloads per pull"),
    k("maxConcurrentUploads", "max-concurrent-uploads", "integer", "`5`", "reload", "parallel layer uploads per push"),
    k("maxDownloadAttempts", "max-download-attempts", "integer", "`5`", "reload", "attempts per layer download"),
    k("metricsAddr", "metrics-addr", "string", "unset (no metrics endpoint)", "restart", "Prometheus endpoint `ip:port`"),
    k("mtu", "mtu", "integer", "`1500`", "restart", "MTU of the default bridge"),
    k("networkControlPlaneMtu", "network-control-plane-mtu", "integer", "`1500`", "restart", "MTU of swarm's control-plane traffic"),
    k("networkDiagnosticPort", "network-diagnostic-port", "integer", "`0` (off)", "reload", "port of the network diagnostic server (127.0.0.1 only)"),
    k("noNewPrivileges", "no-new-privileges", "boolean", "`false`", "restart", "no-new-privileges for new containers; dockfleet writes `true` unless set (CIS 2.14)", { dockerdDefault: false }),
    k("nodeGenericResources", "node-generic-resources", "strings", "`[]`", "restart", "swarm generic resources of this node: `NAME=VALUE`"),
    k("oomScoreAdjust", "oom-score-adjust", "integer", "`-500`", "restart", "dockerd's own oom_score_adj", { deprecated: { since: "24.0", hint: "set OOMScoreAdjust in the docker.service unit" }, removedIn: "25.0" }),
    k("pidfile", "pidfile", "string", "`/var/run/docker.pid`", "restart", "dockerd's PID file"),
    k("rawLogs", "raw-logs", "boolean", "`false`", "restart", "full timestamps, no ANSI colours in dockerd's log"),
    k("registryMirrors", "registry-mirrors", "strings", "`[]`", "always", "pull-through mirrors of Docker Hub: URLs with scheme", { written: [] }),
    k("runtimes", "runtimes", "runtimes", "`{}` (runc is built in)", "reload", "extra OCI runtimes: `{name: {path, runtimeArgs?}}`", { starts: true }),
    k("seccompProfile", "seccomp-profile", "string", "the built-in profile", "restart", "seccomp profile path, `builtin` or `unconfined`"),
    k("selinuxEnabled", "selinux-enabled", "boolean", "`false`", "restart", "SELinux labelling of containers"),
    k("shutdownTimeout", "shutdown-timeout", "integer", "`15`", "reload", "seconds dockerd waits for containers on shutdown"),
    k("storageDriver", "storage-driver", "string", "unset (dockerd picks overlay2 on current kernels)", "restart", "overlay2, fuse-overlayfs, btrfs, zfs, vfs, devicemapper (< 25)"),
    k("storageOpts", "storage-opts", "strings", "`[]`", "restart", "storage driver options (`overlay2.size=20G`, ...); `directLvm` adds `dm.*`"),
    k("swarmDefaultAdvertiseAddr", "swarm-default-advertise-addr", "string", "unset (swarm picks an interface)", "restart", "default swarm advertise address or interface"),
    k("tls", "tls", "model", "`false`", "restart", "TLS on TCP listeners; written from `tls`"),
    k("tls", "tlscacert", "model", "`~/.docker/ca.pem`", "restart", "CA certificate; from `tls.caCert`"),
    k("tls", "tlscert", "model", "`~/.docker/cert.pem`", "restart", "server certificate; from `tls.cert`"),
    k("tls", "tlskey", "model", "`~/.docker/key.pem`", "restart", "server key; from `tls.key`"),
    k("tls", "tlsverify", "model", "`false`", "restart", "require client certificates; from `tls.verify` (default true when `tls` is set)"),
    k("userlandProxy", "userland-proxy", "boolean", "`true`", "restart", "docker-proxy for published ports (else iptables only); dockfleet writes `false` unless set (CIS 2.16)", { dockerdDefault: true }),
    k("userlandProxyPath", "userland-proxy-path", "string", "`docker-proxy` on PATH", "restart", "path of docker-proxy"),
    k("usernsRemap", "userns-remap", "string", "unset (no remapping)", "restart", "user namespace remapping: `default` or `user[:group]`"),
];

/**
 * Fields of DaemonConfig that are not one daemon.json key: structured or dockfleet-only settings.
 * (`tls` is in DAEMON_KEYS as the owner of the tls* keys.)
 */
export const MODEL_FIELDS = {
    directLvm: "devicemapper direct-lvm settings, written as `dm.*` entries of `storage-opts`",
    graph: "the pre-17.05 name of `data-root` (dockerd 23+ refuses `graph` in the file), written as `data-root` with a warning",
    allowPlainTcp: "withdrawn (issue 28): `true` is an error, since a `tcp://` listener off loopback needs `tls` with client verification; not written",
} as const;

/** daemon.json keys (Linux, 20.10–27) dockfleet does not model, and why. */
export const OMITTED: readonly { keys: string[]; reason: string }[] = [
    { keys: ["proxies"], reason: "Engine 23+ `proxies` {http-proxy, https-proxy, no-proxy}: proxy URLs may hold credentials and daemon.json travels in the public apply command, so dockfleet writes them to the secret systemd drop-in (dockfleet:httpProxy, dockfleet:httpsProxy, proxy.noProxy)" },
    { keys: ["cluster-store", "cluster-store-opts", "cluster-advertise"], reason: "legacy overlay networking without swarm: deprecated, removed in Engine 23.0" },
    { keys: ["graph"], reason: "as a daemon.json key: refused by Engine 23+; the model's `graph` field is written as `data-root`" },
    { keys: ["containerd-plugins-namespace", "containerd-plugin-namespace"], reason: "the flag and the daemon.json key are spelled differently in moby, so dockerd refuses one spelling and ignores the other" },
    { keys: ["rootless"], reason: "rootless mode runs dockerd as a user under RootlessKit; dockfleet manages the system docker.service" },
    { keys: ["swarm-raft-heartbeat-tick", "swarm-raft-election-tick", "default-init", "resolv-conf", "deprecated-key-path"], reason: "internal fields without a dockerd flag: dockerd refuses them as unknown directives (deprecated-key-path is ignored)" },
    { keys: ["config-file", "validate"], reason: "command-line only (the file itself, `dockerd --validate`)" },
    { keys: ["exec-opts isolation=…", "log-driver etwlogs", "storage-opts for windowsfilter/lcow"], reason: "Windows-only values; the checks refuse them" },
];

// ---------------------------------------------------------------------------------------------
// Lookups and derived lists.

export const KEY_BY_NAME: ReadonlyMap<string, DaemonKey> = new Map(DAEMON_KEYS.map((d) => [d.key, d]));

/** The entries written from one field (several for `tls`). */
export function keysOfField(field: string): DaemonKey[] {
    return DAEMON_KEYS.filter((d) => d.field === field);
}

/** Every DaemonConfig field: one per table field, plus MODEL_FIELDS. */
export const DAEMON_FIELDS: readonly string[] = [...new Set([...DAEMON_KEYS.map((d) => d.field), ...Object.keys(MODEL_FIELDS)])];

/** Keys dockerd re-reads on SIGHUP (`systemctl reload docker`). Everything else needs a restart. */
export const RELOADABLE_KEYS: readonly string[] = DAEMON_KEYS.filter((d) => d.reload !== "restart").map((d) => d.key);

/** Reloadable keys that change how new containers start (DaemonKey.starts): daemon-facts.ts `starts`. */
export const STARTS_KEYS: readonly string[] = DAEMON_KEYS.filter((d) => d.starts).map((d) => d.key);

/** Keys always written (their default when unset), so removing one resets it on reload. */
export const ALWAYS_WRITTEN: readonly DaemonKey[] = DAEMON_KEYS.filter((d) => d.reload === "always");

/**
 * Keys whose value here means the same to dockerd as no key at all: the always-written keys at
 * their written value, the hardened keys at dockerd's default. The restart decision compares
 * daemon.json files without them (daemon-parse.ts canonicalDaemonJson, the apply script's
 * json_canon, whose ALWAYS_DEFAULTS a unit test holds to this).
 */
export const SAME_AS_ABSENT: Readonly<Record<string, unknown>> = Object.fromEntries([
    ...ALWAYS_WRITTEN.map((d) => [d.key, d.written]),
    ...DAEMON_KEYS.filter((d) => d.dockerdDefault !== undefined).map((d) => [d.key, d.dockerdDefault]),
].sort(([a], [b]) => String(a).localeCompare(String(b))));

/**
 * Whether a change of one daemon.json key from `from` to `to` (undefined: absent) can be applied
 * by a reload; a sub-key such as `log-opts.max-size` is judged by its key. Unknown keys restart.
 */
export function changeEffect(key: string, from: unknown, to: unknown): "reload" | "restart" {
    const d = KEY_BY_NAME.get(key.split(".")[0]);
    if (!d || d.reload === "restart") return "restart";
    if (d.reload === "always") return "reload";
    // dockerd keeps a reloaded key's old value when the key is removed; adding one is restarted
    // too, because the reload digest only sees whether such a key is present. A sub-key
    // (`runtimes.gvisor`) changes inside a key that is present before and after.
    return key.includes(".") || (from !== undefined && to !== undefined) ? "reload" : "restart";
}

/** A hint for a name the daemon model does not know: the field of a daemon.json spelling, or why a key is left out. */
export function unknownKeyHint(name: string): string | undefined {
    const d = KEY_BY_NAME.get(name);
    if (d) return `"${name}" is the daemon.json spelling; the field is ${d.field}`;
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const o = OMITTED.find((x) => x.keys.includes(name) || x.keys.includes(kebab));
    return o ? `"${name}" is left out on purpose: ${o.reason}` : undefined;
}
