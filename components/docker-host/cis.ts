// Hardened by default, against the CIS Docker Benchmark v1.6.0 (section 2 daemon configuration,
// 3 daemon files, 7 swarm). HARDENED_DAEMON is what dockfleet writes when a field is unset (applied
// in one place, hardenedDaemon); CIS_CHECKS says, per check, how dockfleet meets it or why it does
// not by default and which field turns it on. cisReport turns both into the preview's lines.
import type { DaemonConfig } from "./daemon-config";

/**
 * Defaults dockfleet writes unless the stack sets the field. Each is proven on the sandbox with
 * the seed's workloads (test/contract/trust-hardening.test.ts: a swarm service on an overlay
 * network with a published port, a container with a published port, the busybox and registry
 * images). Changing one restarts dockerd once (all three are restart-only keys).
 */
export const HARDENED_DAEMON = {
    /** CIS 2.2: containers on the default bridge do not talk to each other (overlay and user networks are unaffected). */
    icc: false,
    /** CIS 2.14: setuid/setgid binaries in containers gain nothing. */
    noNewPrivileges: true,
    /** CIS 2.16: published ports by iptables rules alone, no docker-proxy process per port. */
    userlandProxy: false,
} as const satisfies Partial<DaemonConfig>;

/** The daemon config with dockfleet's hardened defaults for the fields the stack left unset. */
export function hardenedDaemon(cfg: DaemonConfig): DaemonConfig {
    return {
        ...cfg,
        icc: cfg.icc ?? HARDENED_DAEMON.icc,
        noNewPrivileges: cfg.noNewPrivileges ?? HARDENED_DAEMON.noNewPrivileges,
        userlandProxy: cfg.userlandProxy ?? HARDENED_DAEMON.userlandProxy,
    };
}

/** What a check sees: the host's daemon config after hardenedDaemon, and its swarm settings. */
export interface CisContext {
    daemon: DaemonConfig;
    /** The host is a swarm node. */
    swarm: boolean;
    /** dockfleet:swarm.autolock. */
    autolock?: boolean;
    /** The fleet's own registries (host:port): their insecure-registries entry is the registry's business. */
    fleetRegistries?: string[];
}

/**
 * - `met`: the defaults satisfy it (or dockerd's own default does and the stack keeps it);
 * - `off`: the stack config turned it off (a warning names the field);
 * - `not-default`: dockfleet cannot satisfy it by default (the preview says why and which field turns it on);
 * - `operator`: outside what dockfleet manages (the preview says what to do).
 */
export type CisStatus = "met" | "off" | "not-default" | "operator";

export interface CisCheck {
    /** CIS Docker Benchmark v1.6.0 id. */
    id: string;
    title: string;
    /** The config field that decides it (`dockfleet:daemon.icc`...), or "-" when none. */
    field: string;
    /** How dockfleet meets it, or why not by default. */
    how: string;
    status(c: CisContext): CisStatus;
}

const REMOTE_LOG_DRIVERS = ["syslog", "journald", "fluentd", "gelf", "awslogs", "splunk", "gcplogs", "logentries"];
const met = (ok: boolean): CisStatus => (ok ? "met" : "off");
const D = (f: string) => `dockfleet:daemon.${f}`;

