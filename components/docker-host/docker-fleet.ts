import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ServeWaitOptions, renderServeWaitCommand } from "../swarm/serve-wait";
import { SshArgs, remoteConnection, validateHostKeys } from "../common/connection";
import { Issue, error } from "../common/issues";
import { componentContext, reportIssues } from "../common/report";
import { isIpAddress, isHostname } from "../common/net";
import { DaemonConfig } from "./daemon-config";
import { validateDaemonConfig } from "./daemon-validate";
import { ApplyPolicy, DEFAULT_RESTART_TIMEOUT, DockerHost, DockerHostArgs, PlainProxy, ProxyArgs, desiredHostFiles } from "./docker-host";
import { validateProxy } from "./dropins";
import { DriftStatus } from "./drift";
import { APPLY_RESTARTED_LINE } from "./bundle";
import { cisPreviewLines, hardenedDaemon } from "./cis";
import { RegistryTrust } from "./registry-trust";
import { HostChangeKind, changeKind } from "./change-kind";
import { Rollout, planRollout } from "./rollout";

export interface FleetHost {
    /** Host name (resource names and messages). */
    name: string;
    /** SSH address: an IP or a DNS name. */
    address: string;
    /** SSH port. Default: the fleet's `ssh.port`, else 22. */
    port?: number;
    /** The host's pinned SSH host key (`ssh-ed25519 AAAA...`). Required unless `ssh.insecureIgnoreHostKeys`. */
    hostKey?: string;
    /** Swarm role, for validation (live-restore) and ordering. Default: "none". */
    role?: "manager" | "worker" | "none";
    /** Docker Engine version for the guards. Default: the fleet's `engineVersion`. */
    engineVersion?: string;
    /** Per-host daemon.json overrides, merged over the fleet's (top-level keys replace). Default: `{}`. */
    daemon?: Partial<DaemonConfig>;
}

export type FleetSsh = SshArgs;

export interface DockerFleetArgs extends ApplyPolicy {
    hosts: FleetHost[];
    ssh: FleetSsh;
    /** daemon.json shared by every host. Default: `{}`. */
    daemon?: DaemonConfig;
    /** Proxy drop-in for every host. Default: none. */
    proxy?: ProxyArgs;
    /**
     * `proxy`'s URLs as plain strings, in memory only (a program has them from its decrypted
     * config): with `driftStatus`, the fleet renders the root-only env file from them and compares
     * it with the HMAC each host showed under its probe's one-time key, so a proxied host whose
     * env file is as wanted can reload (change-kind.ts). Never stored, logged or sent; they must
     * be `proxy`'s values. Default: `proxy`'s values when they are plain strings; else the env
     * file counts as changed (restart batches).
     */
    plainProxy?: PlainProxy;
    /** The fleet's registries (added to NO_PROXY). Default: `[]`. */
    fleetRegistries?: string[];
    /** Registries every host trusts by CA (certs.d/<address>/ca.crt). Default: `[]`. */
    registryTrust?: RegistryTrust[];
    /** Default engine version for the guards. Default: unset. */
    engineVersion?: string;
    /** Hosts restarted together; batch N+1 starts only after batch N is healthy. With `batches`, an upper bound. Default: 1 (unbounded with `batches`). */
    batchSize?: number;
    /**
     * Restart batches by host name, every host exactly once (e.g. `planRestarts` from the live
     * swarm). Default: the hosts in order, `batchSize` at a time.
     */
    batches?: string[][];
    /** Check every host for hand edits on each preview/up (see DockerHostArgs.driftCheck). Default: false. */
    driftCheck?: boolean;
    /**
     * With `driftCheck`: each host's status by host name, when the caller probed already
     * (DockerHostArgs.driftStatus). Given, it also tells each host's change (nothing, reload,
     * restart: change-kind.ts), and hosts that only reload go first: one canary, then the others
     * at once, then the restart batches (rollout.ts). Default: unset (each host is asked; every
     * host rolls out in the restart batches).
     */
    driftStatus?: Record<string, DriftStatus>;
    /**
     * Tasks of each replicated service that may be down at once, as the restart plan counts them:
     * a worker's snapshot refuses its restart when that would take a service below its floor
     * (swarm-serve-wait.sh). Default: 1.
     */
    maxUnavailable?: number;
    /** Per stack name, over `maxUnavailable` (a service's dockfleet.max-unavailable label wins over both). Default: none. */
    stackMaxUnavailable?: Record<string, number>;
    /** Swarm autolock's unlock key, a secret (dockfleet:swarmUnlockKey): the managers' applies unlock a restarted manager with it. Default: unset (autolock off). */
    swarmUnlockKey?: pulumi.Input<string>;
}

