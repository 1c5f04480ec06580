// Meaning checks of a daemon config, before any host is touched: what dockerd would refuse at
// start (or accept and then misbehave on). Pure; each issue names the DaemonConfig field.
import { Issue, error, warning } from "../common/issues";
import { cidrContains, cidrsOverlap, isHostname, isIpAddress, parseCidr } from "../common/net";
import type { DaemonConfig } from "./daemon-config";
import { atLeast, parseEngineVersion } from "../common/rules";
import { DAEMON_KEYS } from "./daemon-keys";

const TAGGING = ["env", "env-regex", "labels", "labels-regex", "tag"];

/** log-opts each driver accepts (moby daemon/logger/<driver> ValidateLogOpt, 20.10–27). */
export const LOG_OPTS: Readonly<Record<string, readonly string[]>> = {
    "json-file": ["max-size", "max-file", "compress", ...TAGGING],
    "local": ["max-size", "max-file", "compress"],
    "journald": TAGGING,
    "syslog": [...TAGGING, "syslog-address", "syslog-facility", "syslog-tls-ca-cert", "syslog-tls-cert", "syslog-tls-key", "syslog-tls-skip-verify", "syslog-format"],
    "fluentd": [...TAGGING, "fluentd-address", "fluentd-async", "fluentd-async-connect", "fluentd-async-reconnect-interval", "fluentd-buffer-limit",
        "fluentd-max-retries", "fluentd-request-ack", "fluentd-retry-wait", "fluentd-sub-second-precision"],
    "gelf": [...TAGGING, "gelf-address", "gelf-compression-type", "gelf-compression-level", "gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay"],
    "awslogs": ["tag", "awslogs-region", "awslogs-endpoint", "awslogs-group", "awslogs-stream", "awslogs-create-group", "awslogs-create-stream",
        "awslogs-datetime-format", "awslogs-multiline-pattern", "awslogs-credentials-endpoint", "awslogs-force-flush-interval-seconds",
        "awslogs-max-buffered-events", "awslogs-format"],
    "splunk": [...TAGGING, "splunk-url", "splunk-token", "splunk-source", "splunk-sourcetype", "splunk-index", "splunk-capath", "splunk-caname",
        "splunk-insecureskipverify", "splunk-format", "splunk-verify-connection", "splunk-gzip", "splunk-gzip-level", "splunk-index-acknowledgment"],
    "gcplogs": ["gcp-project", "labels", "labels-regex", "env", "env-regex", "gcp-log-cmd", "gcp-meta-zone", "gcp-meta-name", "gcp-meta-id"],
    "logentries": [...TAGGING, "logentries-token", "logentries-line-only"],
    "none": [],
};
/** Accepted with every driver but none: delivery mode and dual logging's cache (moby daemon/logger/factory.go). */
export const COMMON_LOG_OPTS = ["mode", "max-buffer-size", "cache-disabled", "cache-max-size", "cache-max-file", "cache-compress"];
/** Options dockerd refuses to start without. */
const REQUIRED_LOG_OPTS: Record<string, string[]> = { awslogs: ["awslogs-group"], gelf: ["gelf-address"], splunk: ["splunk-url", "splunk-token"] };

interface StorageOpt { name: string; since?: string; removedIn?: string; note?: string }
/** storage-opts each driver accepts (moby daemon/graphdriver/<driver> parseOptions); devicemapper takes any `dm.*`. */
export const STORAGE_OPTS: Readonly<Record<string, readonly StorageOpt[]>> = {
    "overlay2": [{ name: "overlay2.size" }, { name: "overlay2.override_kernel_check", removedIn: "24.0", note: "ignored since Engine 20.10" }],
    "fuse-overlayfs": [],
    "btrfs": [{ name: "btrfs.min_space" }],
    "zfs": [{ name: "zfs.fsname" }],
    "vfs": [{ name: "size" }, { name: "vfs.xattrs", since: "25.0" }],
};

const ULIMITS = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];
const SIZE = /^\d+(\.\d+)?\s*([kmgtp]i?)?b?$/i;
const isAbsolute = (p: string) => /^\/\S*$/.test(p);
const isInt = (v: unknown): v is number => Number.isInteger(v);

