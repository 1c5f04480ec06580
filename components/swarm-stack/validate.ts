import * as pulumi from "@pulumi/pulumi";
import { DURATION_HINT, isGoDuration } from "../common/duration";
import { Issue, error, nest } from "../common/issues";
import { validateNfs } from "../nfs-volume/nfs";
import {
    DEFAULT_NETWORK, HealthcheckSpec, MountSpec, PortSpec, ResourceSpec, ServiceSpec, STACK_NAMESPACE_LABEL, SwarmStackArgs, UpdateSpec,
    serviceFullName,
} from "./spec";
import { cpusToNano, memoryBytes } from "./units";
import { envSecretIssues, validateFileRefs, validateStackFiles } from "./validate-files";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_HINT = "must start with a letter or digit and contain only letters, digits, _ . - (docker object names)";
const TZ = /^(UTC|[A-Z][A-Za-z_-]*(\/[A-Za-z0-9_+-]+)+)$/;
/** `node.role == manager`, `node.labels.zone != b`, `engine.labels.os == linux`, … */
const CONSTRAINT = /^\s*(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[^\s=!]+)|engine\.labels\.[^\s=!]+)\s*(==|!=)\s*(\S(.*\S)?)\s*$/;

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const q = (v: unknown) => JSON.stringify(v);

function duration(issues: Issue[], field: string, v: unknown) {
    if (v === undefined) return;
    if (typeof v !== "string" || !isGoDuration(v)) issues.push(error(field, `${q(v)} is not ${DURATION_HINT}`));
}

function oneOf(issues: Issue[], field: string, v: unknown, allowed: readonly string[]) {
    if (v !== undefined && !allowed.includes(v as string)) issues.push(error(field, `${q(v)} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`));
}

function labels(issues: Issue[], field: string, l: unknown) {
    if (l === undefined) return;
    if (typeof l !== "object" || l === null || Array.isArray(l)) return void issues.push(error(field, "must be a map of label name to string value"));
    for (const [k, v] of Object.entries(l)) {
        if (!k || /\s/.test(k)) issues.push(error(`${field}.${k}`, "label names must be non-empty without whitespace"));
        if (typeof v !== "string") issues.push(error(`${field}.${k}`, `${q(v)} must be a string (quote numbers and booleans)`));
        if (k === STACK_NAMESPACE_LABEL) issues.push(error(`${field}.${k}`, "is set by dockfleet to the stack name; remove it"));
    }
}

export function validateHealthcheck(h: HealthcheckSpec): Issue[] {
    const issues: Issue[] = [];
    if (!Array.isArray(h.test) || h.test.length === 0) {
        issues.push(error("test", 'is required: ["CMD", "prog", "arg"…], ["CMD-SHELL", "shell command"] or ["NONE"]'));
    } else if (!["CMD", "CMD-SHELL", "NONE"].includes(h.test[0])) {
        issues.push(error("test", `must start with "CMD", "CMD-SHELL" or "NONE", got ${q(h.test[0])} (write ["CMD-SHELL", ${q(h.test.join(" "))}] for a shell command)`));
    } else if (h.test[0] === "CMD-SHELL" && h.test.length !== 2) {
        issues.push(error("test", `CMD-SHELL takes exactly one shell command string, got ${h.test.length - 1}`));
    } else if (h.test[0] === "CMD" && h.test.length < 2) {
        issues.push(error("test", "CMD needs a program to run"));
    }
    duration(issues, "interval", h.interval);
    duration(issues, "timeout", h.timeout);
    duration(issues, "startPeriod", h.startPeriod);
    if (h.retries !== undefined && !isInt(h.retries, 1)) issues.push(error("retries", `${q(h.retries)} must be an integer ≥ 1`));
    // No rule between timeout and interval: Docker never overlaps checks, the interval runs from
    // the end of one check to the start of the next (moby daemon/health.go), so any pair works.
    return issues;
}

