// The components of the dockfleet Pulumi package (Pulumi YAML and other languages, through
// `pulumi package add`): thin classes whose Args the component provider host of @pulumi/pulumi
// (provider/experimental, its TypeScript analyzer) turns into the package schema, and that build
// dockfleet's real components from them. Each class is registered as `dockfleet:index:<Class>`,
// the host's token convention (module `index`); the real component is its only child.
//
// Why not the real Args: the analyzer reads interfaces, named enums (a const object and a type of
// one name), plain/Input values, arrays and string maps, but no inline literal unions, no
// resource objects such as a docker.Provider, and only top-level properties can be secret (the
// schema's `secret`, which Pulumi YAML applies to the values it passes). So the fleet's SSH key
// and proxy URLs are top-level inputs here (`sshPrivateKey`, `httpProxy`, `httpsProxy`; marked
// secret in index.ts), and the docker provider of a SwarmStack comes from the resource options
// (`options: providers:` in YAML). Nested types (DaemonConfig, ServiceSpec, NfsVolumeArgs, ...)
// are the real ones, so their doc comments are the schema's descriptions.
import * as pulumi from "@pulumi/pulumi";
import { DaemonConfig } from "../../components/docker-host/daemon-config";
import { DockerFleet as RealDockerFleet, FleetHost as RealFleetHost } from "../../components/docker-host/docker-fleet";
import { NfsVolumeArgs } from "../../components/nfs-volume/nfs";
import { ServiceSpec } from "../../components/swarm-stack/spec";
import { SwarmStack as RealSwarmStack } from "../../components/swarm-stack/swarm-stack";

/** A host's swarm role. */
export const HostRole = {
    /** A swarm manager. */
    manager: "manager",
    /** A swarm worker. */
    worker: "worker",
    /** Not a swarm node. */
    none: "none",
} as const;
export type HostRole = (typeof HostRole)[keyof typeof HostRole];

/** How the post-restart smoke container gets its image. */
export const SmokePull = {
    /** An absent smoke image is pulled after the restart (with the new config's proxy). */
    missing: "missing",
    /** The image must already be on the host; checked before anything is written. */
    never: "never",
} as const;
export type SmokePull = (typeof SmokePull)[keyof typeof SmokePull];

/** What deleting a host's resource does to the host. */
export const OnDelete = {
    /** Put back the pre-dockfleet files (when no other dockfleet resource still claims them). */
    restore: "restore",
    /** Keep the current files. */
    keep: "keep",
} as const;
export type OnDelete = (typeof OnDelete)[keyof typeof OnDelete];

/** One host of a DockerFleet. */
export interface FleetHost {
    /** Host name (resource names and messages): letters, digits, "-". Required. */
    name: string;
    /** SSH address: an IP or a DNS name. Required. */
    address: string;
    /** SSH port. Default: the fleet's `sshPort`, else 22. */
    port?: number;
    /** The host's pinned SSH host key (`ssh-ed25519 AAAA...`, from `ssh-keyscan -t ed25519 HOST`, its fingerprint checked on the host). Required unless the fleet's `insecureIgnoreHostKeys`. */
    hostKey?: string;
    /** Swarm role, for validation (live-restore is refused on swarm nodes) and ordering. Default: "none". */
    role?: HostRole;
    /** Docker Engine version for the guards, e.g. "24.0". Default: the fleet's `engineVersion`. */
    engineVersion?: string;
    /** Per-host daemon.json overrides, merged over the fleet's `daemon` (top-level keys replace). Default: `{}`. */
    daemon?: DaemonConfig;
}

