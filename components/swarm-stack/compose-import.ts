import * as YAML from "yaml";
import { Issue, error } from "../common/issues";
import { isNfsType } from "../common/rules";
import { NfsVolumeArgs, nfsVolumeName } from "../nfs-volume/nfs";
import { composeConfigs, composeFileRefs, composeSecrets } from "./compose-import-files";
import { HealthcheckSpec, MountSpec, NetworkSpec, PortSpec, ResourceSpec, ServiceSpec, SwarmStackArgs, UpdateSpec } from "./spec";

/** Thrown by importCompose; `issues` carry compose paths such as `services.web.build`. Nothing is ever dropped silently. */
export class ComposeImportError extends Error {
    constructor(public readonly issues: Issue[]) {
        super(issues.map((i) => `${i.field}: ${i.message}`).join("; "));
        this.name = "ComposeImportError";
    }
}

const SUPPORTED = {
    top: ["version", "services", "networks", "volumes", "secrets", "configs"],
    service: ["image", "command", "entrypoint", "environment", "ports", "healthcheck", "deploy", "volumes", "networks", "labels", "stop_grace_period", "secrets", "configs"],
    deploy: ["mode", "replicas", "update_config", "rollback_config", "restart_policy", "placement", "resources", "endpoint_mode", "labels"],
    update: ["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"],
    restart: ["condition", "delay", "max_attempts", "window"],
    placement: ["constraints", "max_replicas_per_node"],
    resources: ["limits", "reservations"],
    resource: ["cpus", "memory"],
    healthcheck: ["test", "interval", "timeout", "retries", "start_period", "disable"],
    port: ["target", "published", "protocol", "mode"],
    mount: ["type", "source", "target", "read_only"],
    network: ["driver", "attachable", "labels"],
    volume: ["driver", "driver_opts", "name"],
    driverOpts: ["type", "o", "device"],
    build: ["context", "dockerfile", "args", "target"],
} as const;

/** A service's compose `build:` section (paths as the compose file gives them, relative to its directory). */
export interface ComposeBuild {
    context: string;
    dockerfile?: string;
    target?: string;
    args?: Record<string, string>;
    /** The repository of the service's `image:` (registry and tag dropped), the name compose would tag. */
    name?: string;
}

/** The repository path of an image reference: `10.0.0.5:5000/team/app:1` → `team/app`. */
export function repositoryOf(image: string): string {
    const noDigest = image.replace(/@.*$/, "");
    const noTag = noDigest.replace(/:[^:/]+$/, "");
    const parts = noTag.split("/");
    // a first component with a dot, a port or "localhost" is a registry host (docker's reference grammar)
    if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) parts.shift();
    return parts.join("/");
}

