import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { DockerFleet } from "../components/docker-host/docker-fleet";
import { DaemonConfig } from "../components/docker-host/daemon-config";
import { ContainerUnit } from "../components/container-unit/container-unit";
import { Registry, RegistryStorageArgs } from "../components/registry/registry";
import { SwarmStack } from "../components/swarm-stack/swarm-stack";
import { NfsVolume } from "../components/nfs-volume/nfs-volume";
import { SwarmCluster } from "../components/swarm/swarm-cluster";
import { members, planSwarm } from "../components/swarm/plan";
import { throwOnErrors, warnOnce } from "../components/common/issues";
import { registryLogin } from "../components/registry/login";
import { imageFrom } from "../components/swarm-stack/swarm-stack";
import { loginUserOf } from "./registry-trust";
import { LoadedConfig, fleetRollout } from "./load";
import { RestartPlan, planRestarts } from "../components/swarm/restart-plan";
import { renderRollout } from "../components/docker-host/rollout";
import { Observed } from "./observe";
import { probesOff, takeEarlyProbe } from "./early-probe";
import { PARTS, Part } from "./schema";
import { hostKeySshOptions } from "../components/common/known-hosts";
import { hostKeyMismatchError } from "./host-keys";
import { FleetImage } from "../components/fleet-image/fleet-image";
import { pinBuiltImages } from "./stacks";
import { imagePlanMessage, imageResourceName } from "../components/fleet-image/plan";
import { plannedImages } from "./images";
import { HostCleanup } from "../components/host-cleanup/host-cleanup";
import { CLEANUP_MESSAGE, describeCleanupPolicy } from "../components/host-cleanup/policy";
import { gcSummary, renderReferenced, withGcDefaults } from "../components/registry/gc-config";
import { registryGc } from "../components/registry/gc";
import { certsDirPath } from "../components/docker-host/registry-trust";

/** The registry's GC job is on: a `gc` block not switched off. */
const gcOn = (c: LoadedConfig["config"]): boolean => c.registry?.gc !== undefined && c.registry.gc.enabled !== false;

/** Why a part can be switched off, said out loud in every run that skips it. */
const PART_NEEDS: Record<Part, string> = {
    daemon: "the pulumi-resource-command plugin",
    swarm: "the pulumi-resource-command plugin",
    containerUnits: "the pulumi-resource-command plugin",
    registry: "the pulumi-resource-docker plugin",
    images: "the pulumi-resource-docker plugin",
    stacks: "the pulumi-resource-docker plugin",
    volumes: "the pulumi-resource-docker plugin",
    hostCleanup: "the pulumi-resource-command plugin",
};

/** Host probes are off in unit tests (mocks must not reach real hosts) and with rollout.driftCheck: false. */
export const probesEnabled = (cfg: LoadedConfig): boolean => !probesOff(cfg.config.rollout, process.env);

/**
 * Asks the hosts, before anything is registered, about their swarm membership (so a plan the live
 * swarm refuses, quorum or another swarm, fails the preview with nothing started) and about drift
 * of the daemon files: one SSH round trip per host, all at once.
 */
export async function observe(cfg: LoadedConfig): Promise<Observed> {
    if (!probesEnabled(cfg)) return {};
    // Swarm members are asked for the membership plan and, with the daemon part, the restart plan.
    const swarm = (cfg.parts.has("swarm") || cfg.parts.has("daemon")) && members(cfg.config.hosts).length > 0;
    // program.js started the probe before the modules loaded; it is used when it asked the same
    const observed = await takeEarlyProbe(cfg, swarm, cfg.parts.has("daemon"));
    // a host that did not prove its pinned key: the run stops before anything is registered
    if (observed.hostKeys?.length) throw hostKeyMismatchError(cfg.stack, observed.hostKeys, cfg.hostKeySources);
    return observed;
}

/** The first line of the restart plan's log message (cli/preview-summary reads it). */
export const RESTART_PLAN_MESSAGE = "DockerFleet \"fleet\" restart plan from the live swarm:\n  ";
/** The first line of the rollout's log message when there is no restart plan (no swarm). */
export const ROLLOUT_MESSAGE = "DockerFleet \"fleet\" rollout:\n  ";

