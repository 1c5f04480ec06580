import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { componentContext, reportIssues } from "../common/report";
import { SshArgs, remoteConnection, validateHostKeys } from "../common/connection";
import { renderNodeSpec, renderSwarmCommand } from "./commands";
import { HostObservation, PlanOptions, SwarmHost, SwarmPlan, advertiseOf, formatPlan, members, planSwarm, validateSwarm } from "./plan";

export type SwarmSsh = SshArgs;

export interface SwarmClusterArgs extends PlanOptions {
    /** Every host of the fleet; those with role manager or worker are the swarm's nodes. */
    hosts: SwarmHost[];
    ssh: SwarmSsh;
    /**
     * What the hosts said (`probeSwarm`), read before the program registers anything: it gives the
     * plan shown in the preview, the quorum checks, and drift repair (a label removed or a node
     * drained by hand shows as an update and is put back). Default: unset (no plan; the host
     * scripts converge at apply time and a hand change is not noticed).
     */
    observed?: Record<string, HostObservation>;
}

/**
 * Swarm membership from the config, converged over SSH by scripts/swarm-node.sh: the source host
 * (init host, or a manager of the existing swarm) inits if needed and hands out join tokens
 * (a secret output, never logged); the other nodes join one after another; then a manager
 * promotes, demotes (never below quorum), labels, sets availability and, with removeNodes,
 * removes nodes the config dropped.
 */
export class SwarmCluster extends pulumi.ComponentResource {
    /** The plan against the probed swarm, one line per step. */
    public readonly planText: string[];
    public readonly plan: SwarmPlan;
    /** Name of the source host (inits or hands out tokens; runs node updates). */
    public readonly source: string;
    /** What the node step changed ("no changes" when in sync). */
    public readonly nodesResult: pulumi.Output<string>;
    /**
     * The node step, which runs after every member's join: depend on this, not on the cluster,
     * whose every child the SDK would walk again for each dependent (DockerFleet.done says why).
     */
    public readonly done: pulumi.Resource[];

    constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:swarm:SwarmCluster", name, {}, opts);
        const ctx = componentContext(`SwarmCluster "${name}"`);
        reportIssues(this, ctx, [...validateSwarm(args.hosts), ...validateHostKeys(args.hosts, args.ssh, (h) => (h.role ?? "none") !== "none")]);
        const plan = planSwarm(args.hosts, args.observed, { removeNodes: args.removeNodes });
        reportIssues(this, ctx, plan.issues);
        this.plan = plan;
        this.planText = formatPlan(plan);
        this.source = plan.source;
        // Logged on the stack, not on this component: `preview --diff` hides an unchanged
        // resource's messages, and the plan is what a reviewer looks for.
        if (args.observed) pulumi.log.info(`SwarmCluster "${name}" plan:\n  ${this.planText.join("\n  ")}`);

        const want = members(args.hosts);
        const connection = (h: SwarmHost) => remoteConnection(h, args.ssh);
        const source = want.find((h) => h.name === plan.source)!;
        const managers = [source, ...want.filter((h) => h !== source && (h.role ?? "none") === "manager")].map(advertiseOf).join(",");
        const timeouts = { create: "5m", update: "5m", delete: "5m" };
        const leave = (h: SwarmHost) => renderSwarmCommand("leave", { host: h.name });

        // The source first; joins one at a time (raft adds one member at a time, and a failed
        // join stops the rest).
        const sourceCmd = renderSwarmCommand("source", { host: source.name, advertise: advertiseOf(source), marker: plan.markers.members[source.name] });
        const first = new command.remote.Command(`${source.name}-swarm`, {
            connection: connection(source),
            create: sourceCmd,
            update: sourceCmd,
            delete: leave(source),
            logging: "stderr",
            addPreviousOutputInEnv: false,
        }, { parent: this, additionalSecretOutputs: ["stdout"], customTimeouts: timeouts });
        const tokens = pulumi.secret(first.stdout);
        const memberCmds: command.remote.Command[] = [first];
        for (const h of want) {
            if (h === source) continue;
            const joinCmd = renderSwarmCommand("join", {
                host: h.name, advertise: advertiseOf(h), role: h.role!, managers, marker: plan.markers.members[h.name],
            });
            memberCmds.push(new command.remote.Command(`${h.name}-swarm`, {
                connection: connection(h),
                create: joinCmd,
                update: joinCmd,
                delete: leave(h),
                stdin: tokens,
                logging: "stderr",
                addPreviousOutputInEnv: false,
            }, { parent: this, dependsOn: [memberCmds[memberCmds.length - 1]], additionalSecretOutputs: ["stdout"], customTimeouts: timeouts }));
        }
        const nodesCmd = renderSwarmCommand("nodes", {
            host: source.name,
            "remove-nodes": args.removeNodes ? "1" : "0",
            marker: plan.markers.nodes,
            node: want.map((h) => renderNodeSpec(plan.nodeNames[h.name], h.role!, h.availability ?? "active", h.labels)),
        });
        const nodes = new command.remote.Command(`${name}-nodes`, {
            connection: connection(source),
            create: nodesCmd,
            update: nodesCmd,
            delete: `echo "dockfleet: swarm node settings are left as they are" >&2`,
            addPreviousOutputInEnv: false,
        }, { parent: this, dependsOn: memberCmds, customTimeouts: timeouts });
        this.nodesResult = nodes.stdout;
        this.done = [nodes];
        this.registerOutputs({ planText: this.planText, source: this.source, nodesResult: this.nodesResult });
    }
}
