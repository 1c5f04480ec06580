import { Issue, error, warning } from "../common/issues";
import { isIpAddress } from "../common/net";
import { nextMarker } from "../common/marker";

export type SwarmRole = "manager" | "worker";
export type Availability = "active" | "pause" | "drain";
export const AVAILABILITIES: readonly Availability[] = ["active", "pause", "drain"];

/** One host's place in the swarm, as the stack config says it. */
export interface SwarmHost {
    /** Host name (resource names and messages). */
    name: string;
    /** SSH address; also the advertise address unless `advertiseAddress` is set. */
    address: string;
    /** SSH port. Default: the cluster's `ssh.port`, else 22. */
    port?: number;
    /** The host's pinned SSH host key (`ssh-ed25519 AAAA...`). Required unless `ssh.insecureIgnoreHostKeys`. */
    hostKey?: string;
    /** "manager", "worker", or "none" (not a swarm node). Default: "none". */
    role?: SwarmRole | "none";
    /**
     * Node labels for placement constraints (`node.labels.zone == a`). When set, the node carries
     * exactly these (`{}` clears them); unset leaves the node's labels alone. Default: unset.
     */
    labels?: Record<string, string>;
    /** "active", "pause" or "drain" (tasks move away). Default: "active". */
    availability?: Availability;
    /** This host inits the swarm when none of the hosts is in one. Default: the first manager. */
    swarmInit?: boolean;
    /** Address other nodes reach this one on (an IP; port 2377). Default: `address`. */
    advertiseAddress?: string;
}

/** A node as a manager lists it (`docker node inspect`). */
export interface ObservedNode {
    id: string;
    hostname: string;
    role: SwarmRole;
    availability: Availability;
    labels: Record<string, string>;
    /** Status.State: "ready", "down", "unknown", "disconnected". */
    state: string;
    /** ManagerStatus.Reachability for managers: "reachable", "unreachable", "unknown". */
    reachability?: string;
    /** ManagerStatus.Leader: this manager is the raft leader. */
    leader?: boolean;
}

/** What one host said when probed (components/swarm/probe.ts). */
export interface HostObservation {
    reachable: boolean;
    /** Why the probe failed (when not reachable). */
    reason?: string;
    hostname?: string;
    /** Swarm.LocalNodeState: "inactive", "pending", "active", "error", "locked". */
    state?: string;
    nodeId?: string;
    /** Only managers know the cluster ID. */
    clusterId?: string;
    isManager?: boolean;
    /** Markers the host recorded after its last successful run, by action ("member", "nodes"). */
    markers: Record<string, string>;
    /** The node list, from managers only. */
    nodes?: ObservedNode[];
}

export type PlanStep =
    | { op: "init"; host: string }
    | { op: "join"; host: string; role: SwarmRole }
    | { op: "promote"; host: string }
    | { op: "demote"; host: string }
    | { op: "labels"; host: string; add: Record<string, string>; remove: string[] }
    | { op: "availability"; host: string; from: Availability; to: Availability }
    | { op: "prune"; node: string; id: string }
    | { op: "remove"; node: string; id: string; manager: boolean }
    | { op: "keep"; node: string; id: string };

export interface SwarmPlan {
    /** The host that inits (no swarm yet) or hands out join tokens and runs node updates (a manager). */
    source: string;
    /** The hosts were probed; without it the plan is empty and every command only converges. */
    observed: boolean;
    steps: PlanStep[];
    /** Problems found against the live swarm (the caller reports them before anything runs). */
    issues: Issue[];
    /** Node names (hostnames) per configured member, as the nodes step addresses them. */
    nodeNames: Record<string, string>;
    /** Command markers: per member host (its member command) and the source's nodes command. */
    markers: { members: Record<string, string>; nodes: string };
}

export interface PlanOptions {
    /** Remove nodes that are in the swarm but not configured as members. Default: false. */
    removeNodes?: boolean;
}

const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^[^\s]*$/;

export const roleOf = (h: SwarmHost): SwarmRole | "none" => h.role ?? "none";
export const members = (hosts: SwarmHost[]): SwarmHost[] => hosts.filter((h) => roleOf(h) !== "none");
export const advertiseOf = (h: SwarmHost): string => h.advertiseAddress ?? h.address;

/** The host that inits a new swarm: the one with `swarmInit`, else the first manager. */
export function initHost(hosts: SwarmHost[]): SwarmHost | undefined {
    return hosts.find((h) => h.swarmInit) ?? hosts.find((h) => roleOf(h) === "manager");
}

