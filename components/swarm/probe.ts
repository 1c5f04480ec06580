import { ProbeTarget, sshRun } from "../common/ssh";
import { Availability, HostObservation, ObservedNode, SwarmRole } from "./plan";

/** Where swarm-node.sh records its markers on a host. */
export const SWARM_STATE_DIR = "/var/lib/dockfleet/swarm";

/**
 * The host's swarm line from one `docker info` (state, node, cluster, manager), printed as `swarm
 * ...`; it leaves `$ctl` set to "true" on a manager, so the commands after it need not ask again.
 * Templates guard `.Swarm.Cluster`, which is nil outside a swarm.
 */
export const SWARM_INFO_COMMAND = `s=$(docker info --format '{{.Swarm.LocalNodeState}} {{if .Swarm.NodeID}}{{.Swarm.NodeID}}{{else}}-{{end}} {{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{else}}-{{end}} {{.Swarm.ControlAvailable}}' 2>/dev/null) || s="unreachable - - false"; echo "swarm $s"; ctl=\${s##* }`;

/** On a manager (`$ctl` from SWARM_INFO_COMMAND): every node as JSON, one `node {...}` line each. */
export const NODES_COMMAND = `if [ "$ctl" = true ]; then docker node ls -q | xargs -r docker node inspect --format 'node {{json .}}'; fi`;

/**
 * The probe's parts before the per-manager listings: its hostname, its swarm line, the markers
 * swarm-node.sh recorded. program/observe.ts runs the listings side by side after it, under bash.
 */
export const PROBE_HEAD_COMMAND = [
    `echo "hostname $(hostname)"`,
    SWARM_INFO_COMMAND,
    `for f in ${SWARM_STATE_DIR}/*.marker; do [ -f "$f" ] && echo "marker $(basename "$f" .marker) $(cat "$f")"; done`,
].join("; ");

/**
 * One read-only round trip per host: its hostname, its swarm state, the markers it recorded and,
 * on a manager, every node as JSON (one per line). POSIX sh.
 */
export const PROBE_COMMAND = `${PROBE_HEAD_COMMAND}; ${NODES_COMMAND}; true`;

interface NodeJson {
    ID: string;
    Description?: { Hostname?: string };
    Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null };
    Status?: { State?: string };
    ManagerStatus?: { Reachability?: string; Leader?: boolean };
}

/** Parses PROBE_COMMAND's output. */
export function parseProbe(out: string): HostObservation {
    const o: HostObservation = { reachable: true, markers: {} };
    for (const line of out.split("\n")) {
        const sp = line.indexOf(" ");
        const kind = sp < 0 ? line : line.slice(0, sp);
        const rest = sp < 0 ? "" : line.slice(sp + 1);
        if (kind === "hostname") o.hostname = rest.trim();
        else if (kind === "swarm") {
            const [state, id, cluster, control] = rest.trim().split(/\s+/);
            if (state === "unreachable") {
                o.reachable = false;
                o.reason = "docker does not answer";
            }
            o.state = state;
            o.nodeId = id && id !== "-" ? id : undefined;
            o.clusterId = cluster && cluster !== "-" ? cluster : undefined;
            o.isManager = control === "true";
        } else if (kind === "marker") {
            const s2 = rest.indexOf(" ");
            const name = s2 < 0 ? rest : rest.slice(0, s2);
            if (name) o.markers[name] = s2 < 0 ? "" : rest.slice(s2 + 1).trim();
        } else if (kind === "node") {
            const n = JSON.parse(rest) as NodeJson;
            const node: ObservedNode = {
                id: n.ID,
                hostname: n.Description?.Hostname ?? "",
                role: (n.Spec?.Role ?? "worker") as SwarmRole,
                availability: (n.Spec?.Availability ?? "active") as Availability,
                labels: n.Spec?.Labels ?? {},
                state: n.Status?.State ?? "unknown",
                reachability: n.ManagerStatus?.Reachability,
                ...(n.ManagerStatus?.Leader ? { leader: true } : {}),
            };
            (o.nodes ??= []).push(node);
        }
    }
    if (o.state === undefined) return { reachable: false, reason: `unexpected probe output: ${out.slice(0, 200)}`, markers: {} };
    return o;
}

/** Probes every host at once (one ssh each, 15 s limit). Never throws. */
export async function probeSwarm(targets: Record<string, ProbeTarget>): Promise<Record<string, HostObservation>> {
    const names = Object.keys(targets);
    const results = await Promise.all(names.map((n) => sshRun(targets[n], PROBE_COMMAND)));
    return Object.fromEntries(names.map((n, i) => {
        const r = results[i];
        return [n, r.ok ? parseProbe(r.stdout) : { reachable: false, reason: r.reason, markers: {} }];
    }));
}