export function validateUpdate(u: UpdateSpec, kind: "update" | "rollback"): Issue[] {
    const issues: Issue[] = [];
    if (u.parallelism !== undefined && !isInt(u.parallelism, 0)) issues.push(error("parallelism", `${q(u.parallelism)} must be an integer ≥ 0 (0 = all at once)`));
    duration(issues, "delay", u.delay);
    duration(issues, "monitor", u.monitor);
    oneOf(issues, "failureAction", u.failureAction, kind === "update" ? ["pause", "continue", "rollback"] : ["pause", "continue"]);
    oneOf(issues, "order", u.order, ["stop-first", "start-first"]);
    if (u.maxFailureRatio !== undefined && !(typeof u.maxFailureRatio === "number" && u.maxFailureRatio >= 0 && u.maxFailureRatio <= 1)) {
        issues.push(error("maxFailureRatio", `${q(u.maxFailureRatio)} must be a number from 0 to 1`));
    }
    return issues;
}

function validateResource(r: ResourceSpec): Issue[] {
    const issues: Issue[] = [];
    if (r.cpus !== undefined && r.nanoCpus !== undefined) issues.push(error("cpus", "set cpus or nanoCpus, not both"));
    if (r.cpus !== undefined && cpusToNano(r.cpus) === undefined) issues.push(error("cpus", `${q(r.cpus)} must be a positive decimal number of CPUs such as "0.5" or "2"`));
    if (r.nanoCpus !== undefined && !isInt(r.nanoCpus, 1_000_000)) issues.push(error("nanoCpus", `${q(r.nanoCpus)} must be an integer ≥ 1000000 (0.001 CPU)`));
    if (r.memory !== undefined) {
        const b = typeof r.memory === "string" ? memoryBytes(r.memory) : undefined;
        if (b === undefined) issues.push(error("memory", `${q(r.memory)} is not a memory size such as "512M", "1G" or "1048576" (units b, k, m, g, t)`));
        else if (b < 6 * 1024 * 1024) issues.push(error("memory", `${q(r.memory)} is below docker's 6M minimum`));
    }
    return issues;
}

function validatePort(p: PortSpec): Issue[] {
    const issues: Issue[] = [];
    if (!isInt(p.target, 1, 65535)) issues.push(error("target", `${q(p.target)} must be a port number 1-65535`));
    if (p.published !== undefined && !isInt(p.published, 1, 65535)) issues.push(error("published", `${q(p.published)} must be a port number 1-65535`));
    oneOf(issues, "protocol", p.protocol, ["tcp", "udp"]);
    oneOf(issues, "mode", p.mode, ["ingress", "host"]);
    return issues;
}

function validateMount(m: MountSpec, a: SwarmStackArgs): Issue[] {
    const issues: Issue[] = [];
    oneOf(issues, "type", m.type, ["bind", "volume", "nfs"]);
    if (typeof m.target !== "string" || !m.target.startsWith("/")) issues.push(error("target", `${q(m.target)} must be an absolute container path`));
    if (m.type === "bind" && (typeof m.source !== "string" || !m.source.startsWith("/"))) issues.push(error("source", `${q(m.source)} must be an absolute host path for a bind mount`));
    if (m.type === "volume" && m.source !== undefined && !NAME.test(m.source)) issues.push(error("source", `volume name ${q(m.source)} ${NAME_HINT}`));
    if (m.type === "volume" && m.source !== undefined && Object.keys(a.nfsVolumes ?? {}).includes(m.source)) {
        issues.push(error("type", `${q(m.source)} is an NFS volume of this stack; use type "nfs" (a plain volume of that name would be a different, empty local volume)`));
    }
    if (m.type === "nfs") {
        const known = Object.keys(a.nfsVolumes ?? {});
        if (typeof m.source !== "string" || !known.includes(m.source)) {
            issues.push(error("source", `${q(m.source)} is not a key of nfsVolumes (known: ${known.length ? known.join(", ") : "none"})`));
        }
    }
    return issues;
}