/** Raft needs a majority of managers reachable. */
export const majority = (managers: number): number => Math.floor(managers / 2) + 1;

/** Checks the configured membership alone (no host asked). Fields are relative to the hosts list. */
export function validateSwarm(hosts: SwarmHost[]): Issue[] {
    const issues: Issue[] = [];
    const inits = hosts.map((h, i) => [h, i] as const).filter(([h]) => h.swarmInit);
    if (inits.length > 1) {
        issues.push(error(`hosts[${inits[1][1]}].swarmInit`, `only one host may init the swarm; ${inits.map(([h]) => `"${h.name}"`).join(" and ")} both claim it`));
    }
    hosts.forEach((h, i) => {
        const f = `hosts[${i}]`;
        if (h.role !== undefined && !["manager", "worker", "none"].includes(h.role)) issues.push(error(`${f}.role`, `"${h.role}" must be manager, worker or none`));
        const member = roleOf(h) !== "none";
        if (h.swarmInit && roleOf(h) !== "manager") issues.push(error(`${f}.swarmInit`, `only a manager can init the swarm; "${h.name}" has role ${roleOf(h)}`));
        if (h.availability !== undefined && !AVAILABILITIES.includes(h.availability)) issues.push(error(`${f}.availability`, `"${h.availability}" must be active, pause or drain`));
        if (!member && (h.labels !== undefined || h.availability !== undefined)) {
            issues.push(error(`${f}.${h.labels !== undefined ? "labels" : "availability"}`, `"${h.name}" has role none (not a swarm node): node labels and availability need role manager or worker`));
        }
        for (const [k, v] of Object.entries(h.labels ?? {})) {
            if (!LABEL_KEY.test(k)) issues.push(error(`${f}.labels.${k}`, `"${k}" is not a label key (letters, digits, ".", "_", "/", "-"; starts and ends with a letter or digit)`));
            if (typeof v !== "string" || !LABEL_VALUE.test(v)) issues.push(error(`${f}.labels.${k}`, `${JSON.stringify(v)}: a label value is a string without whitespace`));
        }
        if (member) {
            const adv = advertiseOf(h);
            if (!isIpAddress(adv)) {
                issues.push(error(h.advertiseAddress !== undefined ? `${f}.advertiseAddress` : `${f}.address`, `"${adv}" is not an IP address; swarm nodes advertise an IP (set advertiseAddress)`));
            }
        }
    });
    const ms = hosts.filter((h) => roleOf(h) === "manager");
    if (members(hosts).length > 0 && ms.length === 0) {
        issues.push(error("hosts", `swarm nodes need at least one manager; ${members(hosts).map((h) => `"${h.name}"`).join(", ")} are all workers`));
    }
    if (ms.length === 2 || ms.length === 4 || ms.length === 6) {
        issues.push(warning("hosts", `${ms.length} managers tolerate as many failures as ${ms.length - 1}: use an odd number`));
    }
    if (ms.length > 7) issues.push(warning("hosts", `${ms.length} managers: Docker recommends at most 7 (raft writes slow down)`));
    return issues;
}

/**
 * Plans membership from the config and what each host said. Pure: the same plan is shown in the
 * preview and carried out by scripts/swarm-node.sh (which re-checks each step on the live swarm).
 */
