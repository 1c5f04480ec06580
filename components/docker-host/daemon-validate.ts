// Validation of a daemon config before any host is touched: value shapes and engine-version
// guards from the key table, the checks of single keys here, the meaning checks of
// daemon-checks.ts. Apart from daemon-config.ts (model and rendering), which both import.
import { Issue, error, warning } from "../common/issues";
import { isIpAddress, isLoopback, parseCidr, parseHostPort } from "../common/net";
import { DEVICEMAPPER_REMOVED_IN, atLeast, devicemapperRemoved, isEngineVersion, parseEngineVersion, tcpListenerProblem } from "../common/rules";
import { DAEMON_KEYS, KeyKind } from "./daemon-keys";
import { DaemonConfig, LOG_DRIVERS, STORAGE_DRIVERS } from "./daemon-config";
import { meaningIssues } from "./daemon-checks";

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Whether a model value has the shape of its kind (library users bypass the stack config schema). */
function kindProblem(kind: KeyKind, v: unknown): string | undefined {
    switch (kind) {
        case "boolean": return typeof v === "boolean" ? undefined : "must be true or false";
        case "integer": return Number.isInteger(v) ? undefined : "must be a whole number";
        case "string": return typeof v === "string" ? undefined : "must be a string";
        case "strings": return Array.isArray(v) && v.every((x) => typeof x === "string") ? undefined : "must be a list of strings";
        case "addressPools": return Array.isArray(v) && v.every(isPlainObject) ? undefined : "must be a list of {base, size}";
        case "model": return undefined;
        default: return isPlainObject(v) ? undefined : "must be an object (map)";
    }
}

/** Shape and engine-version guards for every set field, from the key table. */
export function tableIssues(cfg: DaemonConfig, engineVersion?: string): { issues: Issue[]; badFields: Set<string> } {
    const issues: Issue[] = [];
    const badFields = new Set<string>();
    const model = cfg as Record<string, unknown>;
    const engine = parseEngineVersion(engineVersion);
    const seen = new Set<string>();
    for (const d of DAEMON_KEYS) {
        if (seen.has(d.field)) continue;
        seen.add(d.field);
        const v = model[d.field];
        if (v === undefined) continue;
        const p = kindProblem(d.kind, v);
        if (p) {
            issues.push(error(`daemon.${d.field}`, `"${d.key}" ${p}, got ${JSON.stringify(v)}`));
            badFields.add(d.field);
            continue;
        }
        const field = `daemon.${d.field}`;
        if (engine && d.since && !atLeast(engine, d.since)) {
            issues.push(error(field, `"${d.key}" needs Docker Engine ${d.since} or later; host engine is ${engineVersion}`));
        } else if (engine && d.removedIn && atLeast(engine, d.removedIn)) {
            issues.push(error(field, `"${d.key}" was removed in Docker Engine ${d.removedIn}; host engine is ${engineVersion}${d.deprecated ? `; ${d.deprecated.hint}` : ""}`));
        } else if (d.deprecated && (!engine || atLeast(engine, d.deprecated.since))) {
            issues.push(warning(field, `"${d.key}" is deprecated since Docker Engine ${d.deprecated.since}${d.removedIn ? ` and removed in ${d.removedIn}` : ""}; ${d.deprecated.hint}`));
        }
    }
    return { issues, badFields };
}

/**
 * Validates a daemon config. `engineVersion` ("20.10", "24.0.7"...) enables the version guards;
 * `swarm` says whether the host is a swarm node (live-restore is refused there).
 */
export function validateDaemonConfig(input: DaemonConfig, opts: { engineVersion?: string; swarm?: boolean } = {}): Issue[] {
    const issues: Issue[] = [];
    if (opts.engineVersion !== undefined && !isEngineVersion(opts.engineVersion)) {
        issues.push(error("engineVersion", `"${opts.engineVersion}" is not a Docker Engine version like "20.10" or "24.0.7"`));
    }
    const table = tableIssues(input, opts.engineVersion);
    issues.push(...table.issues);
    // Fields of the wrong shape are reported once, above, and not looked into.
    const cfg: DaemonConfig = { ...input };
    for (const f of table.badFields) delete (cfg as Record<string, unknown>)[f];
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
        if (devicemapperRemoved(opts.engineVersion)) {
            issues.push(error("daemon.storageDriver", `devicemapper was removed in Docker Engine ${DEVICEMAPPER_REMOVED_IN} (engineVersion is ${opts.engineVersion}); use overlay2`));
        } else {
            issues.push(warning("daemon.storageDriver", `devicemapper is deprecated since Engine 18.09 and removed in ${DEVICEMAPPER_REMOVED_IN}; plan a move to overlay2`));
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
        if (hp.port === 2376 && !cfg.tls && isLoopback(hp.host)) {
            issues.push(error(field, `"${h}" is the TLS port; set daemon.tls with caCert, cert and key paths`));
        }
        const problem = tcpListenerProblem(h, { tls: !!cfg.tls, verify: !!cfg.tls && cfg.tls.verify !== false });
        if (problem) issues.push(error(field, problem));
    });
    if (cfg.allowPlainTcp) {
        issues.push(error("daemon.allowPlainTcp", "is withdrawn: a Docker API on TCP off loopback requires TLS with client verification (CIS Docker 2.6); remove allowPlainTcp and set daemon.tls, or listen on loopback and reach it over SSH"));
    }
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
    issues.push(...meaningIssues(cfg, { engineVersion: opts.engineVersion }));
    return issues;
}