function build(c: Ctx, v: unknown, path: string, image: string | undefined): ComposeBuild | undefined {
    const name = image !== undefined ? repositoryOf(image) : undefined;
    if (typeof v === "string") return strip({ context: c.str(v, path) ?? "", name });
    const o = c.obj(v, path, SUPPORTED.build);
    if (!o) return undefined;
    const context = c.str(o.context, `${path}.context`);
    if (context === undefined) c.fail(`${path}.context`, "is required");
    const args = c.kv(o.args, `${path}.args`, "build args");
    return strip({
        context: context ?? "",
        dockerfile: c.str(o.dockerfile, `${path}.dockerfile`),
        target: c.str(o.target, `${path}.target`),
        args: args && Object.keys(args).length ? args : undefined,
        name,
    });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class Ctx {
    issues: Issue[] = [];
    fail(path: string, message: string) {
        this.issues.push(error(path, message));
    }
    /** The object at path with only supported keys; unsupported ones are reported. */
    obj(v: unknown, path: string, allowed: readonly string[]): Obj | undefined {
        if (v === undefined || v === null) return undefined;
        if (!isObj(v)) return void this.fail(path, "must be a mapping");
        for (const k of Object.keys(v)) {
            if (!allowed.includes(k)) this.fail(`${path}.${k}`, `not supported by dockfleet (supported: ${allowed.join(", ")})`);
        }
        return v;
    }
    /** A string without compose interpolation (`$$` is unescaped to `$`). */
    str(v: unknown, path: string): string | undefined {
        if (v === undefined || v === null) return undefined;
        if (typeof v === "number" || typeof v === "boolean") v = String(v);
        if (typeof v !== "string") return void this.fail(path, `${JSON.stringify(v)} must be a string`);
        if (/(^|[^$])\$(\{|[A-Za-z_])/.test(v.replace(/\$\$/g, ""))) {
            return void this.fail(path, `${JSON.stringify(v)}: variable interpolation is not supported; put the value in the stack config (secrets via pulumi config --secret)`);
        }
        return v.replace(/\$\$/g, "$");
    }
    num(v: unknown, path: string): number | undefined {
        if (v === undefined || v === null) return undefined;
        const n = typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
        if (typeof n !== "number") return void this.fail(path, `${JSON.stringify(v)} must be a number`);
        return n;
    }
    strList(v: unknown, path: string): string[] | undefined {
        if (v === undefined || v === null) return undefined;
        if (!Array.isArray(v)) return void this.fail(path, "must be a list");
        return v.map((x, i) => this.str(x, `${path}[${i}]`) ?? "");
    }
    /** `k=v` list or map → map. */
    kv(v: unknown, path: string, what: string): Record<string, string> | undefined {
        if (v === undefined || v === null) return undefined;
        const out: Record<string, string> = {};
        if (Array.isArray(v)) {
            v.forEach((e, i) => {
                const s = this.str(e, `${path}[${i}]`);
                if (s === undefined) return;
                const eq = s.indexOf("=");
                if (eq <= 0) return this.fail(`${path}[${i}]`, `"${s}" has no value: ${what} taken from the deploying shell are not supported; give KEY=value`);
                out[s.slice(0, eq)] = s.slice(eq + 1);
            });
        } else if (isObj(v)) {
            for (const [k, x] of Object.entries(v)) {
                if (x === null || x === undefined) {
                    this.fail(`${path}.${k}`, `has no value: ${what} taken from the deploying shell are not supported; give a value`);
                    continue;
                }
                const s = this.str(x, `${path}.${k}`);
                if (s !== undefined) out[k] = s;
            }
        } else this.fail(path, "must be a list of KEY=value or a mapping");
        return out;
    }
}

/** Shell-like split of a string command (compose splits string `command`/`entrypoint` this way). */
export function shellSplit(s: string): string[] {
    const out: string[] = [];
    let cur = "";
    let inWord = false;
    let quote: '"' | "'" | undefined;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (quote) {
            if (c === quote) quote = undefined;
            else if (c === "\\" && quote === '"' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i];
            else cur += c;
        } else if (c === '"' || c === "'") {
            quote = c;
            inWord = true;
        } else if (c === "\\" && i + 1 < s.length) {
            cur += s[++i];
            inWord = true;
        } else if (/\s/.test(c)) {
            if (inWord) out.push(cur);
            cur = "";
            inWord = false;
        } else {
            cur += c;
            inWord = true;
        }
    }
    if (inWord) out.push(cur);
    return out;
}

function command(c: Ctx, v: unknown, path: string): string[] | undefined {
    if (typeof v === "string") {
        const s = c.str(v, path);
        return s === undefined ? undefined : shellSplit(s);
    }
    return c.strList(v, path);
}

function update(c: Ctx, v: unknown, path: string): UpdateSpec | undefined {
    const o = c.obj(v, path, SUPPORTED.update);
    if (!o) return undefined;
    return strip({
        parallelism: c.num(o.parallelism, `${path}.parallelism`),
        delay: c.str(o.delay, `${path}.delay`),
        failureAction: c.str(o.failure_action, `${path}.failure_action`) as UpdateSpec["failureAction"],
        monitor: c.str(o.monitor, `${path}.monitor`),
        maxFailureRatio: c.num(o.max_failure_ratio, `${path}.max_failure_ratio`),
        order: c.str(o.order, `${path}.order`) as UpdateSpec["order"],
    });
}

function resource(c: Ctx, v: unknown, path: string): ResourceSpec | undefined {
    const o = c.obj(v, path, SUPPORTED.resource);
    if (!o) return undefined;
    return strip({ cpus: c.str(o.cpus, `${path}.cpus`), memory: c.str(o.memory, `${path}.memory`) });
}

function healthcheck(c: Ctx, v: unknown, path: string): HealthcheckSpec | undefined {
    const o = c.obj(v, path, SUPPORTED.healthcheck);
    if (!o) return undefined;
    if (o.disable === true) return { test: ["NONE"] };
    const test = typeof o.test === "string" ? ["CMD-SHELL", c.str(o.test, `${path}.test`) ?? ""] : c.strList(o.test, `${path}.test`) ?? [];
    return strip({
        test,
        interval: c.str(o.interval, `${path}.interval`),
        timeout: c.str(o.timeout, `${path}.timeout`),
        retries: c.num(o.retries, `${path}.retries`),
        startPeriod: c.str(o.start_period, `${path}.start_period`),
    });
}

function ports(c: Ctx, v: unknown, path: string): PortSpec[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return void c.fail(path, "must be a list");
    const out: PortSpec[] = [];
    v.forEach((p, i) => {
        const f = `${path}[${i}]`;
        if (isObj(p)) {
            const o = c.obj(p, f, SUPPORTED.port)!;
            out.push(strip({
                target: c.num(o.target, `${f}.target`) as number,
                published: c.num(o.published, `${f}.published`),
                protocol: c.str(o.protocol, `${f}.protocol`) as PortSpec["protocol"],
                mode: c.str(o.mode, `${f}.mode`) as PortSpec["mode"],
            }));
            return;
        }
        const s = c.str(p, f);
        if (s === undefined) return;
        const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(s);
        if (!m) return c.fail(f, `"${s}" is not supported: use "published:target[/udp]" or "target" (no host IP, no ranges), or the long syntax`);
        out.push(strip({ target: Number(m[2]), published: m[1] !== undefined ? Number(m[1]) : undefined, protocol: m[3] as PortSpec["protocol"] }));
    });
    return out;
}

function mounts(c: Ctx, v: unknown, path: string, nfs: Set<string>, named: Set<string>): MountSpec[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return void c.fail(path, "must be a list");
    const out: MountSpec[] = [];
    const typeOf = (src: string | undefined, f: string): MountSpec["type"] | undefined => {
        if (src === undefined) return "volume";
        if (src.startsWith("/")) return "bind";
        if (nfs.has(src)) return "nfs";
        if (named.has(src)) return "volume";
        if (src.startsWith(".") || src.startsWith("~")) return void c.fail(f, `relative bind source "${src}" is not supported: swarm tasks run on other nodes; use an absolute path`);
        return void c.fail(f, `volume "${src}" is not declared in the top-level volumes`);
    };
    v.forEach((m, i) => {
        const f = `${path}[${i}]`;
        if (isObj(m)) {
            const o = c.obj(m, f, SUPPORTED.mount)!;
            const declared = c.str(o.type, `${f}.type`);
            if (declared !== "bind" && declared !== "volume") return c.fail(`${f}.type`, `${JSON.stringify(o.type)} is not supported (bind or volume)`);
            const source = c.str(o.source, `${f}.source`);
            const type = typeOf(source, `${f}.source`);
            if (!type) return;
            out.push(strip({ type, source, target: c.str(o.target, `${f}.target`) ?? "", readOnly: o.read_only === true ? true : undefined }));
            return;
        }
        const s = c.str(m, f);
        if (s === undefined) return;
        const parts = s.split(":");
        if (parts.length > 3 || (parts.length === 3 && !["ro", "rw"].includes(parts[2]))) return c.fail(f, `"${s}" is not supported: use source:target[:ro|:rw]`);
        const [source, target] = parts.length === 1 ? [undefined, parts[0]] : [parts[0], parts[1]];
        const type = typeOf(source, f);
        if (!type) return;
        out.push(strip({ type, source, target, readOnly: parts[2] === "ro" ? true : undefined }));
    });
    return out;
}

function serviceNetworks(c: Ctx, v: unknown, path: string): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return c.strList(v, path);
    if (isObj(v)) {
        for (const [k, x] of Object.entries(v)) if (x !== null && !(isObj(x) && Object.keys(x).length === 0)) c.fail(`${path}.${k}`, "per-network settings (aliases, ipv4_address) are not supported by dockfleet; list the network name only");
        return Object.keys(v);
    }
    return void c.fail(path, "must be a list or mapping of network names");
}

