// Restart batches planned from the live swarm (issue 13): the largest batches that keep every
// replicated service at ≥ replicas − maxUnavailable running tasks and raft quorum, with hosts that
// run no task together. Pure: the probe (probe.ts) gathers the input, DockerFleet runs the batches.

/** A swarm service as a manager reports it. */
export interface LiveService {
    id: string;
    name: string;
    /** Replicated services have a floor; global services and jobs do not (one task per node by design). */
    mode: "replicated" | "global";
    replicas: number;
    /** The stack (`com.docker.stack.namespace` label), "" when not deployed as a stack. */
    stack: string;
    /** The service's `dockfleet.max-unavailable` label, when set. */
    maxUnavailable?: number;
}

/** A task the swarm wants running, where it is, and whether it runs. */
export interface LiveTask {
    serviceId: string;
    nodeId: string;
    running: boolean;
}

export interface PlanHost {
    name: string;
    /** The host's swarm node ID (from its own probe); unset for a host outside the swarm. */
    nodeId?: string;
    manager: boolean;
    /** The swarm's raft leader (ManagerStatus.Leader). */
    leader?: boolean;
}

export interface RestartPlanInput {
    /** In config order. */
    hosts: PlanHost[];
    services: LiveService[];
    tasks: LiveTask[];
    /** Per stack name. Default for a stack not listed: `maxUnavailable`. */
    stackMaxUnavailable?: Record<string, number>;
    /** Default: 1. */
    maxUnavailable?: number;
    /** Upper bound on hosts per batch (`rollout.batchSize`). Default: unbounded. */
    batchSize?: number;
    /** Managers in the swarm (configured or not). Default: the managers among `hosts`. */
    managers?: number;
}

export interface RestartPlan {
    batches: string[][];
    /** One line per batch: who, and what bounds it. */
    reasons: string[];
}

/** Tasks of a service that may be down at once: its label, else its stack's, else the default. */
export function allowedDown(s: LiveService, i: RestartPlanInput): number {
    return s.maxUnavailable ?? i.stackMaxUnavailable?.[s.stack] ?? i.maxUnavailable ?? 1;
}

/**
 * First-fit over the hosts in config order, the raft leader last: a host joins the first batch where it still fits
 * (quorum: at most ⌊(managers − 1) / 2⌋ managers per batch, at least 1; per replicated service:
 * running tasks in the batch ≤ running − (replicas − allowed), so a degraded service restarts one
 * host at a time; the batch size bound), else it opens a new batch. A host alone always fits:
 * it has to restart some time, and alone is the least harm (at run time a worker's snapshot,
 * swarm-serve-wait.sh, still refuses a restart that would take a service below its floor). With 3 or more managers the leader's batch goes last: a
 * restarted leader leaves the swarm without one for an election timeout (10-15 s seen on the
 * sandbox, during which nothing is scheduled and a restarting manager's dockerd waits), and a
 * rollout that restarts whoever leads next pays that once per manager. Batches are checked each
 * against the swarm as found, so their order does not change what any of them takes down.
 */
export function planRestarts(i: RestartPlanInput): RestartPlan {
    const managers = i.managers ?? i.hosts.filter((h) => h.manager).length;
    const managerCap = Math.max(1, Math.floor((managers - 1) / 2));
    const bound = i.batchSize ?? Infinity;
    const replicated = new Map(i.services.filter((s) => s.mode === "replicated").map((s) => [s.id, s]));
    const running = new Map<string, number>();
    const onNode = new Map<string, Map<string, number>>(); // node → service → running tasks
    for (const t of i.tasks) {
        if (!t.running || !replicated.has(t.serviceId)) continue;
        running.set(t.serviceId, (running.get(t.serviceId) ?? 0) + 1);
        const m = onNode.get(t.nodeId) ?? new Map<string, number>();
        m.set(t.serviceId, (m.get(t.serviceId) ?? 0) + 1);
        onNode.set(t.nodeId, m);
    }
    // How many running tasks of each service a batch may take down.
    const budget = new Map([...replicated.values()].map((s) => [s.id, (running.get(s.id) ?? 0) - (s.replicas - allowedDown(s, i))]));
    const tasksOf = (h: PlanHost) => (h.nodeId ? onNode.get(h.nodeId) : undefined) ?? new Map<string, number>();

    interface Batch { hosts: PlanHost[]; managers: number; down: Map<string, number> }
    const batches: Batch[] = [];
    const fits = (b: Batch, h: PlanHost) => {
        if (b.hosts.length + 1 > bound) return false;
        if (h.manager && b.managers + 1 > managerCap) return false;
        for (const [svc, n] of tasksOf(h)) if ((b.down.get(svc) ?? 0) + n > (budget.get(svc) ?? 0)) return false;
        return true;
    };
    // with fewer than 3 managers no other majority can elect: config order, nothing to save
    const leaderLast = managers >= 3;
    const isLeader = (h: PlanHost) => leaderLast && h.leader === true;
    const order = [...i.hosts.filter((h) => !isLeader(h)), ...i.hosts.filter(isLeader)];
    for (const h of order) {
        let b = batches.find((x) => fits(x, h));
        if (!b) {
            b = { hosts: [], managers: 0, down: new Map() };
            batches.push(b);
        }
        b.hosts.push(h);
        if (h.manager) b.managers++;
        for (const [svc, n] of tasksOf(h)) b.down.set(svc, (b.down.get(svc) ?? 0) + n);
    }

    const li = batches.findIndex((b) => b.hosts.some(isLeader));
    if (li >= 0) batches.push(...batches.splice(li, 1));

    const reasons = batches.map((b, n) => {
        const why: string[] = [];
        if (b.managers > 0) why.push(`${b.managers} of ${managers} managers (at most ${managerCap} at once for quorum)`);
        const leader = b.hosts.find(isLeader);
        if (leader) why.push(`${leader.name} is the raft leader: last, so the swarm elects once`);
        const svcs = [...b.down.entries()].map(([id, k]) => {
            const s = replicated.get(id)!;
            return `${s.name} ${(running.get(id) ?? 0) - k}/${s.replicas} running (floor ${s.replicas - allowedDown(s, i)})`;
        });
        if (svcs.length > 0) why.push(svcs.join(", "));
        else why.push("no replicated tasks");
        return `batch ${n + 1} = ${b.hosts.map((h) => h.name).join(", ")}: ${why.join("; ")}`;
    });
    return { batches: batches.map((b) => b.hosts.map((h) => h.name)), reasons };
}

/** The floor each replicated service keeps during the plan (for the preview and the benchmarks). */
export function serviceFloors(i: RestartPlanInput): Record<string, number> {
    return Object.fromEntries(i.services.filter((s) => s.mode === "replicated").map((s) => [s.name, Math.max(0, s.replicas - allowedDown(s, i))]));
}