export function planSwarm(hosts: SwarmHost[], observed: Record<string, HostObservation> | undefined, opts: PlanOptions = {}): SwarmPlan {
    const want = members(hosts);
    const first = initHost(hosts);
    const nodeNames = Object.fromEntries(want.map((h) => [h.name, observed?.[h.name]?.hostname ?? h.name]));
    const empty: SwarmPlan = { source: first?.name ?? "", observed: false, steps: [], issues: [], nodeNames, markers: { members: Object.fromEntries(want.map((h) => [h.name, observed?.[h.name]?.markers.member ?? ""])), nodes: "" } };
    if (!first || !observed) return empty;
    const issues: Issue[] = [];
    const obs = (h: SwarmHost): HostObservation => observed[h.name] ?? { reachable: false, reason: "not probed", markers: {} };
    for (const h of want) {
        const o = obs(h);
        if (!o.reachable) issues.push(warning(`hosts.${h.name}`, `could not ask "${h.name}" about its swarm state (${o.reason ?? "unknown"}); the plan assumes it is not a node yet`));
    }

    // Which swarm the hosts are in: the managers among them name their cluster.
    const managersUp = want.filter((h) => obs(h).state === "active" && obs(h).isManager);
    const clusters = new Map<string, string[]>();
    for (const h of managersUp) clusters.set(obs(h).clusterId ?? "?", [...(clusters.get(obs(h).clusterId ?? "?") ?? []), h.name]);
    if (clusters.size > 1) {
        issues.push(error("hosts", `the hosts are in different swarms: ${[...clusters].map(([c, hs]) => `${hs.join(", ")} in ${c.slice(0, 12)}`).join("; ")}; dockfleet never moves a node between swarms (make the others leave by hand)`));
        return { ...empty, observed: true, issues };
    }
    const active = want.filter((h) => obs(h).state === "active");
    const exists = managersUp.length > 0;
    // A manager that did not answer may be the swarm's manager (a slow or busy host: seen on the
    // VM tier, a 90 s probe timeout): not a stranger's swarm. No plan this time; the live scripts
    // re-check each step, and the next up plans with its answer.
    const silentManagers = want.filter((h) => roleOf(h) === "manager" && !obs(h).reachable);
    if (!exists && active.length > 0 && silentManagers.length > 0) {
        issues.push(warning(`hosts.${active[0].name}`, `"${active[0].name}" is a node of a swarm and no configured manager that answered is in it; ${silentManagers.map((h) => `"${h.name}"`).join(", ")} did not answer and may be its manager: no membership plan this time (each step re-checks the live swarm; the next up plans with their answer)`));
        return { ...empty, observed: true, issues };
    }
    if (!exists && active.length > 0) {
        issues.push(error(`hosts.${active[0].name}`, `"${active[0].name}" is a node of a swarm whose managers are not in the config; add one of its managers (role: manager) or make it leave (docker swarm leave)`));
        return { ...empty, observed: true, issues };
    }
    // The source: the init host, or, in an existing swarm, the first configured manager that is one.
    const source = exists ? (managersUp.find((h) => h.name === first.name) ?? want.find((h) => managersUp.includes(h) && roleOf(h) === "manager") ?? managersUp[0]) : first;
    const nodes = exists ? (obs(source).nodes ?? []) : [];
    const steps: PlanStep[] = [];
    if (!exists) steps.push({ op: "init", host: source.name });

    const byId = new Map(nodes.map((n) => [n.id, n]));
    const matched = new Set<string>();
    const joining: SwarmHost[] = [];
    for (const h of want) {
        const o = obs(h);
        // An unreachable host may still be a node: the manager's list knows it by hostname.
        const node = o.state === "active" && o.nodeId ? byId.get(o.nodeId)
            : !o.reachable ? nodes.find((n) => n.hostname === nodeNames[h.name] && !matched.has(n.id)) : undefined;
        if (h === source && !exists) {
            joining.push(h);
        } else if (o.state === "active" && exists && !node) {
            issues.push(error(`hosts.${h.name}`, `"${h.name}" is a node of another swarm than ${source.name}'s; dockfleet never moves a node between swarms (docker swarm leave on it first)`));
            continue;
        } else if (!node) {
            joining.push(h);
            steps.push({ op: "join", host: h.name, role: roleOf(h) as SwarmRole });
        }
        if (node) matched.add(node.id);
        const role = node?.role ?? (roleOf(h) as SwarmRole);
        const availability = node?.availability ?? "active";
        const labels = node?.labels ?? {};
        if (node && role !== roleOf(h)) steps.push(roleOf(h) === "manager" ? { op: "promote", host: h.name } : { op: "demote", host: h.name });
        if (h.labels !== undefined) {
            const add = Object.fromEntries(Object.entries(h.labels).filter(([k, v]) => labels[k] !== v));
            const remove = Object.keys(labels).filter((k) => !(k in h.labels!)).sort();
            if (Object.keys(add).length > 0 || remove.length > 0) steps.push({ op: "labels", host: h.name, add, remove });
        }
        const to = h.availability ?? "active";
        if (availability !== to) steps.push({ op: "availability", host: h.name, from: availability, to });
    }
    // Nodes no configured host accounts for: Down duplicates of a configured host, or strangers.
    const names = new Set(want.map((h) => nodeNames[h.name]));
    for (const n of nodes) {
        if (matched.has(n.id)) continue;
        if (names.has(n.hostname) && n.state !== "ready") steps.push({ op: "prune", node: n.hostname, id: n.id });
        else if (opts.removeNodes) steps.push({ op: "remove", node: n.hostname, id: n.id, manager: n.role === "manager" });
        else {
            steps.push({ op: "keep", node: n.hostname, id: n.id });
            issues.push(warning("removeNodes", `node "${n.hostname}" (${n.id.slice(0, 12)}, ${n.state}) is in the swarm but not a configured member; kept (set removeNodes: true to remove it)`));
        }
    }
    issues.push(...checkQuorum(nodes, steps, exists));

    const memberMarkers: Record<string, string> = {};
    const joins = steps.filter((s) => s.op === "join").map((s) => (s as { host: string }).host);
    for (const h of want) {
        const recorded = obs(h).markers.member ?? "";
        const todo = h === source ? (exists ? (joins.length > 0 ? [`tokens:${joins.join("+")}`] : []) : ["init"]) : joining.includes(h) ? ["join"] : [];
        memberMarkers[h.name] = nextMarker(recorded, todo);
    }
    const nodeWork = steps.filter((s) => !["init", "join", "keep"].includes(s.op)).map((s) => `${s.op}:${"host" in s ? s.host : s.node}`);
    return { source: source.name, observed: true, steps, issues, nodeNames, markers: { members: memberMarkers, nodes: nextMarker(obs(source).markers.nodes ?? "", nodeWork) } };
}