function nfsVolume(c: Ctx, v: Obj, path: string): NfsVolumeArgs | undefined {
    if (v.driver !== undefined && v.driver !== "local") return void c.fail(`${path}.driver`, `${JSON.stringify(v.driver)} is not supported (only the local driver with NFS driver_opts)`);
    const o = c.obj(v.driver_opts, `${path}.driver_opts`, SUPPORTED.driverOpts);
    if (!o) return void c.fail(v.driver_opts === undefined ? `${path}.name` : `${path}.driver_opts`, "only plain named volumes (no settings) and NFS volumes (driver_opts type nfs) are supported");
    const type = c.str(o.type, `${path}.driver_opts.type`);
    if (!isNfsType(type)) return void c.fail(`${path}.driver_opts.type`, `${JSON.stringify(o.type)} is not supported (only nfs/nfs4 volumes)`);
    const device = c.str(o.device, `${path}.driver_opts.device`) ?? "";
    const dm = /^(?:[^:]*):(\/.*)$/.exec(device);
    if (!dm) c.fail(`${path}.driver_opts.device`, `"${device}" must be ":/exported/path"`);
    let server = "";
    let nfsVersion: string | undefined = type === "nfs4" ? "4" : undefined;
    const options: string[] = [];
    for (const opt of (c.str(o.o, `${path}.driver_opts.o`) ?? "").split(",").filter(Boolean)) {
        const [k, val] = opt.split("=", 2);
        if (k === "addr") server = val ?? "";
        else if (k === "nfsvers" || k === "vers") nfsVersion = val;
        else options.push(opt);
    }
    if (!server) c.fail(`${path}.driver_opts.o`, "needs addr=<server IP>");
    return strip({ server, path: dm?.[1] ?? "", nfsVersion: nfsVersion as NfsVolumeArgs["nfsVersion"], options: options.length ? options : undefined });
}

