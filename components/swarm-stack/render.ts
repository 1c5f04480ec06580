import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as YAML from "yaml";
import { nfsDriverOpts, nfsVolumeName } from "../nfs-volume/nfs";
import {
    CONVERGE_DELAY, DEFAULT_CONVERGE_TIMEOUT, MountSpec, ResourceSpec, STACK_NAMESPACE_LABEL, ServiceSpec, SwarmStackArgs, effectiveNetworks,
    networkFullName, serviceFullName, withServiceDefaults, withUpdateDefaults,
} from "./spec";
import { cpusToNano, memoryBytes, normalizeDuration } from "./units";
import { ObjectRefs, objectNames, plainObjectNames, refsByName, renderServiceFiles } from "./secrets";

// Durations are rendered in the form the provider reads back (see normalizeDuration), so "90s"
// becomes "1m30s" and a refresh shows no diff. Fields left unset here are filled in by the engine
// (and read back by the provider as its schema defaults, so they do not diff either):
// healthcheck interval/timeout 30s, retries 3, start period 0s (all from the image's HEALTHCHECK
// when the service sets none); stop grace period 10s; update/rollback maxFailureRatio 0.
// Everything dockfleet has a default for (update/rollback/restart policy, ports' protocol and
// publish mode, endpoint mode) is rendered explicitly.

type Label = { label: string; value: string };

const sortedLabels = (l: Record<string, string>): Label[] =>
    Object.keys(l).sort().map((k) => ({ label: k, value: l[k] }));

const nsLabels = (stack: string, extra: Record<string, string> = {}): Label[] => sortedLabels({ ...extra, [STACK_NAMESPACE_LABEL]: stack });

export const nfsMountSource = (stack: string, vol: string, a: SwarmStackArgs) => nfsVolumeName(`${stack}_${vol}`, a.nfsVolumes![vol]);
export const volumeMountSource = (stack: string, vol: string) => `${stack}_${vol}`;

/** Mounts including the /etc/localtime bind of the stack's TZ option. */
export function effectiveMounts(a: SwarmStackArgs, s: ServiceSpec): MountSpec[] {
    const mounts = [...(s.mounts ?? [])];
    if (a.tz && !mounts.some((m) => m.target === "/etc/localtime")) mounts.push({ type: "bind", source: "/etc/localtime", target: "/etc/localtime", readOnly: true });
    return mounts;
}

/** Environment including the stack's TZ (a service's own TZ wins). */
export function effectiveEnv(a: SwarmStackArgs, s: ServiceSpec): Record<string, pulumi.Input<string>> {
    return { ...(a.tz ? { TZ: a.tz } : {}), ...(s.env ?? {}) };
}

function renderMount(a: SwarmStackArgs, m: MountSpec): docker.types.input.ServiceTaskSpecContainerSpecMount {
    const readOnly = m.readOnly ?? false;
    switch (m.type) {
        case "bind":
            return { type: "bind", source: m.source!, target: m.target, readOnly };
        case "volume":
            return m.source === undefined
                ? { type: "volume", target: m.target, readOnly }
                : { type: "volume", source: volumeMountSource(a.name, m.source), target: m.target, readOnly, volumeOptions: { labels: nsLabels(a.name) } };
        case "nfs": {
            // Volume options travel with the mount, so whichever node a task lands on creates the
            // volume itself; the name carries a digest of the options (see nfsVolumeName).
            const v = a.nfsVolumes![m.source!];
            return {
                type: "volume", source: nfsMountSource(a.name, m.source!, a), target: m.target, readOnly,
                volumeOptions: { driverName: "local", driverOptions: nfsDriverOpts(v), labels: nsLabels(a.name) },
            };
        }
    }
}

function renderResource(r: ResourceSpec | undefined) {
    if (!r) return undefined;
    const out: { nanoCpus?: number; memoryBytes?: number } = {};
    const nano = r.nanoCpus ?? (r.cpus !== undefined ? cpusToNano(r.cpus) : undefined);
    if (nano !== undefined) out.nanoCpus = nano;
    if (r.memory !== undefined) out.memoryBytes = memoryBytes(r.memory);
    return out;
}