/** The proxy's URLs when every one given is a plain string (not an Output); else undefined. */
export function plainProxyOf(p: ProxyArgs | undefined): PlainProxy | undefined {
    if (!p) return undefined;
    const ok = (v: unknown) => v === undefined || typeof v === "string";
    return ok(p.httpProxy) && ok(p.httpsProxy) ? { httpProxy: p.httpProxy as string | undefined, httpsProxy: p.httpsProxy as string | undefined } : undefined;
}

/** Splits hosts into restart batches, in the order given. */
export function restartBatches<T>(hosts: T[], batchSize: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < hosts.length; i += batchSize) out.push(hosts.slice(i, i + batchSize));
    return out;
}

export function mergeDaemon(base: DaemonConfig, override: Partial<DaemonConfig> | undefined): DaemonConfig {
    return { ...base, ...(override ?? {}) };
}

export function validateFleet(a: Omit<DockerFleetArgs, "ssh"> & { ssh?: Partial<FleetSsh> }): Issue[] {
    const issues: Issue[] = [];
    const batchSize = a.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) issues.push(error("rollout.batchSize", `${JSON.stringify(a.batchSize)} must be a whole number ≥ 1`));
    const t = a.restartTimeoutSeconds;
    if (t !== undefined && !(Number.isInteger(t) && t >= 10 && t <= 900)) issues.push(error("rollout.restartTimeoutSeconds", `${JSON.stringify(t)} must be whole seconds between 10 and 900`));
    if (a.smokePull !== undefined && !["missing", "never"].includes(a.smokePull)) issues.push(error("rollout.smokePull", `"${a.smokePull}" must be "missing" or "never"`));
    if (a.onDelete !== undefined && !["restore", "keep"].includes(a.onDelete)) issues.push(error("rollout.onDelete", `"${a.onDelete}" must be "restore" or "keep"`));
    if (a.hosts.length === 0) issues.push(error("hosts", "at least one host is required"));
    if (a.batches) {
        const listed = a.batches.flat();
        const known = new Set(a.hosts.map((h) => h.name));
        const unknown = listed.filter((n) => !known.has(n));
        const twice = listed.filter((n, i) => listed.indexOf(n) !== i);
        const missing = a.hosts.map((h) => h.name).filter((n) => !listed.includes(n));
        if (unknown.length) issues.push(error("batches", `names hosts that are not in the fleet: ${unknown.join(", ")}`));
        if (twice.length) issues.push(error("batches", `names a host more than once: ${[...new Set(twice)].join(", ")}`));
        if (missing.length) issues.push(error("batches", `leaves hosts out (every host restarts in exactly one batch): ${missing.join(", ")}`));
        if (a.batches.some((b) => b.length === 0)) issues.push(error("batches", "has an empty batch"));
    }
    const names = new Set<string>();
    const addrs = new Set<string>();
    const anySwarm = a.hosts.some((h) => (h.role ?? "none") !== "none");
    const fleetIssues = validateDaemonConfig(a.daemon ?? {}, { engineVersion: a.engineVersion, swarm: anySwarm });
    issues.push(...fleetIssues);
    const fleetLevel = new Set(fleetIssues.map((x) => x.field + x.message));
    a.hosts.forEach((h, i) => {
        if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(h.name ?? "")) issues.push(error(`hosts[${i}].name`, `"${h.name}" must be a host name (letters, digits, "-")`));
        if (names.has(h.name)) issues.push(error(`hosts[${i}].name`, `duplicate host name "${h.name}"`));
        names.add(h.name);
        if (!isIpAddress(h.address ?? "") && !isHostname(h.address ?? "")) issues.push(error(`hosts[${i}].address`, `"${h.address}" is not an IP address or DNS name`));
        if (addrs.has(`${h.address}:${h.port ?? 22}`)) issues.push(error(`hosts[${i}].address`, `duplicate address "${h.address}"`));
        addrs.add(`${h.address}:${h.port ?? 22}`);
        if (h.port !== undefined && !(Number.isInteger(h.port) && h.port > 0 && h.port < 65536)) issues.push(error(`hosts[${i}].port`, `${h.port} is not a TCP port`));
        if (h.role !== undefined && !["manager", "worker", "none"].includes(h.role)) issues.push(error(`hosts[${i}].role`, `"${h.role}" must be manager, worker or none`));
        if (h.daemon || h.engineVersion) {
            // Report what this host's overrides or engine version add; fleet-level problems were reported once above.
            const merged = mergeDaemon(a.daemon ?? {}, h.daemon);
            for (const issue of validateDaemonConfig(merged, { engineVersion: h.engineVersion ?? a.engineVersion, swarm: (h.role ?? "none") !== "none" })) {
                if (!fleetLevel.has(issue.field + issue.message)) issues.push({ ...issue, field: `hosts[${i}].${issue.field}` });
            }
        }
    });
    issues.push(...validateProxy({
        httpProxy: typeof a.proxy?.httpProxy === "string" ? a.proxy.httpProxy : undefined,
        httpsProxy: typeof a.proxy?.httpsProxy === "string" ? a.proxy.httpsProxy : undefined,
        noProxy: a.proxy?.noProxy,
    }));
    return issues;
}