function service(c: Ctx, v: unknown, path: string, nfs: Set<string>, named: Set<string>, builds?: Record<string, ComposeBuild>): ServiceSpec | undefined {
    if (!isObj(v)) return void c.fail(path, "must be a mapping");
    const o = c.obj(v, path, builds ? [...SUPPORTED.service, "build"] : SUPPORTED.service)!;
    const d = c.obj(o.deploy, `${path}.deploy`, SUPPORTED.deploy) ?? {};
    const dp = `${path}.deploy`;
    const pl = c.obj(d.placement, `${dp}.placement`, SUPPORTED.placement);
    const res = c.obj(d.resources, `${dp}.resources`, SUPPORTED.resources);
    const rp = c.obj(d.restart_policy, `${dp}.restart_policy`, SUPPORTED.restart);
    let image = c.str(o.image, `${path}.image`);
    if (builds && o.build !== undefined) {
        const b = build(c, o.build, `${path}.build`, image);
        if (b) builds[path.slice("services.".length)] = b;
        image = BUILT_IMAGE;
    }
    if (image === undefined) c.fail(`${path}.image`, `is required${builds ? " (or build)" : " (build is not supported: push the image to the registry first)"}`);
    const env = c.kv(o.environment, `${path}.environment`, "variables");
    const labels = c.kv(d.labels, `${dp}.labels`, "labels");
    const containerLabels = c.kv(o.labels, `${path}.labels`, "labels");
    return strip({
        image: image ?? "",
        mode: c.str(d.mode, `${dp}.mode`) as ServiceSpec["mode"],
        replicas: c.num(d.replicas, `${dp}.replicas`),
        command: o.entrypoint !== undefined ? command(c, o.entrypoint, `${path}.entrypoint`) : undefined,
        args: o.command !== undefined ? command(c, o.command, `${path}.command`) : undefined,
        env: env && Object.keys(env).length ? env : undefined,
        ports: ports(c, o.ports, `${path}.ports`),
        healthcheck: healthcheck(c, o.healthcheck, `${path}.healthcheck`),
        update: update(c, d.update_config, `${dp}.update_config`),
        rollback: update(c, d.rollback_config, `${dp}.rollback_config`),
        restartPolicy: rp
            ? strip({
                  condition: c.str(rp.condition, `${dp}.restart_policy.condition`) as "any",
                  delay: c.str(rp.delay, `${dp}.restart_policy.delay`),
                  maxAttempts: c.num(rp.max_attempts, `${dp}.restart_policy.max_attempts`),
                  window: c.str(rp.window, `${dp}.restart_policy.window`),
              })
            : undefined,
        placement: pl
            ? strip({ constraints: c.strList(pl.constraints, `${dp}.placement.constraints`), maxReplicasPerNode: c.num(pl.max_replicas_per_node, `${dp}.placement.max_replicas_per_node`) })
            : undefined,
        resources: res
            ? strip({ limits: resource(c, res.limits, `${dp}.resources.limits`), reservations: resource(c, res.reservations, `${dp}.resources.reservations`) })
            : undefined,
        mounts: mounts(c, o.volumes, `${path}.volumes`, nfs, named),
        networks: serviceNetworks(c, o.networks, `${path}.networks`),
        labels: labels && Object.keys(labels).length ? labels : undefined,
        containerLabels: containerLabels && Object.keys(containerLabels).length ? containerLabels : undefined,
        endpointMode: c.str(d.endpoint_mode, `${dp}.endpoint_mode`) as ServiceSpec["endpointMode"],
        stopGracePeriod: c.str(o.stop_grace_period, `${path}.stop_grace_period`),
        secrets: composeFileRefs(c, o.secrets, `${path}.secrets`),
        configs: composeFileRefs(c, o.configs, `${path}.configs`),
    });
}