export const CIS_CHECKS: readonly CisCheck[] = [
    { id: "2.1", title: "Run the Docker daemon as a non-root user, if possible", field: "-",
        how: "not by default: dockfleet manages the system docker.service (rootless dockerd runs per user under RootlessKit, without swarm's overlay networking); no field",
        status: () => "not-default" },
    { id: "2.2", title: "Ensure network traffic is restricted between containers on the default bridge", field: D("icc"),
        how: "default icc: false (user-defined and overlay networks are not affected)", status: (c) => met(c.daemon.icc === false) },
    { id: "2.3", title: "Ensure the logging level is set to 'info'", field: D("logLevel"),
        how: "dockerd's default (info); dockfleet does not write it", status: (c) => met(c.daemon.logLevel === undefined || c.daemon.logLevel === "info") },
    { id: "2.4", title: "Ensure Docker is allowed to make changes to iptables", field: D("iptables"),
        how: "dockerd's default (true)", status: (c) => met(c.daemon.iptables !== false) },
    { id: "2.5", title: "Ensure insecure registries are not used", field: D("insecureRegistries"),
        how: "default empty; the fleet registry is reached over TLS (its CA in /etc/docker/certs.d)",
        status: (c) => met((c.daemon.insecureRegistries ?? []).every((r) => (c.fleetRegistries ?? []).includes(r))) },
    { id: "2.6", title: "Ensure aufs storage driver is not used", field: D("storageDriver"),
        how: "aufs is not a storage driver dockfleet accepts", status: () => "met" },
    { id: "2.7", title: "Ensure TLS authentication for Docker daemon is configured", field: D("tls"),
        how: "a tcp:// listener off loopback is an error without tls and client verification (tcp-api.ts)", status: () => "met" },
    { id: "2.8", title: "Ensure the default ulimit is configured appropriately", field: D("defaultUlimits"),
        how: "not by default: the right nofile/nproc limits depend on the workloads (a registry or a database needs more than a web server); containers inherit dockerd's limits",
        status: (c) => (c.daemon.defaultUlimits && Object.keys(c.daemon.defaultUlimits).length > 0 ? "met" : "not-default") },
    { id: "2.9", title: "Enable user namespace support", field: D("usernsRemap"),
        how: "not by default: remapped root cannot write volumes and bind mounts owned by host uids (a registry's storage, host paths), and switching it on a swarm node moves dockerd's state so the node leaves the swarm (the apply refuses that)",
        status: (c) => (c.daemon.usernsRemap ? "met" : "not-default") },
    { id: "2.10", title: "Ensure the default cgroup usage has been confirmed", field: D("cgroupParent"),
        how: "dockerd's default parent cgroup; dockfleet does not write it", status: (c) => met(c.daemon.cgroupParent === undefined) },
    { id: "2.11", title: "Ensure base device size is not changed until needed", field: D("storageOpts"),
        how: "no dm.basesize unless the stack sets it", status: (c) => met(!(c.daemon.storageOpts ?? []).some((o) => o.startsWith("dm.basesize"))) },
    { id: "2.12", title: "Ensure that authorization for Docker client commands is enabled", field: D("authorizationPlugins"),
        how: "not by default: needs an authorization plugin installed on every host (e.g. opa-docker-authz) and a policy for it",
        status: (c) => ((c.daemon.authorizationPlugins ?? []).length > 0 ? "met" : "not-default") },
    { id: "2.13", title: "Ensure centralized and remote logging is configured", field: D("logDriver"),
        how: "not by default: needs a log server (syslog, gelf, fluentd...); set logDriver and logOpts",
        status: (c) => (REMOTE_LOG_DRIVERS.includes(c.daemon.logDriver ?? "") ? "met" : "not-default") },
    { id: "2.14", title: "Ensure containers are restricted from acquiring new privileges", field: D("noNewPrivileges"),
        how: "default no-new-privileges: true", status: (c) => met(c.daemon.noNewPrivileges === true) },
    { id: "2.15", title: "Ensure live restore is enabled", field: D("liveRestore"),
        how: "not by default: dockerd refuses live-restore in swarm mode; on hosts outside a swarm set liveRestore: true",
        status: (c) => (c.daemon.liveRestore === true ? "met" : "not-default") },
    { id: "2.16", title: "Ensure Userland Proxy is Disabled", field: D("userlandProxy"),
        how: "default userland-proxy: false (published ports by iptables rules)", status: (c) => met(c.daemon.userlandProxy === false) },
    { id: "2.17", title: "Ensure that a daemon-wide custom seccomp profile is applied if appropriate", field: D("seccompProfile"),
        how: "dockerd's built-in default profile; \"unconfined\" turns it off", status: (c) => met(c.daemon.seccompProfile !== "unconfined") },
    { id: "2.18", title: "Ensure that experimental features are not implemented in production", field: D("experimental"),
        how: "dockerd's default (false)", status: (c) => met(c.daemon.experimental !== true) },
    { id: "3.1-3.4", title: "docker.service and docker.socket: root:root, 0644", field: "-",
        how: "the package's unit files, untouched; dockfleet's drop-ins are written root:root 0644 by the apply", status: () => "met" },
    { id: "3.5-3.6", title: "/etc/docker: root:root, 0755", field: "-",
        how: "the package's directory; the apply writes into it as root and keeps its mode", status: () => "met" },
    { id: "3.9-3.14", title: "TLS CA, server certificate and key: root:root, 0444 (key 0400)", field: D("tls"),
        how: "the operator's files; the apply refuses to write a daemon.json naming a missing one, or a key that group or others can read",
        status: () => "met" },
    { id: "3.15-3.16", title: "Docker socket: root:docker, 0660", field: D("group"),
        how: "dockerd's default", status: () => "met" },
    { id: "3.17-3.18", title: "daemon.json: root:root, 0644", field: "-",
        how: "written by the apply as root with mode 0644", status: () => "met" },
    { id: "7.1", title: "Ensure swarm mode is not enabled, if not needed", field: "dockfleet:hosts[].role",
        how: "only hosts with role manager or worker join a swarm", status: () => "met" },
    { id: "7.2", title: "Ensure that the minimum number of manager nodes have been created in a swarm", field: "dockfleet:hosts[].role",
        how: "the swarm plan checks the manager count (odd, quorum kept)", status: () => "met" },
    { id: "7.4", title: "Ensure that data exchanged between containers are encrypted on different nodes on the overlay network", field: "-",
        how: "not by default: IPsec needs ESP in every node's kernel (the sandbox's has none: dockerd logs `Failed Adding rSA ... function not implemented` and no traffic passes), and changing it replaces a stack's networks; create such networks outside dockfleet with --opt encrypted",
        status: (c) => (c.swarm ? "not-default" : "met") },
    { id: "7.6", title: "Ensure that swarm manager is run in auto-lock mode", field: "dockfleet:swarm.autolock",
        how: "not by default: a locked manager needs its key after every dockerd restart; with swarm.autolock: true and dockfleet:swarmUnlockKey (secret) the rollout unlocks restarted managers",
        status: (c) => (!c.swarm || c.autolock ? "met" : "not-default") },
    { id: "7.7", title: "Ensure that the swarm manager auto-lock key is rotated periodically", field: "dockfleet:swarmUnlockKey",
        how: "operator: `docker swarm unlock-key --rotate -q` on a manager, piped into `pulumi config set --secret dockfleet:swarmUnlockKey`",
        status: (c) => (c.swarm && c.autolock ? "operator" : "met") },
    { id: "7.8", title: "Ensure that node certificates are rotated as appropriate", field: "-",
        how: "swarm's default: node certificates expire after 90 days and are renewed automatically", status: () => "met" },
    { id: "7.9", title: "Ensure that CA certificates are rotated as appropriate", field: "-",
        how: "operator: `docker swarm ca --rotate` on a manager", status: (c) => (c.swarm ? "operator" : "met") },
];