/**
 * The log message of the fleet's order: the rollout in words (rollout.ts renderRollout: reload
 * canary and wave, restart, nothing, per host), then the restart plan's batches when there is one.
 * undefined when there is neither (probes off).
 */
export function rolloutMessage(plan: RestartPlan | undefined, rollout: string[]): string | undefined {
    if (plan) return `${RESTART_PLAN_MESSAGE}${[...rollout, ...plan.reasons].join("\n  ")}`;
    return rollout.length > 0 ? `${ROLLOUT_MESSAGE}${rollout.join("\n  ")}` : undefined;
}

/**
 * Restart batches from the live swarm (components/swarm/restart-plan.ts), when a manager answered
 * the probe; else undefined, and the fleet restarts `rollout.batchSize` (default 1) at a time.
 */
export function restartPlan(cfg: LoadedConfig, observed: Observed): RestartPlan | undefined {
    if (!cfg.parts.has("daemon") || !observed.live || !observed.swarm) return undefined;
    const c = cfg.config;
    const seen = observed.swarm;
    const swarmNodes = seen[observed.live.from]?.nodes ?? [];
    const hosts = c.hosts.map((h) => {
        const o = seen[h.name];
        const inSwarm = o?.state === "active" && o.nodeId !== undefined;
        const leader = inSwarm && swarmNodes.some((n) => n.id === o.nodeId && n.leader === true);
        return { name: h.name, nodeId: inSwarm ? o.nodeId : undefined, manager: inSwarm ? o.isManager === true : false, ...(leader ? { leader } : {}) };
    });
    return planRestarts({
        hosts,
        services: observed.live.services,
        tasks: observed.live.tasks,
        maxUnavailable: c.rollout?.maxUnavailable,
        stackMaxUnavailable: stackMaxUnavailable(c),
        batchSize: c.rollout?.batchSize,
        managers: swarmNodes.filter((n) => n.role === "manager").length || undefined,
    });
}

/** Each stack's maxUnavailable, where it sets one (the plan's and the workers' snapshots' floors). */
const stackMaxUnavailable = (c: LoadedConfig["config"]): Record<string, number> =>
    Object.fromEntries(Object.entries(c.stacks ?? {}).filter(([, s]) => s.maxUnavailable !== undefined).map(([n, s]) => [n, s.maxUnavailable!]));
/** The hosts that get the cleanup timer (dockfleet:hostCleanup.onHosts, else all); none when it is off or not managed. */
export function cleanupHosts(cfg: LoadedConfig): string[] {
    const hc = cfg.config.hostCleanup;
    if (!hc || !cfg.parts.has("hostCleanup")) return [];
    return hc.onHosts ?? cfg.config.hosts.map((h) => h.name);
}

/** The one log line of the fleet's cleanup policy (`pulumi preview` shows it; cli/preview-summary repeats it). */
export function hostCleanupMessage(cfg: LoadedConfig): string {
    const hc = cfg.config.hostCleanup;
    if (!hc) return `${CLEANUP_MESSAGE}off (dockfleet:hostCleanup is not set): nothing prunes unused images, build cache or stopped containers on the hosts; {} turns on the default (7 days, volumes never)`;
    if (!cfg.parts.has("hostCleanup")) return `${CLEANUP_MESSAGE}not managed by stack "${cfg.stack}" (hostCleanup is not in dockfleet:parts): the hosts keep the timers they have`;
    const { onHosts: _hosts, ...policy } = hc;
    return `${CLEANUP_MESSAGE}${describeCleanupPolicy(policy, cleanupHosts(cfg))}`;
}

/** The host whose dockerd builds an image: its builder, else the registry's. */
export const builderOf = (cfg: LoadedConfig, key: string): string => cfg.images[key].builder ?? cfg.config.registry!.onHost;