const SERVICE_KEYS = [
    "image", "mode", "replicas", "command", "args", "env", "ports", "healthcheck", "update", "rollback", "restartPolicy", "placement", "resources",
    "mounts", "networks", "labels", "containerLabels", "endpointMode", "stopGracePeriod", "secrets", "configs",
];
const UPDATE_KEYS = ["parallelism", "delay", "failureAction", "monitor", "maxFailureRatio", "order"];
const isMap = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Shape errors for specs read from untyped YAML; value checks below assume the shape is right. */
function shapeIssues(s: ServiceSpec): Issue[] {
    const issues: Issue[] = [];
    const v = s as unknown as Record<string, unknown>;
    const want = (field: string, val: unknown, kind: "map" | "list" | "list of maps" | "list of strings") => {
        if (val === undefined) return;
        const ok = kind === "map" ? isMap(val)
            : Array.isArray(val) && (kind === "list" || val.every((x) => (kind === "list of maps" ? isMap(x) : typeof x === "string")));
        if (!ok) issues.push(error(field, `must be a ${kind}`));
    };
    for (const k of ["env", "healthcheck", "update", "rollback", "restartPolicy", "placement", "resources", "labels", "containerLabels"]) want(k, v[k], "map");
    for (const k of ["ports", "mounts"]) want(k, v[k], "list of maps");
    for (const k of ["secrets", "configs"]) want(k, v[k], "list");
    for (const k of ["networks", "command", "args"]) want(k, v[k], "list of strings");
    const known = (field: string, val: unknown, keys: string[]) => {
        if (!isMap(val)) return;
        for (const k of Object.keys(val as object)) {
            if (!keys.includes(k)) issues.push(error(field ? `${field}.${k}` : k, `unknown setting (known: ${keys.join(", ")})`));
        }
    };
    known("", s, SERVICE_KEYS);
    known("healthcheck", s.healthcheck, ["test", "interval", "timeout", "retries", "startPeriod"]);
    known("update", s.update, UPDATE_KEYS);
    known("rollback", s.rollback, UPDATE_KEYS);
    known("restartPolicy", s.restartPolicy, ["condition", "delay", "maxAttempts", "window"]);
    known("placement", s.placement, ["constraints", "maxReplicasPerNode"]);
    known("resources", s.resources, ["limits", "reservations"]);
    if (isMap(s.resources)) for (const k of ["limits", "reservations"] as const) known(`resources.${k}`, s.resources![k], ["cpus", "nanoCpus", "memory"]);
    if (Array.isArray(s.ports)) s.ports.forEach((p, i) => known(`ports[${i}]`, p, ["target", "published", "protocol", "mode"]));
    if (Array.isArray(s.mounts)) s.mounts.forEach((m, i) => known(`mounts[${i}]`, m, ["type", "source", "target", "readOnly"]));
    if (isMap(s.healthcheck)) want("healthcheck.test", s.healthcheck!.test, "list of strings");
    if (isMap(s.placement)) want("placement.constraints", s.placement!.constraints, "list of strings");
    if (isMap(s.resources)) for (const k of ["limits", "reservations"] as const) want(`resources.${k}`, s.resources![k], "map");
    return issues;
}

