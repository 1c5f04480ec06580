import { createHash } from "crypto";
import { Issue, error, warning } from "../common/issues";
import { isIpAddress, isLoopback, parseCidr, parseHostPort } from "../common/net";

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

export const STORAGE_DRIVERS = ["overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper"] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

export const LOG_DRIVERS = [
    "json-file", "local", "journald", "syslog", "fluentd", "gelf", "awslogs", "splunk", "gcplogs", "logentries", "etwlogs", "none",
] as const;

/**
 * Typed model of /etc/docker/daemon.json. Unset fields are not written, so dockerd's own default
 * applies, except the hot-reloadable keys (registry-mirrors, insecure-registries, labels, debug,
 * live-restore), which are always written: dockerd keeps a reloaded key's old value when the key
 * is merely removed from the file.
 */
export interface DaemonConfig {
    /** `registry-mirrors`: pull-through mirrors, full URLs with scheme. Default: `[]`. */
    registryMirrors?: string[];
    /** `insecure-registries`: `host:port` or CIDR reached over plain HTTP. Default: `[]`. */
    insecureRegistries?: string[];
    /** `metrics-addr`: Prometheus endpoint `ip:port`. Default: unset (no endpoint). */
    metricsAddr?: string;
    /** `experimental`. Default: unset (false). */
    experimental?: boolean;
    /** `debug`. Default: false. */
    debug?: boolean;
    /** `log-driver`. Default: unset (json-file). */
    logDriver?: string;
    /** `log-opts`, written verbatim (Go templates such as `{{.ImageName}}/{{.Name}}/{{.ID}}` are kept). Default: `{}` (not written). */
    logOpts?: Record<string, string>;
    /** `storage-driver`. Default: unset (dockerd picks overlay2). */
    storageDriver?: StorageDriver;
    /** Extra `storage-opts` entries (`overlay2.size=20G`, ...). Default: `[]`. */
    storageOpts?: string[];
    /** devicemapper direct-lvm; requires `storageDriver: devicemapper`. Default: unset. */
    directLvm?: DirectLvmOptions;
    /** `data-root`. Default: unset (/var/lib/docker). */
    dataRoot?: string;
    /** Deprecated `--graph` / `graph`: mapped to `data-root` with a warning. Default: unset. */
    graph?: string;
    /** `live-restore`. Incompatible with swarm mode. Default: false. */
    liveRestore?: boolean;
    /** `hosts`: listen sockets (`unix://`, `fd://`, `tcp://ip:port`). Default: unset (the unit's `-H fd://`). */
    hosts?: string[];
    /** Allow `tcp://<non-loopback>:port` without TLS (anyone on the network is root). Default: false. */
    allowPlainTcp?: boolean;
    /** TLS for TCP listeners. Default: unset. */
    tls?: DaemonTls;
    /** `labels` as key/value pairs, written as sorted `key=value`. Default: `{}`. */
    labels?: Record<string, string>;
    /** `bip`: docker0 address in CIDR form. Default: unset. */
    bip?: string;
}

/** Keys dockerd re-reads on SIGHUP (`systemctl reload docker`). Everything else needs a restart. */
export const RELOADABLE_KEYS = ["debug", "insecure-registries", "labels", "live-restore", "registry-mirrors"] as const;

function sortObject(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = o[k];
    return out;
}