/** One line per check that is not met by the defaults: `CIS 2.9 Enable user namespace support: <how> (field: ...)`. */
export function cisReport(c: CisContext): { off: string[]; notDefault: string[] } {
    const off: string[] = [];
    const notDefault: string[] = [];
    for (const ch of CIS_CHECKS) {
        const s = ch.status(c);
        if (s === "off") off.push(`CIS ${ch.id} "${ch.title}" is turned off by ${ch.field} (dockfleet's default: ${ch.how})`);
        else if (s === "not-default" || s === "operator") notDefault.push(`CIS ${ch.id} ${ch.title}: ${ch.how}${ch.field !== "-" ? ` (field: ${ch.field})` : ""}`);
    }
    return { off, notDefault };
}

/**
 * The preview's lines for a fleet: one info line listing the checks dockfleet does not meet by
 * default (with the hosts they concern when not all), one warning per check a stack turned off.
 */
export function cisPreviewLines(fleet: string, hosts: { name: string; ctx: CisContext }[]): { info?: string; warnings: string[] } {
    const byLine = new Map<string, { kind: "off" | "notDefault"; hosts: string[] }>();
    for (const h of hosts) {
        const r = cisReport(h.ctx);
        for (const [kind, lines] of [["off", r.off], ["notDefault", r.notDefault]] as const) {
            for (const l of lines) {
                const e = byLine.get(l) ?? { kind, hosts: [] };
                e.hosts.push(h.name);
                byLine.set(l, e);
            }
        }
    }
    const where = (hs: string[]) => (hs.length === hosts.length ? "" : ` [${hs.join(", ")}]`);
    const notDefault = [...byLine].filter(([, e]) => e.kind === "notDefault").map(([l, e]) => `  ${l}${where(e.hosts)}`);
    const met = CIS_CHECKS.length - new Set([...byLine.keys()].map((l) => l.split(" ")[1])).size;
    return {
        info: notDefault.length > 0
            ? `DockerFleet "${fleet}" CIS Docker Benchmark v1.6.0: ${met} of ${CIS_CHECKS.length} checks met by the hardened defaults; not by default (why; the field that turns it on):\n${notDefault.join("\n")}`
            : undefined,
        warnings: [...byLine].filter(([, e]) => e.kind === "off").map(([l, e]) => `DockerFleet "${fleet}": ${l}${where(e.hosts)}`),
    };
}