/**
 * What a batch's applies wait for: the previous batch, plus one promise per snapshot of the batch,
 * each resolved by `open` once that snapshot exists (snapshots are created while the batch's hosts
 * are). A concrete array on purpose: given a promise of the whole array, the SDK's mergeOptions
 * wraps it in Outputs and walks each value, resources and their parents included, which made a
 * 500-host program quadratic (38 s instead of 10 s under mocks).
 */
export function batchGate(previous: pulumi.Resource[], snapshots: number) {
    const resolvers: ((r: pulumi.Resource) => void)[] = [];
    const promised = Array.from({ length: snapshots }, () => new Promise<pulumi.Resource>((resolve) => resolvers.push(resolve)));
    let opened = 0;
    return {
        dependsOn: [...previous, ...promised] as pulumi.Input<pulumi.Resource>[],
        open(snapshot: pulumi.Resource): void {
            if (opened >= snapshots) throw new Error(`batchGate: more snapshots than the ${snapshots} expected`);
            resolvers[opened++](snapshot);
        },
        unopened: () => snapshots - opened,
    };
}

/** A fleet of Docker hosts sharing one daemon config, restarted in batches. */
export class DockerFleet extends pulumi.ComponentResource {
    public readonly hosts: DockerHost[];
    /** Host names per restart batch, in order. */
    public readonly batches: string[][];
    /**
     * The last batch (its hosts, or the manager's serve-waits around them): every batch waits for
     * the one before, so this comes after every host's apply. Depend on this, not on the fleet:
     * for each dependent, the SDK walks a component's children and asks each one's URN, which made
     * 100 swarm stacks on 500 hosts cost 150 000 URN lookups.
     */
    public readonly done: pulumi.Resource[];
    /** Each host's change, from `driftStatus`; unset without it. */
    public readonly changes?: Record<string, HostChangeKind>;
    /** The order the hosts apply in: canary, wave, restart batches (rollout.ts). */
    public readonly rollout: Rollout;
    private readonly fleetName: string;

