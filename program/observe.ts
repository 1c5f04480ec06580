// What the program asks the hosts before registering anything: one read-only SSH round trip per
// host, rollout.probeConcurrency of them at once, carrying both the swarm probe and the drift status
// (issue 13: a no-op preview talks to each host once).
import * as fs from "fs";
import { DriftStatus, KEYED_STATUS_COMMAND, newStatusKey, parseStatus } from "../components/docker-host/drift";
import { ProbeTarget, keyscan, sshRun } from "../components/common/ssh";
import { isHostKey, parseHostKey } from "../components/common/host-keys";
import { HostKeyMismatch } from "./host-keys";
import { HostObservation, members } from "../components/swarm/plan";
import { NODES_COMMAND, PROBE_HEAD_COMMAND, parseProbe } from "../components/swarm/probe";
import { shQuote } from "../components/common/shell";
import { SERVICES_COMMAND, parseServices } from "../components/swarm/live-services";
import { LiveService, LiveTask } from "../components/swarm/restart-plan";
import { LoadedConfig } from "./load";
import { mapLimit } from "./limit";

/** The line between the swarm probe's output and the drift status in a combined probe. */
export const STATUS_SEPARATOR = "--- dockfleet status";

export interface Observed {
    /** Swarm probe per swarm member; unset when the swarm part is off or probes are off. */
    swarm?: Record<string, HostObservation>;
    /** Drift status per host; unset when the daemon part is off or probes are off. */
    drift?: Record<string, DriftStatus>;
    /** Services and the tasks the swarm wants running, as the first manager in config order that answered reports them. */
    live?: { services: LiveService[]; tasks: LiveTask[]; from: string };
    /** Hosts that did not prove their pinned SSH key (the run must stop); unset when all did. */
    hostKeys?: HostKeyMismatch[];
}

/**
 * The command for one host: the swarm probe, the status, or both separated by STATUS_SEPARATOR.
 * With the swarm part, the manager's node and service listings and the drift status run side by
 * side (bash process substitutions, which cat reads back in order): the round trip is the longest
 * of them, not their sum. The status reads the probe's one-time key from the stdin (the only part
 * that reads it: a process substitution keeps bash's stdin), see KEYED_STATUS_COMMAND.
 */
export function probeCommand(swarm: boolean, drift: boolean): string {
    if (!swarm) return KEYED_STATUS_COMMAND;
    const sideBySide = [NODES_COMMAND, SERVICES_COMMAND, ...(drift ? [`echo '${STATUS_SEPARATOR}'; ${KEYED_STATUS_COMMAND}`] : [])];
    return `bash -c ${shQuote(`${PROBE_HEAD_COMMAND}; cat ${sideBySide.map((c) => `<(${c})`).join(" ")}`)}`;
}

/** Splits a combined probe's output (probeCommand(true, true)) into its two parts. */
export function splitProbeOutput(out: string): { swarm: string; status: string } | undefined {
    const lines = out.split("\n");
    const i = lines.indexOf(STATUS_SEPARATOR);
    if (i < 0) return undefined;
    return { swarm: lines.slice(0, i).join("\n"), status: lines.slice(i + 1).join("\n") };
}

/** `dockfleet:rollout.probeTimeoutSeconds` unset: the limit of each host's probe. */
export const DEFAULT_PROBE_TIMEOUT_SECONDS = 15;

/** `dockfleet:rollout.probeReuseSeconds` unset: how long a probe's connection stays open for the next run (Ansible's ControlPersist default). */
export const DEFAULT_PROBE_REUSE_SECONDS = 60;

/**
 * `dockfleet:rollout.probeConcurrency` unset: SSH sessions the probe opens at once. Measured in
 * bench/probe-scale.sh (bench/results/, 54 sshd endpoints): unbounded, many endpoints behind one
 * sshd lose sessions to its MaxStartups (default 10:30:100 drops unauthenticated connections
 * beyond 10; 9-17 of 51 refused), 10 loses none. A cold session costs the controller's ssh
 * client ~0.12 CPU-s (OpenSSH 9.2's post-quantum key exchange) for a ~0.35-1 s round trip, so on 2
 * cores about 6-16 sessions at once already keep the cores busy: more cannot finish sooner, fewer
 * (4) would leave a real fleet's probe up to 2-4x above that floor.
 */