function renderUpdate(u: ReturnType<typeof withUpdateDefaults>) {
    return {
        parallelism: u.parallelism,
        delay: normalizeDuration(u.delay),
        failureAction: u.failureAction,
        monitor: normalizeDuration(u.monitor),
        ...(u.maxFailureRatio !== undefined ? { maxFailureRatio: String(u.maxFailureRatio) } : {}),
        order: u.order,
    };
}

export interface RenderOptions {
    /** Network ids by short name (the component passes `network.id`). Default: the full network names, for tests and previews. */
    networkIds?: Record<string, pulumi.Input<string>>;
    /** Secret and config ids and names by short name (the component passes the created objects'). Default: their versioned names. */
    objectRefs?: ObjectRefs;
}

/** `docker.ServiceArgs` for one service of the stack. Assumes validateSwarmStack found no errors. */
export function renderService(a: SwarmStackArgs, name: string, opts: RenderOptions = {}): docker.ServiceArgs {
    const s = withServiceDefaults(a.services[name]);
    const limits = renderResource(s.resources?.limits);
    const reservation = renderResource(s.resources?.reservations);
    const hc = s.healthcheck;
    const containerSpec: docker.types.input.ServiceTaskSpecContainerSpec = {
        image: s.image,
        ...(s.command ? { commands: s.command } : {}),
        ...(s.args ? { args: s.args } : {}),
        env: effectiveEnv(a, s),
        ...(hc
            ? {
                  healthcheck: {
                      tests: hc.test,
                      ...(hc.interval !== undefined ? { interval: normalizeDuration(hc.interval) } : {}),
                      ...(hc.timeout !== undefined ? { timeout: normalizeDuration(hc.timeout) } : {}),
                      ...(hc.retries !== undefined ? { retries: hc.retries } : {}),
                      ...(hc.startPeriod !== undefined ? { startPeriod: normalizeDuration(hc.startPeriod) } : {}),
                  },
              }
            : {}),
        mounts: effectiveMounts(a, s).map((m) => renderMount(a, m)),
        labels: nsLabels(a.name, s.containerLabels),
        ...renderServiceFiles(a, name, opts.objectRefs ?? refsByName(objectNames(a))),
        ...(s.stopGracePeriod !== undefined ? { stopGracePeriod: normalizeDuration(s.stopGracePeriod) } : {}),
    };
    const rp = s.restartPolicy;
    return {
        name: serviceFullName(a.name, name),
        labels: nsLabels(a.name, s.labels),
        mode: s.mode === "global" ? { global: true } : { replicated: { replicas: s.replicas } },
        taskSpec: {
            containerSpec,
            restartPolicy: { condition: rp.condition, delay: normalizeDuration(rp.delay), maxAttempts: rp.maxAttempts, window: normalizeDuration(rp.window) },
            ...(s.placement ? { placement: { constraints: s.placement.constraints ?? [], ...(s.placement.maxReplicasPerNode !== undefined ? { maxReplicas: s.placement.maxReplicasPerNode } : {}) } } : {}),
            ...(limits || reservation ? { resources: { ...(limits ? { limits } : {}), ...(reservation ? { reservation } : {}) } } : {}),
            // Aliases: the short service name resolves on the stack's networks, as with `docker stack deploy`.
            networksAdvanceds: s.networks.map((n) => ({ id: opts.networkIds?.[n] ?? networkFullName(a.name, n), aliases: [name] })),
        },
        updateConfig: renderUpdate(s.update),
        rollbackConfig: renderUpdate(s.rollback),
        endpointSpec: {
            mode: s.endpointMode,
            ports: s.ports.map((p) => ({
                targetPort: p.target,
                ...(p.published !== undefined ? { publishedPort: p.published } : {}),
                protocol: p.protocol ?? "tcp",
                publishMode: p.mode ?? "ingress",
            })),
        },
        // The provider polls until all replicated tasks run (and fails the update otherwise);
        // it does not support convergence for global services.
        ...(s.mode === "replicated" ? { convergeConfig: { delay: CONVERGE_DELAY, timeout: normalizeDuration(a.convergeTimeout ?? DEFAULT_CONVERGE_TIMEOUT) } } : {}),
    };
}