/** Meaning checks; the caller (validateDaemonConfig) has already checked the value shapes. */
export function meaningIssues(cfg: DaemonConfig, opts: { engineVersion?: string } = {}): Issue[] {
    const issues: Issue[] = [];
    const engine = parseEngineVersion(opts.engineVersion);
    const before = (v: string) => !!engine && !atLeast(engine, v);
    const err = (field: string, msg: string) => issues.push(error(`daemon.${field}`, msg));
    const warn = (field: string, msg: string) => issues.push(warning(`daemon.${field}`, msg));

    // Duplicates in any list key of the table: dockerd keeps them (or refuses), never what was meant.
    const model = cfg as Record<string, unknown>;
    for (const d of DAEMON_KEYS) {
        const list = model[d.field];
        if (d.kind !== "strings" || !Array.isArray(list)) continue;
        list.forEach((x, i) => {
            if (list.indexOf(x) !== i) err(`${d.field}[${i}]`, `"${x}" is listed twice in "${d.key}" (first at [${list.indexOf(x)}])`);
        });
    }

    // --- bridge network: bip, bridge, fixed-cidr(-v6), gateways, pools
    const bip = cfg.bip !== undefined ? parseCidr(cfg.bip) : undefined;
    const bipOk = !!bip && bip[0].kind() === "ipv4";
    if (cfg.bip !== undefined && cfg.bridge !== undefined) {
        err("bridge", `"bridge" and "bip" cannot both be set (dockerd refuses to start): bip configures the docker0 it creates, bridge uses an existing one`);
    }
    if (cfg.bridge !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(cfg.bridge)) err("bridge", `"${cfg.bridge}" is not a network interface name (at most 15 letters, digits, "_", ".", "-")`);
    if (cfg.fixedCidr !== undefined) {
        const c = parseCidr(cfg.fixedCidr);
        if (!c || c[0].kind() !== "ipv4") err("fixedCidr", `"${cfg.fixedCidr}" must be an IPv4 CIDR, e.g. "172.26.5.0/24"`);
        else if (bipOk && !cidrContains(cfg.bip!, cfg.fixedCidr)) err("fixedCidr", `"${cfg.fixedCidr}" is not inside bip's network ${cfg.bip}; containers would get addresses docker0 cannot route`);
    }
    if (cfg.fixedCidrV6 !== undefined) {
        const c = parseCidr(cfg.fixedCidrV6);
        if (!c || c[0].kind() !== "ipv6") err("fixedCidrV6", `"${cfg.fixedCidrV6}" must be an IPv6 CIDR, e.g. "fd00:1::/64"`);
        else if (cfg.ipv6 !== true) warn("fixedCidrV6", `fixed-cidr-v6 has no effect without ipv6: true`);
    }
    if (cfg.defaultGateway !== undefined) {
        const net = cfg.fixedCidr ?? cfg.bip;
        if (!isIpAddress(cfg.defaultGateway) || cfg.defaultGateway.includes(":")) err("defaultGateway", `"${cfg.defaultGateway}" must be an IPv4 address`);
        else if (net !== undefined && cidrContains(net, cfg.defaultGateway) === false) err("defaultGateway", `${cfg.defaultGateway} is not inside ${cfg.fixedCidr !== undefined ? "fixed-cidr" : "bip"}'s network ${net}; containers could not reach their gateway`);
    }
    if (cfg.defaultGatewayV6 !== undefined) {
        if (!isIpAddress(cfg.defaultGatewayV6) || !cfg.defaultGatewayV6.includes(":")) err("defaultGatewayV6", `"${cfg.defaultGatewayV6}" must be an IPv6 address`);
        else if (cfg.fixedCidrV6 !== undefined && cidrContains(cfg.fixedCidrV6, cfg.defaultGatewayV6) === false) err("defaultGatewayV6", `${cfg.defaultGatewayV6} is not inside fixed-cidr-v6 ${cfg.fixedCidrV6}`);
    }
    (cfg.defaultAddressPools ?? []).forEach((p, i) => {
        const f = `defaultAddressPools[${i}]`;
        const base = typeof p.base === "string" ? parseCidr(p.base) : undefined;
        if (!base) {
            err(`${f}.base`, `${JSON.stringify(p.base)} must be a CIDR, e.g. "10.10.0.0/16"`);
            return;
        }
        const max = base[0].kind() === "ipv4" ? 32 : 128;
        if (!isInt(p.size) || p.size < base[1] || p.size > max) {
            err(`${f}.size`, `${JSON.stringify(p.size)} must be a prefix length between the base's /${base[1]} and ${max}`);
        }
        if (bipOk && cidrsOverlap(p.base, cfg.bip!)) err(`${f}.base`, `${p.base} overlaps bip's network ${cfg.bip}`);
        (cfg.defaultAddressPools ?? []).slice(0, i).forEach((q, j) => {
            if (typeof q.base === "string" && cidrsOverlap(p.base, q.base)) err(`${f}.base`, `${p.base} overlaps defaultAddressPools[${j}] (${q.base})`);
        });
    });
    (cfg.dns ?? []).forEach((d, i) => {
        if (!isIpAddress(d)) err(`dns[${i}]`, `"${d}" must be an IP address (dockerd does not resolve DNS server names)`);
    });
    (cfg.dnsSearch ?? []).forEach((d, i) => {
        if (d !== "." && !isHostname(d.replace(/\.$/, ""))) err(`dnsSearch[${i}]`, `"${d}" is not a domain name`);
    });
    for (const f of ["ip", "hostGatewayIp"] as const) {
        const v = cfg[f];
        if (v !== undefined && !isIpAddress(v)) err(f, `"${v}" must be an IP address`);
    }
    for (const f of ["mtu", "networkControlPlaneMtu"] as const) {
        const v = cfg[f];
        if (v !== undefined && !(v >= 68 && v <= 65535)) err(f, `${v} is not an MTU; use 68–65535 (1500 on most networks, 1450 under VXLAN)`);
    }
    if (cfg.iptables === false && cfg.ipMasq === true) warn("ipMasq", "ip-masq needs iptables; with iptables: false no masquerading rule is written");
    if (cfg.ipForward === false) warn("ipForward", "with ip-forward: false dockerd leaves net.ipv4.ip_forward as the host has it; containers reach other networks only if the host forwards");
    if (cfg.ip6tables === true && before("27.0") && cfg.experimental !== true) {
        err("ip6tables", `ip6tables needs experimental: true before Docker Engine 27.0 (dockerd refuses to start); host engine is ${opts.engineVersion}`);
    }
    if (cfg.networkDiagnosticPort !== undefined && !(cfg.networkDiagnosticPort >= 0 && cfg.networkDiagnosticPort <= 65535)) {
        err("networkDiagnosticPort", `${cfg.networkDiagnosticPort} is not a TCP port (0 turns the server off)`);
    }

    // --- logging
    if (cfg.logLevel !== undefined && !["debug", "info", "warn", "error", "fatal"].includes(cfg.logLevel)) {
        err("logLevel", `"${cfg.logLevel}" is not a log level; valid: debug, info, warn, error, fatal`);
    }
    if (cfg.logFormat !== undefined && !["text", "json"].includes(cfg.logFormat)) err("logFormat", `"${cfg.logFormat}" must be "text" or "json"`);
    const driver = cfg.logDriver ?? "json-file";
    if (driver === "etwlogs") err("logDriver", `etwlogs is a Windows-only log driver`);
    if (driver === "logentries" && engine && atLeast(engine, "25.0")) err("logDriver", `the logentries driver was removed in Docker Engine 25.0; host engine is ${opts.engineVersion}`);
    const allowed = LOG_OPTS[driver];
    const logOpts = cfg.logOpts ?? {};
    if (allowed) {
        if (driver === "none" && Object.keys(logOpts).length > 0) warn("logOpts", "log-opts are ignored with log-driver none");
        for (const o of Object.keys(logOpts)) {
            if (driver === "none" || allowed.includes(o) || COMMON_LOG_OPTS.includes(o)) continue;
            const owner = Object.keys(LOG_OPTS).find((d) => LOG_OPTS[d].includes(o));
            err(`logOpts.${o}`, `"${o}" is not an option of log driver ${driver}${cfg.logDriver === undefined ? " (the default)" : ""}${owner ? ` (it belongs to ${owner})` : ""}; valid: ${allowed.join(", ")}`);
        }
        for (const r of REQUIRED_LOG_OPTS[driver] ?? []) {
            if (logOpts[r] === undefined) err("logOpts", `log driver ${driver} needs the option "${r}" (dockerd refuses to start without it)`);
        }
    }
    if (driver === "json-file" && logOpts["max-file"] !== undefined && logOpts["max-size"] === undefined) {
        warn("logOpts.max-file", "max-file has no effect without max-size for json-file: the log is never rotated");
    }
    if (logOpts["mode"] !== undefined && !["blocking", "non-blocking"].includes(logOpts["mode"])) err("logOpts.mode", `"${logOpts["mode"]}" must be "blocking" or "non-blocking"`);
    if (logOpts["max-buffer-size"] !== undefined) {
        if (logOpts["mode"] !== "non-blocking") err("logOpts.max-buffer-size", `max-buffer-size needs mode "non-blocking"`);
        else if (!SIZE.test(logOpts["max-buffer-size"])) err("logOpts.max-buffer-size", `"${logOpts["max-buffer-size"]}" is not a size such as "4m"`);
    }
    for (const b of ["compress", "cache-disabled", "cache-compress", "fluentd-async", "awslogs-create-group"]) {
        const v = logOpts[b];
        if (v !== undefined && !/^(true|false|1|0)$/i.test(v)) err(`logOpts.${b}`, `"${v}" must be "true" or "false"`);
    }

    // --- storage
    const sd = cfg.storageDriver ?? "overlay2";
    (cfg.storageOpts ?? []).forEach((o, i) => {
        const f = `storageOpts[${i}]`;
        const name = /^([^=]+)=/.exec(o)?.[1]?.toLowerCase();
        if (!name) {
            err(f, `"${o}" must be option=value, e.g. "overlay2.size=20G"`);
            return;
        }
        if (sd === "devicemapper") {
            if (!name.startsWith("dm.")) err(f, `"${o}" is not an option of storage driver devicemapper (dm.* only)`);
            return;
        }
        const known = STORAGE_OPTS[sd]?.find((s) => s.name === name);
        const driverText = `${sd}${cfg.storageDriver === undefined ? " (default)" : ""}`;
        if (!known) {
            const valid = (STORAGE_OPTS[sd] ?? []).map((s) => s.name);
            err(f, `"${o}" is not an option of storage driver ${driverText}; valid: ${valid.length ? valid.join(", ") : "none"}`);
        } else if (known.removedIn && engine && atLeast(engine, known.removedIn)) {
            err(f, `${name} was removed in Docker Engine ${known.removedIn} (dockerd refuses to start); host engine is ${opts.engineVersion}; remove it`);
        } else if (known.removedIn) {
            warn(f, `${name} is ${known.note ?? "deprecated"} and refused from Engine ${known.removedIn}; remove it`);
        } else if (known.since && before(known.since)) {
            err(f, `${name} needs Docker Engine ${known.since} or later; host engine is ${opts.engineVersion}`);
        } else if (name.endsWith(".size") || name === "size") {
            if (!SIZE.test(o.slice(name.length + 1))) err(f, `"${o.slice(name.length + 1)}" is not a size such as "20G"`);
        }
    });

    // --- runtimes and exec options
    const stock = ["runc", ...(before("23.0") ? [] : ["io.containerd.runc.v2"])];
    const runtimes = cfg.runtimes ?? {};
    for (const [name, r] of Object.entries(runtimes)) {
        const f = `runtimes.${name}`;
        if (stock.includes(name)) err(f, `runtime name "${name}" is reserved (built in); pick another name`);
        if (r === null || typeof r !== "object") {
            err(f, `must be an object {path, runtimeArgs?}`);
            continue;
        }
        if (r.path === undefined && r.runtimeType === undefined) err(f, `needs "path" (the runtime binary)${before("23.0") ? "" : " or \"runtimeType\" (a containerd shim)"}`);
        if (r.runtimeType !== undefined && before("23.0")) err(`${f}.runtimeType`, `runtimeType needs Docker Engine 23.0 or later; host engine is ${opts.engineVersion}`);
        if (r.path !== undefined && r.runtimeType !== undefined) err(f, `"path" and "runtimeType" exclude each other`);
        if (r.options !== undefined && r.runtimeType === undefined) err(`${f}.options`, `options are for a runtimeType (containerd shim) only`);
    }
    if (cfg.defaultRuntime !== undefined && !stock.includes(cfg.defaultRuntime) && !(cfg.defaultRuntime in runtimes)) {
        err("defaultRuntime", `"${cfg.defaultRuntime}" is neither ${stock.join(" nor ")} nor a key of runtimes (${Object.keys(runtimes).join(", ") || "none defined"})`);
    }
    let cgroupDriver: string | undefined;
    (cfg.execOpts ?? []).forEach((o, i) => {
        const m = /^([^=]+)=(.*)$/.exec(o);
        const key = m?.[1].trim().toLowerCase();
        if (key === "native.cgroupdriver") {
            if (!["systemd", "cgroupfs"].includes(m![2].trim())) err(`execOpts[${i}]`, `"${o}": the cgroup driver must be systemd or cgroupfs`);
            else cgroupDriver = m![2].trim();
        } else if (key === "isolation") {
            err(`execOpts[${i}]`, `"${o}": isolation is a Windows-only exec option`);
        } else {
            err(`execOpts[${i}]`, `"${o}" is not an exec option; on Linux the only one is native.cgroupdriver=systemd|cgroupfs`);
        }
    });
    if (cfg.cgroupParent !== undefined && cgroupDriver === "systemd" && !/^[^/]+\.slice$/.test(cfg.cgroupParent)) {
        err("cgroupParent", `"${cfg.cgroupParent}" must be a slice name such as "docker.slice" with the systemd cgroup driver`);
    }
    if (cfg.defaultIpcMode !== undefined && !["private", "shareable"].includes(cfg.defaultIpcMode)) err("defaultIpcMode", `"${cfg.defaultIpcMode}" must be "private" or "shareable"`);
    if (cfg.defaultCgroupnsMode !== undefined && !["private", "host"].includes(cfg.defaultCgroupnsMode)) err("defaultCgroupnsMode", `"${cfg.defaultCgroupnsMode}" must be "private" or "host"`);
    if (cfg.defaultShmSize !== undefined && (!SIZE.test(cfg.defaultShmSize) || parseFloat(cfg.defaultShmSize) <= 0)) {
        err("defaultShmSize", `"${cfg.defaultShmSize}" is not a size such as "64M" or "1G"`);
    }
    if (cfg.usernsRemap !== undefined && !/^(default|([a-z_][a-z0-9_.-]*|\d+)(:([a-z_][a-z0-9_.-]*|\d+))?)$/i.test(cfg.usernsRemap)) {
        err("usernsRemap", `"${cfg.usernsRemap}" must be "default" or user[:group] (names or numeric ids)`);
    }
    for (const [name, u] of Object.entries(cfg.defaultUlimits ?? {})) {
        const f = `defaultUlimits.${name}`;
        if (!ULIMITS.includes(name)) err(f, `"${name}" is not a ulimit; valid: ${ULIMITS.join(", ")}`);
        if (u === null || typeof u !== "object" || !isInt(u.Hard) || !isInt(u.Soft) || typeof u.Name !== "string") {
            err(f, `must be {Name: "${name}", Hard: <integer>, Soft: <integer>}, got ${JSON.stringify(u)}`);
            continue;
        }
        if (u.Name !== name) err(`${f}.Name`, `"${u.Name}" must equal its key "${name}"`);
        if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard)) err(`${f}.Soft`, `soft limit ${u.Soft} is above the hard limit ${u.Hard}`);
    }

    // --- counts and timeouts
    if (cfg.shutdownTimeout !== undefined && cfg.shutdownTimeout < 0) err("shutdownTimeout", `${cfg.shutdownTimeout} must be 0 or more seconds`);
    for (const f of ["maxConcurrentDownloads", "maxConcurrentUploads", "maxDownloadAttempts"] as const) {
        const v = cfg[f];
        if (v !== undefined && v < 1) err(f, `${v} must be at least 1`);
    }
    if (cfg.oomScoreAdjust !== undefined && !(cfg.oomScoreAdjust >= -1000 && cfg.oomScoreAdjust <= 1000)) err("oomScoreAdjust", `${cfg.oomScoreAdjust} must be between -1000 and 1000`);
    for (const f of ["cpuRtPeriod", "cpuRtRuntime"] as const) {
        const v = cfg[f];
        if (v !== undefined && v < 0) err(f, `${v} must be 0 or more microseconds`);
    }
    if (cfg.cpuRtRuntime !== undefined && cfg.cpuRtPeriod !== undefined && cfg.cpuRtRuntime > cfg.cpuRtPeriod) err("cpuRtRuntime", `${cfg.cpuRtRuntime} exceeds cpu-rt-period ${cfg.cpuRtPeriod}`);

    // --- paths and names
    for (const f of ["execRoot", "pidfile", "userlandProxyPath", "containerd", "initPath"] as const) {
        const v = cfg[f];
        if (v !== undefined && !isAbsolute(v)) err(f, `"${v}" must be an absolute path`);
    }
    (cfg.cdiSpecDirs ?? []).forEach((d, i) => {
        if (!isAbsolute(d)) err(`cdiSpecDirs[${i}]`, `"${d}" must be an absolute path`);
    });
    if (cfg.seccompProfile !== undefined && !["builtin", "unconfined"].includes(cfg.seccompProfile) && !isAbsolute(cfg.seccompProfile)) {
        err("seccompProfile", `"${cfg.seccompProfile}" must be an absolute path, "builtin" or "unconfined"`);
    }
    if (cfg.seccompProfile === "unconfined") warn("seccompProfile", "unconfined turns seccomp off for every container");
    (cfg.nodeGenericResources ?? []).forEach((r, i) => {
        if (!/^[A-Za-z0-9_.-]+=\S+$/.test(r)) err(`nodeGenericResources[${i}]`, `"${r}" must be NAME=VALUE, e.g. "gpu=2" or "GPU=UUID1"`);
    });
    for (const [name, v] of Object.entries(cfg.features ?? {})) {
        if (typeof v !== "boolean") err(`features.${name}`, `must be true or false, got ${JSON.stringify(v)}`);
    }
    return issues;
}