    constructor(name: string, args: DockerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:dockerhost:DockerFleet", name, {}, opts);
        this.fleetName = name;
        reportIssues(this, componentContext(`DockerFleet "${name}"`), [...validateFleet(args), ...validateHostKeys(args.hosts, args.ssh)]);
        const cis = cisPreviewLines(name, args.hosts.map((h) => ({ name: h.name, ctx: {
            daemon: hardenedDaemon(mergeDaemon(args.daemon ?? {}, h.daemon)),
            swarm: (h.role ?? "none") !== "none",
            autolock: args.swarmUnlockKey !== undefined,
            fleetRegistries: args.fleetRegistries,
        } })));
        if (cis.info) pulumi.log.info(cis.info, this);
        for (const w of cis.warnings) pulumi.log.warn(w, this);

        const byName = new Map(args.hosts.map((h) => [h.name, h]));
        const batches = args.batches
            ? args.batches.flatMap((b) => restartBatches(b.map((n) => byName.get(n)!), args.batchSize ?? b.length))
            : restartBatches(args.hosts, args.batchSize ?? 1);
        this.batches = batches.map((b) => b.map((h) => h.name));
        this.hosts = [];
        const conn = (h: FleetHost) => remoteConnection(h, args.ssh);
        // A worker cannot ask which tasks the swarm wants on it; the fleet's first manager can: it
        // snapshots the services before a worker's apply and waits after it until the worker and
        // every service serve as before (components/swarm/scripts/swarm-serve-wait.sh).
        const manager = args.hosts.find((h) => h.role === "manager");
        if (!manager && args.hosts.some((h) => h.role === "worker")) {
            pulumi.log.warn(`DockerFleet "${name}": workers but no manager in the fleet: a worker's restart waits only for its own task containers (docs/limits.md)`, this);
        }
        const timeout = args.restartTimeoutSeconds ?? DEFAULT_RESTART_TIMEOUT;
        const frame = { timeoutSeconds: timeout, manager: manager?.name, maxUnavailable: args.maxUnavailable, stackMaxUnavailable: args.stackMaxUnavailable };
        // The same arguments render the apply and tell the change: the classification never
        // changes a host's command (a host that needs nothing keeps its inputs: nothing runs).
        const hostArgs = (h: FleetHost): DockerHostArgs => ({
            connection: conn(h),
            hostName: h.name,
            daemon: mergeDaemon(args.daemon ?? {}, h.daemon),
            proxy: args.proxy,
            fleetRegistries: args.fleetRegistries,
            registryTrust: args.registryTrust,
            engineVersion: h.engineVersion ?? args.engineVersion,
            swarm: (h.role ?? "none") !== "none",
            restartTimeoutSeconds: args.restartTimeoutSeconds,
            smokeImage: args.smokeImage,
            smokePull: args.smokePull,
            restartCommand: args.restartCommand,
            reloadCommand: args.reloadCommand,
            logCommand: args.logCommand,
            execStart: args.execStart,
            onDelete: args.onDelete,
            driftCheck: args.driftCheck,
            driftStatus: args.driftStatus?.[h.name],
            swarmUnlockKey: h.role === "manager" ? args.swarmUnlockKey : undefined,
        });
        const status = args.driftStatus;
        const plain = args.plainProxy ?? plainProxyOf(args.proxy);
        this.changes = status ? Object.fromEntries(args.hosts.map((h) => [h.name, changeKind(desiredHostFiles(hostArgs(h), plain), status[h.name])])) : undefined;
        const changes = this.changes;
        this.rollout = planRollout(this.batches, changes ? Object.fromEntries(Object.entries(changes).map(([n, c]) => [n, c.kind])) : {});
        let previous: pulumi.Resource[] = [];
        for (const stage of this.rollout.stages) {
            // a stage's groups (the wave's hosts) wait for the previous stage only, not for each other
            const stageDone: pulumi.Resource[] = [];
            for (const group of stage) stageDone.push(...this.applyBatch(group.map((n) => byName.get(n)!), previous, hostArgs, manager, frame, changes));
            previous = stageDone;
        }
        this.done = previous;
        // in the planned batch order whatever order they applied in (the stack's daemonJson output)
        const order = new Map(this.batches.flat().map((n, i) => [n, i]));
        this.hosts.sort((a, b) => order.get(a.hostName)! - order.get(b.hostName)!);
        this.registerOutputs({ batches: this.batches });
    }