export const DEFAULT_PROBE_CONCURRENCY = 10;

/**
 * Asks every host what the program needs to know. Never throws: an unreachable host is
 * "unknown" for drift and unreachable for the swarm plan (which then decides).
 */
export async function observeHosts(cfg: LoadedConfig, swarm: boolean, drift: boolean): Promise<Observed> {
    if (!swarm && !drift) return {};
    const c = cfg.config;
    const ssh = c.ssh ?? {};
    const privateKey = cfg.secrets.sshPrivateKey ?? fs.readFileSync(ssh.privateKeyPath!, "utf8");
    const swarmNames = new Set(swarm ? members(c.hosts).map((h) => h.name) : []);
    const hosts = c.hosts.filter((h) => drift || swarmNames.has(h.name));
    const reuseSeconds = c.rollout?.probeReuseSeconds ?? DEFAULT_PROBE_REUSE_SECONDS;
    const target = (h: (typeof hosts)[number]): ProbeTarget => ({
        host: h.address, port: h.port ?? ssh.port ?? 22, user: ssh.user ?? "root", privateKey, reuseSeconds,
        hostKey: h.hostKey, insecureIgnoreHostKey: h.hostKey === undefined && ssh.insecureIgnoreHostKeys === true,
    });
    // hosts under emulation (the VM tier) answer the probe's docker calls slowly: the limit is config
    const limitMs = (c.rollout?.probeTimeoutSeconds ?? DEFAULT_PROBE_TIMEOUT_SECONDS) * 1000;
    // at most this many ssh clients at once, the first ones started before this returns (the early
    // probe overlaps program.js's module loading); each host's limit counts from its own start, so
    // a hung host holds its slot only until then
    const concurrency = c.rollout?.probeConcurrency ?? DEFAULT_PROBE_CONCURRENCY;
    // a fresh key per host and probe, kept in memory: the status proves root-only files with it
    const keys = hosts.map(() => (drift ? newStatusKey() : undefined));
    const results = await mapLimit(hosts.map((h, i) => ({ h, key: keys[i] })), concurrency, ({ h, key }) =>
        sshRun(target(h), probeCommand(swarmNames.has(h.name), drift), limitMs, key ? `${key.toString("hex")}\n` : undefined));
    const out: Observed = { swarm: swarm ? {} : undefined, drift: drift ? {} : undefined };
    // a host that refused the pinned key: what it presents instead (ssh-keyscan, no login)
    const refused = hosts.filter((_, i) => { const r = results[i]; return !r.ok && r.hostKey === true; });
    if (refused.length > 0) {
        out.hostKeys = await mapLimit(refused, concurrency, async (h) => {
            const pinned = parseHostKey(h.hostKey!);
            const port = h.port ?? ssh.port ?? 22;
            const presented = isHostKey(pinned) ? await keyscan(h.address, port, pinned.type, Math.min(limitMs, 10000)) : undefined;
            return { host: h.name, address: h.address, port, pinned: h.hostKey!, ...(presented ? { presented } : {}) };
        });
    }
    hosts.forEach((h, i) => {
        const r = results[i];
        const inSwarm = swarmNames.has(h.name);
        if (!r.ok) {
            if (inSwarm) out.swarm![h.name] = { reachable: false, reason: r.reason, markers: {} };
            if (drift) out.drift![h.name] = { kind: "unknown", reason: r.reason };
            return;
        }
        const parts = inSwarm && drift ? splitProbeOutput(r.stdout) : { swarm: r.stdout, status: r.stdout };
        if (!parts) {
            const reason = `unexpected probe output: ${r.stdout.slice(0, 200)}`;
            if (inSwarm) out.swarm![h.name] = { reachable: false, reason, markers: {} };
            if (drift) out.drift![h.name] = { kind: "unknown", reason };
            return;
        }
        if (inSwarm) {
            out.swarm![h.name] = parseProbe(parts.swarm);
            const live = parseServices(parts.swarm);
            if (out.swarm![h.name].isManager && !out.live) out.live = { ...live, from: h.name };
        }
        if (drift) out.drift![h.name] = parseStatus(parts.status, keys[i]);
    });
    return out;
}