/** The hosts the docker provider talks to: the registry's, each image's builder, each volume's, the first manager (stacks). */
export function dockerProviderHosts(cfg: LoadedConfig): string[] {
    const c = cfg.config;
    const hosts: string[] = [];
    if (cfg.parts.has("registry") && c.registry) hosts.push(c.registry.onHost);
    if (cfg.parts.has("images") && c.registry) hosts.push(...Object.keys(cfg.images).map((k) => builderOf(cfg, k)));
    if (cfg.parts.has("volumes")) hosts.push(...(c.volumes ?? []).map((v) => v.onHost));
    if (cfg.parts.has("stacks") && Object.keys(cfg.stacks).length > 0) hosts.push(c.hosts.find((h) => h.role === "manager")!.name);
    return [...new Set(hosts)];
}

/**
 * One explicit docker provider per host in `hosts`. They depend on the config alone, so index.ts
 * registers them before the hosts are probed: the engine starts the docker plugin meanwhile.
 */
export function dockerProviders(cfg: LoadedConfig, hosts: string[] = dockerProviderHosts(cfg)): Map<string, docker.Provider> {
    const c = cfg.config;
    const ssh = c.ssh ?? {};
    return new Map(hosts.map((name) => {
        const h = c.hosts.find((x) => x.name === name)!;
        const port = h.port ?? ssh.port ?? 22;
        // The docker provider reaches hosts through the system ssh client, which needs a key file
        // and checks the host against a known_hosts file of its pinned key (named by its hash:
        // the same options while the key is the same).
        const sshOpts = [...hostKeySshOptions({ address: h.address, port, hostKey: h.hostKey, insecure: ssh.insecureIgnoreHostKeys }), "-o", "LogLevel=ERROR"];
        if (ssh.privateKeyPath) sshOpts.push("-i", ssh.privateKeyPath);
        return [name, new docker.Provider(`docker-${name}`, { host: `ssh://${ssh.user ?? "root"}@${h.address}:${port}`, sshOpts })];
    }));
}