/**
 * Converts a compose v3 file (the subset listed in SUPPORTED) into SwarmStackArgs. Unsupported keys,
 * interpolation and shell-provided values throw a ComposeImportError naming every compose path.
 * The result still needs validateSwarmStack (value checks happen there).
 */
export function importCompose(yamlText: string, stackName: string): SwarmStackArgs {
    return importComposeWith(yamlText, stackName).spec;
}

/** Stands in for a built image's digest in `importComposeWithBuilds`' spec until the program pins it. */
export const BUILT_IMAGE = "dockfleet-built-image";

/**
 * importCompose that also reads `build:` sections (context, dockerfile, args, target): each such
 * service's image is BUILT_IMAGE in the spec, and its build is in `builds` by service name.
 */
export function importComposeWithBuilds(yamlText: string, stackName: string): { spec: SwarmStackArgs; builds: Record<string, ComposeBuild> } {
    const builds: Record<string, ComposeBuild> = {};
    return { spec: importComposeWith(yamlText, stackName, builds).spec, builds };
}

function importComposeWith(yamlText: string, stackName: string, builds?: Record<string, ComposeBuild>): { spec: SwarmStackArgs } {
    const c = new Ctx();
    let doc: unknown;
    try {
        doc = YAML.parse(yamlText, { merge: true });
    } catch (e) {
        throw new ComposeImportError([error("", `not valid YAML: ${(e as Error).message}`)]);
    }
    // x-* keys are compose extension fields (anchors for reuse); compose itself ignores them.
    const top = c.obj(isObj(doc) ? Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith("x-"))) : doc, "", SUPPORTED.top);
    if (!top) throw new ComposeImportError([error("", "a compose file must be a mapping with services")]);
    for (const i of c.issues) i.field = i.field.replace(/^\./, "");
    const version = top.version === undefined ? undefined : String(top.version);
    if (version !== undefined && !/^3(\.\d+)?$/.test(version)) c.fail("version", `"${version}" is not supported (compose file format 3.x)`);

    const networks: Record<string, NetworkSpec> = {};
    for (const [n, v] of Object.entries(isObj(top.networks) ? top.networks : {})) {
        const o = c.obj(v, `networks.${n}`, SUPPORTED.network) ?? {};
        const driver = c.str(o.driver, `networks.${n}.driver`);
        if (driver !== undefined && driver !== "overlay") c.fail(`networks.${n}.driver`, `"${driver}" is not supported (swarm stacks use overlay)`);
        if (o.attachable !== undefined && typeof o.attachable !== "boolean") c.fail(`networks.${n}.attachable`, "must be true or false");
        networks[n] = strip({ driver: driver as "overlay" | undefined, attachable: o.attachable as boolean | undefined, labels: c.kv(o.labels, `networks.${n}.labels`, "labels") });
    }
    const nfsVolumes: Record<string, NfsVolumeArgs> = {};
    const named = new Set<string>();
    for (const [n, v] of Object.entries(isObj(top.volumes) ? top.volumes : {})) {
        const o = c.obj(v, `volumes.${n}`, SUPPORTED.volume);
        if (!o || (o.driver_opts === undefined && o.name === undefined && (o.driver === undefined || o.driver === "local"))) {
            named.add(n);
            continue;
        }
        const nv = nfsVolume(c, o, `volumes.${n}`);
        if (!nv) continue;
        nfsVolumes[n] = nv;
        // renderCompose writes the digest name; any other fixed name would not follow option changes.
        if (o.name !== undefined && nv.server && o.name !== nfsVolumeName(`${stackName}_${n}`, nv)) {
            c.fail(`volumes.${n}.name`, `${JSON.stringify(o.name)}: fixed volume names are not supported; dockfleet names NFS volumes "${nfsVolumeName(`${stackName}_${n}`, nv)}" (changes with the options)`);
        }
    }
    const configs = composeConfigs(c, top.configs);
    // external secrets only: their values come from the stack config (program/stacks.ts adds them)
    composeSecrets(c, top.secrets, stackName);
    const services: Record<string, ServiceSpec> = {};
    if (!isObj(top.services) || Object.keys(top.services).length === 0) c.fail("services", "a compose file needs at least one service");
    for (const [n, v] of Object.entries(isObj(top.services) ? top.services : {})) {
        const s = service(c, v, `services.${n}`, new Set(Object.keys(nfsVolumes)), named, builds);
        if (s) services[n] = s;
    }
    if (c.issues.length) throw new ComposeImportError(c.issues);
    return { spec: strip({
        name: stackName,
        services,
        networks: Object.keys(networks).length ? networks : undefined,
        nfsVolumes: Object.keys(nfsVolumes).length ? nfsVolumes : undefined,
        configs,
    }) };
}

/** Drops undefined properties so specs compare cleanly with deepStrictEqual. */
function strip<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