export function validateService(name: string, s: ServiceSpec, a: SwarmStackArgs): Issue[] {
    const issues: Issue[] = [];
    if (!isMap(s)) return [error("", "must be a service object")];
    const shape = shapeIssues(s);
    if (shape.length) return shape;
    // an Output (a FleetImage's repoDigest) is checked by its producer
    if (!pulumi.Output.isInstance(s.image) && (typeof s.image !== "string" || !s.image.trim() || /\s/.test(s.image))) issues.push(error("image", `${q(s.image)} must be an image reference such as "nginx:1.25"`));
    oneOf(issues, "mode", s.mode, ["replicated", "global"]);
    if (s.replicas !== undefined) {
        if (s.mode === "global") issues.push(error("replicas", 'is not allowed with mode "global" (one task per eligible node); remove it or use mode "replicated"'));
        else if (!isInt(s.replicas, 0)) issues.push(error("replicas", `${q(s.replicas)} must be an integer ≥ 0`));
    }
    for (const k of ["command", "args"] as const) {
        const v = s[k];
        if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) issues.push(error(k, "must be a list of strings (exec form)"));
    }
    for (const k of Object.keys(s.env ?? {})) if (!/^[^=\s]+$/.test(k)) issues.push(error(`env.${k}`, "variable names must be non-empty without = or whitespace"));
    (s.ports ?? []).forEach((p, i) => issues.push(...nest(`ports[${i}]`, validatePort(p))));
    if (s.endpointMode === "dnsrr" && (s.ports ?? []).some((p) => (p.mode ?? "ingress") === "ingress")) {
        issues.push(error("endpointMode", 'dnsrr services cannot publish ingress ports; use mode "host" on the ports or endpointMode "vip"'));
    }
    oneOf(issues, "endpointMode", s.endpointMode, ["vip", "dnsrr"]);
    if (s.healthcheck) issues.push(...nest("healthcheck", validateHealthcheck(s.healthcheck)));
    if (s.update) issues.push(...nest("update", validateUpdate(s.update, "update")));
    if (s.rollback) issues.push(...nest("rollback", validateUpdate(s.rollback, "rollback")));
    if (s.restartPolicy) {
        const r = s.restartPolicy;
        const ri: Issue[] = [];
        oneOf(ri, "condition", r.condition, ["none", "on-failure", "any"]);
        duration(ri, "delay", r.delay);
        duration(ri, "window", r.window);
        if (r.maxAttempts !== undefined && !isInt(r.maxAttempts, 0)) ri.push(error("maxAttempts", `${q(r.maxAttempts)} must be an integer ≥ 0 (0 = unlimited)`));
        issues.push(...nest("restartPolicy", ri));
    }
    (s.placement?.constraints ?? []).forEach((c, i) => {
        const m = typeof c === "string" ? CONSTRAINT.exec(c) : null;
        if (!m) {
            issues.push(error(`placement.constraints[${i}]`, `${q(c)} is not a constraint such as "node.role == manager", "node.hostname != n1" or "node.labels.zone == a" (attribute, == or !=, value)`));
        } else if (m[2] === "role" && !["manager", "worker"].includes(m[4])) {
            issues.push(error(`placement.constraints[${i}]`, `node.role is "manager" or "worker", got ${q(m[4])}`));
        }
    });
    if (s.placement?.maxReplicasPerNode !== undefined && !isInt(s.placement.maxReplicasPerNode, 0)) {
        issues.push(error("placement.maxReplicasPerNode", `${q(s.placement.maxReplicasPerNode)} must be an integer ≥ 0 (0 = unlimited)`));
    }
    for (const k of ["limits", "reservations"] as const) {
        const r = s.resources?.[k];
        if (r) issues.push(...nest(`resources.${k}`, validateResource(r)));
    }
    const lim = memoryBytes(s.resources?.limits?.memory ?? "");
    const res = memoryBytes(s.resources?.reservations?.memory ?? "");
    if (lim !== undefined && res !== undefined && res > lim) issues.push(error("resources.reservations.memory", `${s.resources!.reservations!.memory} exceeds limits.memory ${s.resources!.limits!.memory}`));
    (s.mounts ?? []).forEach((m, i) => issues.push(...nest(`mounts[${i}]`, validateMount(m, a))));
    const nets = Object.keys(a.networks ?? {});
    (s.networks ?? []).forEach((n, i) => {
        if (n !== DEFAULT_NETWORK && !nets.includes(n)) issues.push(error(`networks[${i}]`, `${q(n)} is not a network of this stack (declared: ${nets.length ? nets.join(", ") : "none"}; "default" is implicit)`));
    });
    labels(issues, "labels", s.labels);
    labels(issues, "containerLabels", s.containerLabels);
    duration(issues, "stopGracePeriod", s.stopGracePeriod);
    issues.push(...validateFileRefs(s, a, "secrets"), ...validateFileRefs(s, a, "configs"), ...envSecretIssues(name, s));
    return issues;
}