/** Creates every component the stack config asks for and returns the stack outputs. */
export function buildProgram(cfg: LoadedConfig, observed: Observed = {}, providers: Map<string, docker.Provider> = dockerProviders(cfg)) {
    const c = cfg.config;
    for (const w of cfg.warnings) warnOnce((m) => pulumi.log.warn(m), w.issue, w.text);

    const configured: Record<Part, boolean> = {
        daemon: true,
        swarm: members(c.hosts).length > 0,
        containerUnits: (c.containerUnits ?? []).length > 0,
        registry: c.registry !== undefined,
        images: Object.keys(cfg.images).length > 0,
        stacks: Object.keys(c.stacks ?? {}).length > 0,
        volumes: (c.volumes ?? []).length > 0,
        hostCleanup: c.hostCleanup !== undefined,
    };
    const skipped: string[] = [];
    for (const p of PARTS) {
        if (configured[p] && !cfg.parts.has(p)) {
            const msg = `${p}: configured but NOT managed by stack "${cfg.stack}" (not in dockfleet:parts; it needs ${PART_NEEDS[p]})`;
            skipped.push(msg);
            pulumi.log.warn(`dockfleet: ${msg}`);
        }
    }

    const ssh = c.ssh ?? {};
    const privateKey = pulumi.secret(cfg.secrets.sshPrivateKey ?? fs.readFileSync(ssh.privateKeyPath!, "utf8"));
    const registryHost = c.registry ? c.registry.address ?? c.hosts.find((h) => h.name === c.registry!.onHost)!.address : undefined;
    const registryAddress = registryHost ? `${registryHost}:${c.registry!.port ?? 5000}` : undefined;
    const registryTls = c.registry?.tls ? c.registry.tls : undefined;
    const loginUser = loginUserOf(c, cfg.registryUsers);

    const plan = restartPlan(cfg, observed);
    // The membership plan's errors (from what the hosts said) stop the program before the fleet
    // registers a single apply: SwarmCluster comes after the fleet, and the engine would otherwise
    // run the applies already registered before the update fails. SwarmCluster reports the same.
    if (cfg.parts.has("swarm") && configured.swarm && observed.swarm) {
        throwOnErrors({ stack: cfg.stack, resource: 'SwarmCluster "swarm"' }, planSwarm(c.hosts, observed.swarm, { removeNodes: c.swarm?.removeNodes }).issues);
    }

    let fleet: DockerFleet | undefined;
    if (cfg.parts.has("daemon")) {
        fleet = new DockerFleet("fleet", {
            hosts: c.hosts.map((h) => ({ ...h, daemon: h.daemon as Partial<DaemonConfig> | undefined })),
            ssh: { user: ssh.user, port: ssh.port, privateKey, insecureIgnoreHostKeys: ssh.insecureIgnoreHostKeys },
            daemon: (c.daemon ?? {}) as DaemonConfig,
            proxy: {
                httpProxy: cfg.secrets.httpProxy !== undefined ? pulumi.secret(cfg.secrets.httpProxy) : undefined,
                httpsProxy: cfg.secrets.httpsProxy !== undefined ? pulumi.secret(cfg.secrets.httpsProxy) : undefined,
                noProxy: c.proxy?.noProxy,
            },
            // in memory only: the fleet compares the proxy's root-only env file by the probe's HMAC
            plainProxy: { httpProxy: cfg.secrets.httpProxy, httpsProxy: cfg.secrets.httpsProxy },
            fleetRegistries: registryAddress ? [registryAddress] : [],
            registryTrust: registryTls && registryAddress ? [{ address: registryAddress, caCert: registryTls.caCert }] : [],
            engineVersion: c.engineVersion,
            ...fleetRollout(c.rollout),
            batches: plan?.batches,
            // the floors the plan keeps, checked again by each worker's snapshot before its restart
            maxUnavailable: c.rollout?.maxUnavailable,
            stackMaxUnavailable: stackMaxUnavailable(c),
            // Unit tests build every stack under mocks and must not reach for real hosts.
            driftCheck: probesEnabled(cfg),
            driftStatus: observed.drift,
            swarmUnlockKey: c.swarm?.autolock && cfg.secrets.swarmUnlockKey !== undefined ? pulumi.secret(cfg.secrets.swarmUnlockKey) : undefined,
        });
    }
    // the hosts' changes are known once the fleet compared them with the probe
    const message = rolloutMessage(plan, fleet?.changes ? renderRollout(fleet.rollout, fleet.changes, fleet.batches.flat()) : []);
    if (message) pulumi.log.info(message);
    // The fleet's last batch, which comes after every host's apply (DockerFleet.done: cheaper for
    // the SDK than the fleet itself, whose children it would walk for every dependent).
    const after = fleet ? fleet.done : [];

    // Membership after every daemon apply (a restart must not race a join), stacks after it.
    let swarm: SwarmCluster | undefined;
    if (cfg.parts.has("swarm") && configured.swarm) {
        swarm = new SwarmCluster("swarm", {
            hosts: c.hosts,
            ssh: { user: ssh.user, port: ssh.port, privateKey, insecureIgnoreHostKeys: ssh.insecureIgnoreHostKeys },
            removeNodes: c.swarm?.removeNodes,
            observed: observed.swarm,
        }, { dependsOn: after });
    }
    const afterSwarm = swarm ? swarm.done : after;

    const connectionFor = (name: string) => {
        const h = c.hosts.find((x) => x.name === name)!;
        return { host: h.address, port: h.port ?? ssh.port ?? 22, user: ssh.user ?? "root", privateKey, ...(h.hostKey !== undefined ? { hostKey: h.hostKey } : {}) };
    };
    // dockerProviderHosts names every host used below; a host it missed still gets one provider
    const providerFor = (host: string) => {
        if (!providers.has(host)) providers.set(host, dockerProviders(cfg, [host]).get(host)!);
        return providers.get(host)!;
    };

    let registry: Registry | undefined;
    if (cfg.parts.has("registry") && c.registry) {
        const r = c.registry;
        const storage: RegistryStorageArgs =
            r.storage.kind === "swift" ? { ...r.storage, password: pulumi.secret(cfg.secrets.swiftPassword!) }
            : r.storage.kind === "s3" ? { ...r.storage, secretKey: pulumi.secret(cfg.secrets.s3SecretKey!) }
            : r.storage;
        registry = new Registry("registry", {
            host: registryHost!,
            port: r.port,
            image: r.image,
            storage,
            httpSecret: pulumi.secret(cfg.secrets.registryHttpSecret!),
            deleteEnabled: r.deleteEnabled,
            gc: gcOn(c),
            healthcheck: r.healthcheck,
            ...(registryTls ? { tls: { cert: registryTls.cert, key: pulumi.secret(cfg.secrets.registryTlsKey!) } } : {}),
            ...(cfg.registryUsers ? { users: pulumi.secret(cfg.registryUsers) } : {}),
        }, { provider: providerFor(r.onHost), dependsOn: after });
    }
    // Every host logs in (root's docker config) once its CA file is in place and the registry runs.
    const logins = new Map<string, pulumi.Resource>();
    if (registry && loginUser && cfg.registryUsers) {
        for (const h of c.hosts) {
            logins.set(h.name, registryLogin(`${h.name}-registry-login`, {
                connection: connectionFor(h.name), address: registryAddress!, username: loginUser, password: pulumi.secret(cfg.registryUsers[loginUser]),
            }, { parent: registry, dependsOn: [...after, registry.container] }));
        }
    }

    // Built on their builder host, pushed with the login user's credentials once the registry runs
    // (and, through `after`, once every host trusts its CA). Proxy URLs reach RUN steps only.
    const images: Record<string, FleetImage> = {};
    if (cfg.parts.has("images") && registryAddress) {
        for (const [key, img] of Object.entries(cfg.images)) {
            images[key] = new FleetImage(imageResourceName(key), {
                name: img.name ?? key,
                context: img.context,
                dockerfile: img.dockerfile,
                target: img.target,
                args: img.args,
                platform: img.platform,
                registry: { server: registryAddress, ...(loginUser && cfg.registryUsers ? { username: loginUser, password: pulumi.secret(cfg.registryUsers[loginUser]) } : {}) },
                proxy: {
                    httpProxy: cfg.secrets.httpProxy !== undefined ? pulumi.secret(cfg.secrets.httpProxy) : undefined,
                    httpsProxy: cfg.secrets.httpsProxy !== undefined ? pulumi.secret(cfg.secrets.httpsProxy) : undefined,
                    noProxy: c.proxy?.noProxy,
                },
            }, { provider: providerFor(builderOf(cfg, key)), dependsOn: registry ? [...after, registry.container] : after });
        }
    }
    const digests = Object.fromEntries(Object.entries(images).map(([k, i]) => [k, i.repoDigest]));
    // Known without building: each tag and its services; the Image's step says whether it builds.
    const imagePlan = imagePlanMessage(plannedImages(Object.fromEntries(Object.entries(images).map(([k, i]) => [k, i.imageName])), cfg.parts.has("stacks") ? cfg.imageRefs : {}));
    if (imagePlan) pulumi.log.info(imagePlan);

    const units: ContainerUnit[] = [];
    if (cfg.parts.has("containerUnits")) {
        for (const u of c.containerUnits ?? []) {
            const { onHosts, ...spec } = u;
            for (const host of onHosts ?? c.hosts.map((h) => h.name)) {
                const login = registryAddress && imageFrom(u.image, registryAddress) ? logins.get(host) : undefined;
                units.push(new ContainerUnit(`${host}-${u.name}`, { ...spec, connection: connectionFor(host) }, { dependsOn: login ? [...after, login] : after }));
            }
        }
    }

    const volumes: NfsVolume[] = [];
    if (cfg.parts.has("volumes")) {
        for (const v of c.volumes ?? []) {
            const { onHost, name, ...nfs } = v;
            volumes.push(new NfsVolume(`${onHost}-${name}`, { ...nfs, volumeName: name }, { provider: providerFor(onHost), dependsOn: after }));
        }
    }

    // After the rollout: a prune never races a daemon restart. Off unless dockfleet:hostCleanup is set.
    pulumi.log.info(hostCleanupMessage(cfg));
    const cleanups: HostCleanup[] = [];
    if (c.hostCleanup) {
        const { onHosts: _hosts, ...policy } = c.hostCleanup;
        for (const host of cleanupHosts(cfg)) {
            cleanups.push(new HostCleanup(`${host}-host-cleanup`, { ...policy, connection: connectionFor(host) }, { dependsOn: after }));
        }
    }

    const stacks: SwarmStack[] = [];
    if (cfg.parts.has("stacks") && Object.keys(cfg.stacks).length > 0) {
        const manager = c.hosts.find((h) => h.role === "manager")!;
        const provider = providerFor(manager.name);
        for (const [name, loaded] of Object.entries(cfg.stacks)) {
            // a service of a built image runs its pushed digest: a new digest rolls exactly those services
            const refs = cfg.imageRefs[name];
            const pinned = pinBuiltImages(loaded, refs, digests);
            // values of the secret dockfleet:stackSecrets: secret in the state whatever happens to them
            // and the key of their names (load.ts has checked it is there): a secret too, used only in an apply
            const spec = pinned.secrets
                ? { ...pinned, secrets: Object.fromEntries(Object.entries(pinned.secrets).map(([n, v]) => [n, { value: pulumi.secret(v.value) }])), secretsKey: pulumi.secret(cfg.secrets.stackSecretsKey!) }
                : pinned;
            const fromRegistry = registryAddress !== undefined && (refs !== undefined || Object.values(loaded.services).some((x) => typeof x.image === "string" && imageFrom(x.image, registryAddress)));
            const registryAuth = fromRegistry && loginUser && cfg.registryUsers ? { serverAddress: registryAddress!, username: loginUser, password: pulumi.secret(cfg.registryUsers[loginUser]) } : undefined;
            stacks.push(new SwarmStack(name, { ...spec, registryAuth }, { provider, dependsOn: fromRegistry && registry ? [...afterSwarm, registry.container] : afterSwarm }));
        }
    }

    // GC keeps what this stack runs from the registry: built digests, pinned or tagged images
    if (registry && gcOn(c)) {
        const g = withGcDefaults(c.registry!.gc!);
        const named = [
            ...Object.values(cfg.stacks).flatMap((st) => Object.values(st.services).map((x) => x.image)),
            ...(c.containerUnits ?? []).map((u) => u.image),
        ].filter((i): i is string => typeof i === "string" && imageFrom(i, registryAddress!));
        pulumi.log.info(gcSummary(g, Object.keys(digests).length + renderReferenced(named, registryAddress!).split("\n").filter(Boolean).length), registry);
        registryGc("registry-gc", {
            connection: connectionFor(c.registry!.onHost),
            schedule: g.schedule,
            keep: g.keep,
            url: `${registryTls ? "https" : "http"}://${registryAddress}`,
            container: "registry",
            ...(registryTls ? { caCert: certsDirPath(registryAddress!) } : {}),
            referenced: pulumi.all(Object.values(digests)).apply((d) => renderReferenced([...named, ...d], registryAddress!)),
            ...(loginUser && cfg.registryUsers ? { user: pulumi.secret({ username: loginUser, password: cfg.registryUsers[loginUser] }) } : {}),
        }, { parent: registry, dependsOn: [registry.container] });
    }

    return {
        managedParts: PARTS.filter((p) => cfg.parts.has(p) && configured[p]),
        skippedParts: skipped,
        restartBatches: fleet?.batches,
        daemonJson: fleet ? pulumi.output(fleet.hosts.map((h) => h.daemonJson)).apply((x) => Object.fromEntries(x.map((j, i) => [fleet!.hosts[i].hostName, JSON.parse(j)]))) : undefined,
        containerUnits: units.map((u) => u.urn),
        registryEndpoint: registry?.endpoint,
        registryCatalogUrl: registry?.catalogUrl,
        images: Object.keys(digests).length > 0 ? digests : undefined,
        hostCleanup: cleanups.length > 0 ? cleanups.map((x) => x.urn) : undefined,
        nfsVolumes: volumes.length > 0 ? pulumi.all(volumes.map((v) => v.volumeName)) : undefined,
        swarmServices: stacks.length > 0 ? pulumi.all(stacks.map((s) => s.serviceNames)).apply((x) => x.flat()) : undefined,
    };
}