/** `docker.NetworkArgs` for one network of the stack (including an implicit `default`). */
export function renderNetwork(a: SwarmStackArgs, net: string): docker.NetworkArgs {
    const n = effectiveNetworks(a)[net];
    return { name: networkFullName(a.name, net), driver: "overlay", attachable: n.attachable ?? false, labels: nsLabels(a.name, n.labels) };
}

/** Compose variable that carries a non-plain (secret/Output) env value. */
export const composeVariable = (service: string, key: string) => `${service}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, "_");

/** Variables to export before `docker stack deploy -c`: one per env value that is not a plain string (secrets). */
export function composeVariables(a: SwarmStackArgs): string[] {
    const vars: string[] = [];
    for (const [n, s] of Object.entries(a.services)) {
        for (const [k, v] of Object.entries(effectiveEnv(a, s))) if (typeof v !== "string") vars.push(composeVariable(n, k));
    }
    return vars;
}

/** Compose long syntax; the mode as a decimal number (docker stack deploy's YAML 1.1 would read "0444" as octal, YAML 1.2 as decimal). */
const composeFileRef = (r: { source: string; target: string; mode: string; uid: string; gid: string }) => ({ source: r.source, target: r.target, uid: r.uid, gid: r.gid, mode: parseInt(r.mode, 8) });

/** Plain strings are escaped for compose interpolation (`$` → `$$`). */
const esc = (s: string) => s.replace(/\$/g, "$$$$");

function composeResource(r: ResourceSpec | undefined) {
    if (!r) return undefined;
    const cpus = r.cpus ?? (r.nanoCpus !== undefined ? String(r.nanoCpus / 1e9) : undefined);
    return { ...(cpus !== undefined ? { cpus } : {}), ...(r.memory !== undefined ? { memory: r.memory } : {}) };
}

function composeUpdate(u: ReturnType<typeof withUpdateDefaults>) {
    return {
        parallelism: u.parallelism, delay: u.delay, failure_action: u.failureAction, monitor: u.monitor,
        ...(u.maxFailureRatio !== undefined ? { max_failure_ratio: u.maxFailureRatio } : {}), order: u.order,
    };
}

/**
 * A compose v3.8 file equivalent to the stack, for `docker stack deploy -c FILE NAME` (escape hatch).
 * Env values that are not plain strings (secrets) are `${VAR}` references, listed in the header.
 * Secrets and configs are `external` under their versioned names (`names`, default: computed from
 * plain values): the file carries no value, the operator creates them first.
 */
export function renderCompose(a: SwarmStackArgs, names: { secrets: Record<string, string>; configs: Record<string, string> } = plainObjectNames(a)): string {
    const services: Record<string, unknown> = {};
    const volumes: Record<string, unknown> = {};
    for (const [n, raw] of Object.entries(a.services)) {
        const s = withServiceDefaults(raw);
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(effectiveEnv(a, s))) env[k] = typeof v === "string" ? esc(v) : `\${${composeVariable(n, k)}}`;
        const hc = s.healthcheck;
        const limits = composeResource(s.resources?.limits);
        const reservations = composeResource(s.resources?.reservations);
        const vols = effectiveMounts(a, s).map((m) => {
            if (m.type === "nfs") {
                volumes[m.source!] = { name: nfsMountSource(a.name, m.source!, a), driver: "local", driver_opts: nfsDriverOpts(a.nfsVolumes![m.source!]) };
                return { type: "volume", source: m.source, target: m.target, read_only: m.readOnly ?? false };
            }
            if (m.type === "volume" && m.source !== undefined) volumes[m.source] = {};
            return { type: m.type, ...(m.source !== undefined ? { source: m.source } : {}), target: m.target, read_only: m.readOnly ?? false };
        });
        services[n] = {
            image: s.image,
            ...(s.command ? { entrypoint: s.command.map(esc) } : {}),
            ...(s.args ? { command: s.args.map(esc) } : {}),
            ...(Object.keys(env).length ? { environment: env } : {}),
            ...(s.ports.length
                ? { ports: s.ports.map((p) => ({ target: p.target, ...(p.published !== undefined ? { published: p.published } : {}), protocol: p.protocol ?? "tcp", mode: p.mode ?? "ingress" })) }
                : {}),
            ...(hc
                ? {
                      healthcheck: {
                          test: hc.test.map(esc),
                          ...(hc.interval !== undefined ? { interval: hc.interval } : {}),
                          ...(hc.timeout !== undefined ? { timeout: hc.timeout } : {}),
                          ...(hc.retries !== undefined ? { retries: hc.retries } : {}),
                          ...(hc.startPeriod !== undefined ? { start_period: hc.startPeriod } : {}),
                      },
                  }
                : {}),
            ...(vols.length ? { volumes: vols } : {}),
            networks: s.networks,
            ...(Object.keys(s.containerLabels).length ? { labels: s.containerLabels } : {}),
            ...(s.secrets.length ? { secrets: s.secrets.map(composeFileRef) } : {}),
            ...(s.configs.length ? { configs: s.configs.map(composeFileRef) } : {}),
            ...(s.stopGracePeriod !== undefined ? { stop_grace_period: s.stopGracePeriod } : {}),
            deploy: {
                mode: s.mode,
                ...(s.mode === "replicated" ? { replicas: s.replicas } : {}),
                endpoint_mode: s.endpointMode,
                ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
                update_config: composeUpdate(s.update),
                rollback_config: composeUpdate(s.rollback),
                restart_policy: { condition: s.restartPolicy.condition, delay: s.restartPolicy.delay, max_attempts: s.restartPolicy.maxAttempts, window: s.restartPolicy.window },
                ...(s.placement
                    ? { placement: { constraints: s.placement.constraints ?? [], ...(s.placement.maxReplicasPerNode !== undefined ? { max_replicas_per_node: s.placement.maxReplicasPerNode } : {}) } }
                    : {}),
                ...(limits || reservations ? { resources: { ...(limits ? { limits } : {}), ...(reservations ? { reservations } : {}) } } : {}),
            },
        };
    }
    const networks: Record<string, unknown> = {};
    for (const [n, net] of Object.entries(effectiveNetworks(a))) {
        networks[n] = { driver: "overlay", attachable: net.attachable ?? false, ...(net.labels && Object.keys(net.labels).length ? { labels: net.labels } : {}) };
    }
    const external = (m: Record<string, string>) => Object.fromEntries(Object.keys(m).sort().map((n) => [n, { name: m[n], external: true }]));
    const doc = new YAML.Document({
        version: "3.8", services, networks, ...(Object.keys(volumes).length ? { volumes } : {}),
        ...(Object.keys(names.secrets).length ? { secrets: external(names.secrets) } : {}),
        ...(Object.keys(names.configs).length ? { configs: external(names.configs) } : {}),
    });
    const vars = composeVariables(a);
    const objects = [...Object.values(names.secrets).map((n) => `docker secret create ${n} -`), ...Object.values(names.configs).map((n) => `docker config create ${n} -`)];
    doc.commentBefore =
        ` Generated by dockfleet for stack "${a.name}". Deploy with: docker stack deploy -c FILE ${a.name}` +
        (vars.length ? `\n Secret values are not in this file; export before deploying: ${vars.join(" ")}` : "") +
        (objects.length ? `\n Secrets and configs are external; create each first, its value on stdin: ${objects.join("; ")}` : "");
    return doc.toString({ lineWidth: 0 });
}