/** All problems in a stack spec, with field paths relative to SwarmStackArgs. */
export function validateSwarmStack(a: SwarmStackArgs): Issue[] {
    const issues: Issue[] = [];
    if (typeof a.name !== "string" || !NAME.test(a.name)) issues.push(error("name", `stack name ${q(a.name)} ${NAME_HINT}`));
    if (a.tz !== undefined && (typeof a.tz !== "string" || !TZ.test(a.tz))) issues.push(error("tz", `${q(a.tz)} is not a time zone such as "Europe/Berlin", "America/New_York" or "UTC"`));
    duration(issues, "convergeTimeout", a.convergeTimeout);
    for (const k of ["services", "networks", "nfsVolumes", "secrets", "configs"] as const) {
        if (a[k] !== undefined && !isMap(a[k])) return [...issues, error(k, "must be a mapping of name to settings")];
    }
    for (const [n, net] of Object.entries(a.networks ?? {})) {
        if (!isMap(net)) {
            issues.push(error(`networks.${n}`, "must be a mapping (use {} for the defaults)"));
            continue;
        }
        if (!NAME.test(n)) issues.push(error(`networks.${n}`, `network name ${NAME_HINT}`));
        for (const k of Object.keys(net)) if (!["driver", "attachable", "labels"].includes(k)) issues.push(error(`networks.${n}.${k}`, "unknown setting (known: driver, attachable, labels)"));
        oneOf(issues, `networks.${n}.driver`, net?.driver, ["overlay"]);
        labels(issues, `networks.${n}.labels`, net?.labels);
    }
    for (const [n, v] of Object.entries(a.nfsVolumes ?? {})) {
        if (!NAME.test(n)) issues.push(error(`nfsVolumes.${n}`, `volume name ${NAME_HINT}`));
        if (!isMap(v)) {
            issues.push(error(`nfsVolumes.${n}`, "must be a mapping with server and path"));
            continue;
        }
        for (const k of Object.keys(v)) if (!["server", "path", "nfsVersion", "options"].includes(k)) issues.push(error(`nfsVolumes.${n}.${k}`, "unknown setting (known: server, path, nfsVersion, options)"));
        issues.push(...nest(`nfsVolumes.${n}`, validateNfs(v)));
    }
    issues.push(...validateStackFiles(a));
    const services = a.services ?? {};
    if (Object.keys(services).length === 0) issues.push(error("services", "a stack needs at least one service"));
    const seen = new Map<string, string>();
    const published = new Map<string, string>();
    for (const [n, s] of Object.entries(services)) {
        const f = `services.${n}`;
        if (!NAME.test(n)) issues.push(error(f, `service name ${q(n)} ${NAME_HINT}`));
        const prev = seen.get(n.toLowerCase());
        if (prev !== undefined) issues.push(error(f, `duplicates service "${prev}" (names are case-insensitive in DNS)`));
        seen.set(n.toLowerCase(), n);
        if (typeof a.name === "string" && serviceFullName(a.name, n).length > 63) issues.push(error(f, `"${serviceFullName(a.name, n)}" is longer than docker's 63-character service name limit`));
        issues.push(...nest(f, validateService(n, s, a)));
        (isMap(s) && Array.isArray(s.ports) ? s.ports : []).forEach((p, i) => {
            if (!isMap(p) || p.published === undefined) return;
            const key = `${p.published}/${p.protocol ?? "tcp"}`;
            const here = `${f}.ports[${i}]`;
            const other = published.get(key);
            if (other !== undefined) {
                const how = (p.mode ?? "ingress") === "host" ? "in host mode a node can bind it once" : "the ingress mesh binds it on every node";
                issues.push(error(`${here}.published`, `port ${key} is already published by ${other}; ${how}`));
            } else published.set(key, here);
        });
    }
    return issues;
}