/**
 * Walks the steps in the order the script takes them (prune, joins and promotions, demotions,
 * removals) and refuses the plan at the first step after which fewer managers than a raft
 * majority would be reachable.
 */
export function checkQuorum(nodes: ObservedNode[], steps: PlanStep[], exists: boolean): Issue[] {
    if (!exists) return [];
    const mgrs = nodes.filter((n) => n.role === "manager");
    let total = mgrs.length;
    let reach = mgrs.filter((n) => n.reachability === "reachable").length;
    if (reach < majority(total)) {
        return [error("hosts", `the swarm has lost raft quorum: ${reach} of ${total} managers reachable (need ${majority(total)}); restore it by hand first (docker swarm init --force-new-cluster on a healthy manager)`)];
    }
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const s of steps) {
        if (s.op === "prune" && byId.get(s.id)?.role === "manager") total -= 1;
        if ((s.op === "join" && s.role === "manager") || s.op === "promote") { total += 1; reach += 1; }
    }
    type Shrink = Extract<PlanStep, { op: "demote" }> | Extract<PlanStep, { op: "remove" }>;
    const shrink = steps.filter((s): s is Shrink => s.op === "demote" || (s.op === "remove" && s.manager));
    for (const s of shrink) {
        const down = s.op === "remove" && byId.get(s.id)?.reachability !== "reachable";
        total -= 1;
        if (!down) reach -= 1;
        const who = s.op === "demote" ? `demoting "${s.host}"` : `removing manager "${s.node}"`;
        if (total === 0) return [error("hosts", `${who} would leave the swarm without a manager`)];
        if (reach < majority(total)) {
            return [error("hosts", `the plan loses raft quorum: after ${who} only ${reach} of ${total} managers would be reachable (need ${majority(total)}); bring the unreachable managers back or demote fewer`)];
        }
    }
    return [];
}

/** One line per step, for the preview log and the PR summary. */
export function formatPlan(p: SwarmPlan): string[] {
    if (!p.observed) return [`swarm: not probed (plan decided on the hosts at apply time; source ${p.source})`];
    if (p.steps.filter((s) => s.op !== "keep").length === 0) return [`swarm: in sync (source ${p.source})`];
    return p.steps.map((s) => {
        switch (s.op) {
            case "init": return `init: ${s.host} creates the swarm`;
            case "join": return `join: ${s.host} as ${s.role}`;
            case "promote": return `promote: ${s.host} to manager`;
            case "demote": return `demote: ${s.host} to worker`;
            case "labels": return `labels: ${s.host} ${[...Object.entries(s.add).map(([k, v]) => `+${k}=${v}`), ...s.remove.map((k) => `-${k}`)].join(" ")}`;
            case "availability": return `availability: ${s.host} ${s.from} -> ${s.to}`;
            case "prune": return `prune: stale node ${s.node} (${s.id.slice(0, 12)}, down)`;
            case "remove": return `remove: ${s.node} (${s.id.slice(0, 12)}, not in the config)`;
            case "keep": return `keep: ${s.node} (${s.id.slice(0, 12)}, not in the config; removeNodes: false)`;
        }
    });
}