/** Args of the package's DockerFleet. */
export interface DockerFleetArgs {
    /** The hosts, restarted in this order in batches of `batchSize`. Required, at least one. */
    hosts: FleetHost[];
    /** SSH private key (PEM/OpenSSH) for `sshUser` on every host. Secret. Required. */
    sshPrivateKey: pulumi.Input<string>;
    /** SSH user on every host. Default: "root". */
    sshUser?: string;
    /** SSH port of every host that sets no `port`. Default: 22. */
    sshPort?: number;
    /** Connect to hosts without `hostKey` without verifying who answers (throwaway hosts only). Default: false. */
    insecureIgnoreHostKeys?: boolean;
    /** daemon.json shared by every host (see the DaemonConfig type). Default: `{}`. */
    daemon?: DaemonConfig;
    /** HTTP_PROXY of dockerd (the docker.service drop-in); may carry credentials. Secret. Default: unset (no proxy drop-in). */
    httpProxy?: pulumi.Input<string>;
    /** HTTPS_PROXY of dockerd; may carry credentials. Secret. Default: unset. */
    httpsProxy?: pulumi.Input<string>;
    /** Extra NO_PROXY entries; localhost, 127.0.0.1 and `fleetRegistries` are always added. Default: `[]`. */
    noProxy?: string[];
    /** The fleet's registries (host[:port]), added to NO_PROXY. Default: `[]`. */
    fleetRegistries?: string[];
    /** Docker Engine version of the hosts for the guards (a key the engine does not know is an error). Default: unset. */
    engineVersion?: string;
    /** Hosts restarted together; batch N+1 starts only after every host of batch N is healthy. Default: 1. */
    batchSize?: number;
    /** Ask every host over SSH on each preview/up whether its files still match the last apply. Default: false. */
    driftCheck?: boolean;
    /** Seconds to wait for a restart, the API and swarm Ready (10-900). Default: 60. */
    restartTimeoutSeconds?: number;
    /** Image of the post-restart smoke container; `""` disables the smoke test. Default: "busybox:latest". */
    smokeImage?: string;
    /** How the smoke image gets onto the host. Default: "missing". */
    smokePull?: SmokePull;
    /** Restart command for hosts without systemd. Default: unset (systemctl daemon-reload, reset-failed, restart docker.service). */
    restartCommand?: string;
    /** Reload command (SIGHUP) when only hot-reloadable keys changed. Default: "systemctl reload docker.service". */
    reloadCommand?: string;
    /** Command printing dockerd's recent log, for hosts without journald. Default: unset (journalctl). */
    logCommand?: string;
    /** ExecStart written when `daemon.hosts` is set. Default: "/usr/bin/dockerd --containerd=/run/containerd/containerd.sock". */
    execStart?: string;
    /** What deleting the fleet (or a host) does to the host's files. Default: "restore". */
    onDelete?: OnDelete;
}

/** A stack network (always an overlay network, `<stack>_<key>`). */
export interface StackNetwork {
    /** Standalone containers may attach. Default: false. */
    attachable?: boolean;
    /** Extra network labels (`com.docker.stack.namespace` is always added). Default: `{}`. */
    labels?: Record<string, string>;
}

/** Args of the package's SwarmStack. */
export interface SwarmStackArgs {
    /** Stack namespace: prefixes service, network and volume names (`<name>_<service>`) and sets `com.docker.stack.namespace`. Required. */
    name: string;
    /** Services by short name (the name other services resolve on the stack's networks). Required, at least one. */
    services: Record<string, ServiceSpec>;
    /** Overlay networks by short name. A service without `networks` joins `default`, created when needed. Default: `{}`. */
    networks?: Record<string, StackNetwork>;
    /** NFS exports mounted by services (`mounts: [{type: nfs, source: <key>}]`). Default: `{}`. */
    nfsVolumes?: Record<string, NfsVolumeArgs>;
    /** TZ for every service ("Area/City" or "UTC"), and /etc/localtime mounted read-only. Default: unset (off). */
    tz?: string;
    /** Convergence timeout of replicated services (Go duration). Default: "3m". */
    convergeTimeout?: string;
}

/**
 * The component provider hands over an input as an Output when it is secret or depends on another
 * resource. The inputs the components plan with (hosts, services, ...) must be known values from
 * config or literals; say so instead of failing somewhere inside.
 */
function known<T>(component: string, field: string, value: T): T {
    if (pulumi.Output.isInstance(value)) {
        throw new Error(`${component}: input "${field}" must be a known value (a literal or a plain config value), not a secret or another resource's output`);
    }
    return value;
}

/**
 * Docker hosts sharing one daemon.json, applied over SSH with a safe apply (validate, back up,
 * write, restart or reload, health and smoke checks, roll back on failure), in batches. Builds
 * dockfleet's DockerFleet (`dockfleet:dockerhost:DockerFleet`) with one DockerHost and one
 * command:remote:Command per host.
 */