    /** One batch: its hosts apply together after `previous`; what the next batch waits for. */
    private applyBatch(batch: FleetHost[], previous: pulumi.Resource[], hostArgs: (h: FleetHost) => DockerHostArgs, manager: FleetHost | undefined, frame: ServeWaitOptions & { timeoutSeconds: number; manager?: string }, changes?: Record<string, HostChangeKind>): pulumi.Resource[] {
        const timeout = frame.timeoutSeconds;
        const conn = (h: FleetHost) => hostArgs(h).connection;
        // Every host of a batch applies only after the manager has snapshotted the swarm for
        // each watched worker of the batch: a manager restarting in the same batch never
        // restarts before (or during) a snapshot, and the batch's hosts still start together.
        const isWatched = (h: FleetHost) => manager !== undefined && h.role === "worker";
        // A worker that only reloads stops no task: nothing for the manager to snapshot or wait
        // for. Its frame stays in the graph, unchanged (ignoreChanges: it runs nothing and keeps
        // its state), so the next restart of that worker replaces and runs it as before.
        const reloadOnly = (h: FleetHost) => changes?.[h.name]?.kind === "reload";
        const frameOpts = (h: FleetHost): pulumi.CustomResourceOptions => (reloadOnly(h) ? { ignoreChanges: ["*"] } : {});
        const watchedCount = batch.filter((h) => isWatched(h) && !reloadOnly(h)).length;
        const framed = batch.some(isWatched);
        const gate = batchGate(previous, watchedCount);
        const pending: { h: FleetHost; host: DockerHost; snapshot?: command.remote.Command }[] = [];
        for (const h of batch) {
            const watched = isWatched(h);
            const entry: { h: FleetHost; host?: DockerHost; snapshot?: command.remote.Command } = { h };
            entry.host = new DockerHost(h.name, {
                ...hostArgs(h),
                taskWait: watched ? "manager" : undefined,
                // the snapshot is replaced (runs again) exactly when the apply's inputs change
                beforeApply: framed
                    ? (digest) => {
                          if (watched) {
                              entry.snapshot = new command.remote.Command(`${h.name}-serve-snapshot`, {
                                  connection: conn(manager!),
                                  create: renderServeWaitCommand("snapshot", h.name, { timeoutSeconds: timeout, maxUnavailable: frame.maxUnavailable, stackMaxUnavailable: frame.stackMaxUnavailable }),
                                  triggers: [digest],
                                  addPreviousOutputInEnv: false,
                              }, { parent: this, dependsOn: previous, ...frameOpts(h) });
                              if (reloadOnly(h)) return previous;
                              gate.open(entry.snapshot);
                          }
                          return gate.dependsOn;
                      }
                    : undefined,
            }, { parent: this, dependsOn: previous });
            pending.push(entry as { h: FleetHost; host: DockerHost; snapshot?: command.remote.Command });
        }
        // A snapshot promise nobody resolved would hang the batch's applies, silently.
        if (gate.unopened() > 0) throw new Error(`DockerFleet "${this.fleetName}": batch [${batch.map((h) => h.name).join(", ")}] is missing ${gate.unopened()} of ${watchedCount} swarm snapshots (a DockerHost did not call beforeApply)`);
        const current: pulumi.Resource[] = [];
        for (const { h, host, snapshot } of pending) {
            this.hosts.push(host);
            if (!snapshot) {
                current.push(host);
                continue;
            }
            const wait = new command.remote.Command(`${h.name}-serve-wait`, {
                connection: conn(manager!),
                create: renderServeWaitCommand("wait", h.name, { timeoutSeconds: timeout, manager: frame.manager }),
                // the snapshot, and whether the worker restarted (then no task report from before counts)
                stdin: pulumi.all([snapshot.stdout, host.restarted]).apply(([snap, r]) => (r ? `${snap.trimEnd()}\n${APPLY_RESTARTED_LINE}\n` : snap)),
                triggers: [host.applyDigest],
                addPreviousOutputInEnv: false,
            }, { parent: this, dependsOn: [host], customTimeouts: { create: `${timeout * 2}s` }, ...frameOpts(h) });
            current.push(wait);
        }
        return current;
    }
}