/** Builds the daemon.json object (keys sorted, stable) from the typed model. */
export function daemonJsonObject(cfg: DaemonConfig): Record<string, unknown> {
    const o: Record<string, unknown> = {
        "debug": cfg.debug ?? false,
        "insecure-registries": [...(cfg.insecureRegistries ?? [])],
        "labels": Object.keys(cfg.labels ?? {}).sort().map((k) => `${k}=${cfg.labels![k]}`),
        "live-restore": cfg.liveRestore ?? false,
        "registry-mirrors": [...(cfg.registryMirrors ?? [])],
    };
    if (cfg.metricsAddr !== undefined) o["metrics-addr"] = cfg.metricsAddr;
    if (cfg.experimental !== undefined) o["experimental"] = cfg.experimental;
    if (cfg.logDriver !== undefined) o["log-driver"] = cfg.logDriver;
    if (cfg.logOpts && Object.keys(cfg.logOpts).length > 0) o["log-opts"] = sortObject(cfg.logOpts);
    if (cfg.storageDriver !== undefined) o["storage-driver"] = cfg.storageDriver;
    const storageOpts = [...directLvmOpts(cfg.directLvm), ...(cfg.storageOpts ?? [])];
    if (storageOpts.length > 0) o["storage-opts"] = storageOpts;
    const dataRoot = cfg.dataRoot ?? cfg.graph;
    if (dataRoot !== undefined) o["data-root"] = dataRoot;
    if (cfg.hosts !== undefined) o["hosts"] = [...cfg.hosts];
    if (cfg.tls) {
        o["tls"] = true;
        o["tlsverify"] = cfg.tls.verify ?? true;
        o["tlscacert"] = cfg.tls.caCert;
        o["tlscert"] = cfg.tls.cert;
        o["tlskey"] = cfg.tls.key;
    }
    if (cfg.bip !== undefined) o["bip"] = cfg.bip;
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
 * Digest of the keys that need a restart. The apply script reloads instead of restarting when this
 * digest is unchanged since the last verified apply (so only hot-reloadable keys changed).
 */
export function restartDigest(cfg: DaemonConfig): string {
    const o = daemonJsonObject(cfg);
    for (const k of RELOADABLE_KEYS) delete o[k];
    return createHash("sha256").update(JSON.stringify(o)).digest("hex").slice(0, 32);
}

const DM_OPTION = /^dm\.[a-z_]+=/;
const OVERLAY2_OPTION = /^overlay2\.(size|override_kernel_check)=/;

/**
 * Validates a daemon config. `engineVersion` ("20.10", "24.0.7"...) enables the version guards;
 * `swarm` says whether the host is a swarm node (live-restore is refused there).
 */
export function validateDaemonConfig(cfg: DaemonConfig, opts: { engineVersion?: string; swarm?: boolean } = {}): Issue[] {
    const issues: Issue[] = [];
    const major = opts.engineVersion ? Number(opts.engineVersion.split(".")[0]) : undefined;
    if (opts.engineVersion !== undefined && !/^\d+(\.\d+){0,2}$/.test(opts.engineVersion)) {
        issues.push(error("engineVersion", `"${opts.engineVersion}" is not a Docker Engine version like "20.10" or "24.0.7"`));
    }

    (cfg.registryMirrors ?? []).forEach((m, i) => {
        let url: URL | undefined;
        try { url = new URL(m); } catch { url = undefined; }
        if (!url || !/^https?:$/.test(url.protocol) || !/^https?:\/\//.test(m)) {
            issues.push(error(`daemon.registryMirrors[${i}]`, `"${m}" is not a mirror URL; dockerd needs a scheme, e.g. "https://mirror.example.com" or "http://10.0.0.5:5000"`));
        } else if (url.pathname !== "/" && url.pathname !== "") {
            issues.push(error(`daemon.registryMirrors[${i}]`, `"${m}" has a path; a mirror is a registry root such as "https://mirror.example.com"`));
        }
    });
    (cfg.insecureRegistries ?? []).forEach((r, i) => {
        if (r.includes("/")) {
            if (!parseCidr(r)) issues.push(error(`daemon.insecureRegistries[${i}]`, `"${r}" is not a valid CIDR (e.g. "10.0.0.0/8")`));
        } else if (/^[0-9.]+(:\d+)?$/.test(r) && !isIpAddress(r.split(":")[0])) {
            issues.push(error(`daemon.insecureRegistries[${i}]`, `"${r}" is not a valid IPv4 address`));
        } else if (!parseHostPort(r) && !isIpAddress(r) && !/^[a-zA-Z0-9.-]+$/.test(r)) {
            issues.push(error(`daemon.insecureRegistries[${i}]`, `"${r}" must be host:port, a host name or a CIDR, without scheme`));
        }
    });
    if (cfg.metricsAddr !== undefined && !parseHostPort(cfg.metricsAddr, { requireIp: true })) {
        issues.push(error("daemon.metricsAddr", `"${cfg.metricsAddr}" must be ip:port, e.g. "0.0.0.0:9323"`));
    }
    if (cfg.logDriver !== undefined && !(LOG_DRIVERS as readonly string[]).includes(cfg.logDriver)) {
        issues.push(error("daemon.logDriver", `unknown log driver "${cfg.logDriver}"; valid: ${LOG_DRIVERS.join(", ")}`));
    }
    for (const [k, v] of Object.entries(cfg.logOpts ?? {})) {
        if (typeof v !== "string") issues.push(error(`daemon.logOpts.${k}`, `log-opts values must be strings (dockerd rejects numbers), got ${JSON.stringify(v)}`));
        if ((k === "max-size") && typeof v === "string" && !/^\d+(\.\d+)?[kmg]?$/i.test(v)) {
            issues.push(error(`daemon.logOpts.${k}`, `"${v}" is not a size such as "10m" or "1g"`));
        }
        if ((k === "max-file") && typeof v === "string" && !/^[1-9]\d*$/.test(v)) {
            issues.push(error(`daemon.logOpts.${k}`, `"${v}" must be a positive whole number as a string, e.g. "3"`));
        }
    }
    if (cfg.logOpts && Object.keys(cfg.logOpts).length > 0 && cfg.logDriver === undefined) {
        issues.push(warning("daemon.logOpts", "log-opts without log-driver apply to the default json-file driver"));
    }

    if (cfg.storageDriver !== undefined && !(STORAGE_DRIVERS as readonly string[]).includes(cfg.storageDriver)) {
        issues.push(error("daemon.storageDriver", `unknown storage driver "${cfg.storageDriver}"; valid: ${STORAGE_DRIVERS.join(", ")}`));
    }
    if (cfg.storageDriver === "devicemapper") {
        if (major !== undefined && major >= 25) {
            issues.push(error("daemon.storageDriver", `devicemapper was removed in Docker Engine 25 (engineVersion is ${opts.engineVersion}); use overlay2`));
        } else {
            issues.push(warning("daemon.storageDriver", "devicemapper is deprecated since Engine 18.09 and removed in 25; plan a move to overlay2"));
        }
    }
    if (cfg.directLvm) {
        if (cfg.storageDriver !== "devicemapper") {
            issues.push(error("daemon.directLvm", `direct-lvm options need storageDriver "devicemapper" (got ${cfg.storageDriver ?? "unset"})`));
        }
        if (!/^\/dev\/\S+$/.test(cfg.directLvm.device ?? "")) {
            issues.push(error("daemon.directLvm.device", `"${cfg.directLvm.device}" must be a block device path such as /dev/xvdf`));
        }
        for (const f of ["thinpPercent", "thinpMetaPercent", "thinpAutoextendThreshold", "thinpAutoextendPercent"] as const) {
            const v = cfg.directLvm[f];
            if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 100)) {
                issues.push(error(`daemon.directLvm.${f}`, `${JSON.stringify(v)} must be a whole percentage between 1 and 100`));
            }
        }
    }
    (cfg.storageOpts ?? []).forEach((o, i) => {
        const driverOk = (cfg.storageDriver === "devicemapper" && DM_OPTION.test(o)) ||
            ((cfg.storageDriver ?? "overlay2") === "overlay2" && OVERLAY2_OPTION.test(o)) ||
            (!!cfg.storageDriver && !["devicemapper", "overlay2"].includes(cfg.storageDriver) && o.startsWith(`${cfg.storageDriver.split("-")[0]}.`));
        if (!driverOk) {
            issues.push(error(`daemon.storageOpts[${i}]`, `"${o}" is not an option of storage driver ${cfg.storageDriver ?? "overlay2 (default)"}`));
        }
    });

    if (cfg.graph !== undefined) {
        if (cfg.dataRoot !== undefined && cfg.dataRoot !== cfg.graph) {
            issues.push(error("daemon.graph", `graph ("${cfg.graph}") and dataRoot ("${cfg.dataRoot}") disagree; graph is the old name of data-root, keep only dataRoot`));
        } else {
            issues.push(warning("daemon.graph", `graph is the pre-17.05 name of data-root; written as "data-root": "${cfg.graph}"`));
        }
    }
    const root = cfg.dataRoot ?? cfg.graph;
    if (root !== undefined && !/^\/\S*$/.test(root)) {
        issues.push(error(cfg.dataRoot !== undefined ? "daemon.dataRoot" : "daemon.graph", `"${root}" must be an absolute path`));
    }

    if (cfg.liveRestore && opts.swarm) {
        issues.push(error("daemon.liveRestore", "live-restore is incompatible with swarm mode (dockerd refuses to start); set it false on swarm nodes"));
    }

    (cfg.hosts ?? []).forEach((h, i) => {
        const field = `daemon.hosts[${i}]`;
        const m = /^(unix|fd|tcp):\/\/(.*)$/.exec(h);
        if (!m) {
            issues.push(error(field, `"${h}" must be unix:///path, fd:// or tcp://ip:port`));
            return;
        }
        if (m[1] !== "tcp") return;
        const hp = parseHostPort(m[2], { requireIp: false });
        if (!hp) {
            issues.push(error(field, `"${h}" must be tcp://ip:port`));
            return;
        }
        const loop = isLoopback(hp.host);
        if (hp.port === 2376 || cfg.tls) {
            if (!cfg.tls) issues.push(error(field, `"${h}" is the TLS port; set daemon.tls with caCert, cert and key paths`));
        } else if (!loop && !cfg.allowPlainTcp) {
            issues.push(error(field, `"${h}" exposes the Docker API without TLS on a non-loopback address (root for anyone who can reach it); use tcp://127.0.0.1:${hp.port}, add daemon.tls, or set daemon.allowPlainTcp: true`));
        }
    });
    if (cfg.tls) {
        for (const f of ["caCert", "cert", "key"] as const) {
            if (!/^\/\S+$/.test(cfg.tls[f] ?? "")) issues.push(error(`daemon.tls.${f}`, `must be an absolute path on the host`));
        }
    }
    if (cfg.bip !== undefined) {
        const c = parseCidr(cfg.bip);
        if (!c || c[0].kind() !== "ipv4") issues.push(error("daemon.bip", `"${cfg.bip}" must be an IPv4 address with prefix, e.g. "172.26.0.1/16"`));
    }
    for (const [k, v] of Object.entries(cfg.labels ?? {})) {
        if (!/^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/.test(k)) issues.push(error(`daemon.labels.${k}`, `label key "${k}" may only hold letters, digits, ".", "_", "/" and "-"`));
        if (typeof v !== "string") issues.push(error(`daemon.labels.${k}`, `label values must be strings`));
    }
    return issues;
}