export class DockerFleet extends pulumi.ComponentResource {
    /** Host names per restart batch, in order. */
    public readonly batches: pulumi.Output<string[][]>;
    /** The rendered daemon.json of each host, by host name. */
    public readonly daemonJson: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: DockerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:index:DockerFleet", name, {}, opts);
        const c = `DockerFleet "${name}"`;
        const hosts: RealFleetHost[] = known(c, "hosts", args.hosts ?? []).map((h, i) => known(c, `hosts[${i}]`, h));
        const fleet = new RealDockerFleet(name, {
            hosts,
            ssh: { user: known(c, "sshUser", args.sshUser), port: known(c, "sshPort", args.sshPort), privateKey: args.sshPrivateKey, insecureIgnoreHostKeys: known(c, "insecureIgnoreHostKeys", args.insecureIgnoreHostKeys) },
            daemon: known(c, "daemon", args.daemon),
            proxy: args.httpProxy !== undefined || args.httpsProxy !== undefined || args.noProxy !== undefined
                ? { httpProxy: args.httpProxy, httpsProxy: args.httpsProxy, noProxy: known(c, "noProxy", args.noProxy) }
                : undefined,
            fleetRegistries: known(c, "fleetRegistries", args.fleetRegistries),
            engineVersion: known(c, "engineVersion", args.engineVersion),
            batchSize: known(c, "batchSize", args.batchSize),
            driftCheck: known(c, "driftCheck", args.driftCheck),
            restartTimeoutSeconds: known(c, "restartTimeoutSeconds", args.restartTimeoutSeconds),
            smokeImage: known(c, "smokeImage", args.smokeImage),
            smokePull: known(c, "smokePull", args.smokePull),
            restartCommand: known(c, "restartCommand", args.restartCommand),
            reloadCommand: known(c, "reloadCommand", args.reloadCommand),
            logCommand: known(c, "logCommand", args.logCommand),
            execStart: known(c, "execStart", args.execStart),
            onDelete: known(c, "onDelete", args.onDelete),
        }, { parent: this });
        this.batches = pulumi.output(fleet.batches);
        this.daemonJson = pulumi.all(fleet.hosts.map((h) => h.daemonJson)).apply((texts) =>
            Object.fromEntries(texts.map((t, i) => [fleet.hosts[i].hostName, t])));
        this.registerOutputs({ batches: this.batches, daemonJson: this.daemonJson });
    }
}

/**
 * A swarm stack (services, overlay networks, NFS volumes) named and labelled like `docker stack
 * deploy`. Builds dockfleet's SwarmStack (`dockfleet:swarm:SwarmStack`) with docker:Service and
 * docker:Network resources, created through the docker provider given in the resource options
 * (`providers`/`provider`: a swarm manager).
 */
export class SwarmStack extends pulumi.ComponentResource {
    /** Full service names (`<stack>_<service>`). */
    public readonly serviceNames: pulumi.Output<string[]>;
    /** Full network names (`<stack>_<net>`). */
    public readonly networkNames: pulumi.Output<string[]>;
    /** The equivalent compose v3.8 file (secrets as `${VAR}` references), for `docker stack deploy -c`. */
    public readonly compose: pulumi.Output<string>;

    constructor(name: string, args: SwarmStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:index:SwarmStack", name, {}, opts);
        const c = `SwarmStack "${name}"`;
        const stack = new RealSwarmStack(name, {
            name: known(c, "name", args.name),
            services: known(c, "services", args.services),
            networks: known(c, "networks", args.networks),
            nfsVolumes: known(c, "nfsVolumes", args.nfsVolumes),
            tz: known(c, "tz", args.tz),
            convergeTimeout: known(c, "convergeTimeout", args.convergeTimeout),
        }, { parent: this });
        this.serviceNames = stack.serviceNames;
        this.networkNames = stack.networkNames;
        this.compose = stack.compose;
        this.registerOutputs({ serviceNames: this.serviceNames, networkNames: this.networkNames, compose: this.compose });
    }
}
