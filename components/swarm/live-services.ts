// What a manager says about the services and their tasks, for the restart plan (restart-plan.ts).
// Read-only; one line per service and per task the swarm wants running.
import { LiveService, LiveTask } from "./restart-plan";

/** The service label that overrides maxUnavailable for one service. */
export const MAX_UNAVAILABLE_LABEL = "dockfleet.max-unavailable";

/**
 * Services (`svc ID MODE REPLICAS STACK MAXUNAVAILABLE NAME`, "-" for empty) and the tasks the swarm
 * wants running (`task SERVICE NODE STATE`). Runs only where this node is a manager; empty elsewhere.
 * Replicated jobs and global services report mode "global" (no replica floor). Uses `$ctl` when a
 * probe set it (components/swarm/probe.ts SWARM_INFO_COMMAND).
 */
export const SERVICES_COMMAND = [
    // $ctl when a probe's SWARM_INFO_COMMAND set it, else ask docker
    `if [ "\${ctl-$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)}" = true ]; then`,
    `ids=$(docker service ls -q);`,
    `[ -z "$ids" ] || docker service inspect --format 'svc {{.ID}} {{if .Spec.Mode.Replicated}}replicated {{.Spec.Mode.Replicated.Replicas}}{{else}}global 0{{end}} {{with index .Spec.Labels "com.docker.stack.namespace"}}{{.}}{{else}}-{{end}} {{with index .Spec.Labels "${MAX_UNAVAILABLE_LABEL}"}}{{.}}{{else}}-{{end}} {{.Spec.Name}}' $ids;`,
    `[ -z "$ids" ] || docker service ps -q --filter desired-state=running $ids | sort -u | xargs -r docker inspect --type task --format 'task {{.ServiceID}} {{.NodeID}} {{.Status.State}}';`,
    `fi`,
].join(" ");

/** Parses SERVICES_COMMAND's lines (other lines are ignored, so it can share a probe's output). */
export function parseServices(out: string): { services: LiveService[]; tasks: LiveTask[] } {
    const services: LiveService[] = [];
    const tasks: LiveTask[] = [];
    for (const line of out.split("\n")) {
        const w = line.trim().split(/\s+/);
        if (w[0] === "svc" && w.length >= 7) {
            const max = Number(w[5]);
            services.push({
                id: w[1],
                mode: w[2] === "replicated" ? "replicated" : "global",
                replicas: Number(w[3]) || 0,
                stack: w[4] === "-" ? "" : w[4],
                maxUnavailable: w[5] !== "-" && Number.isInteger(max) && max >= 0 ? max : undefined,
                name: w.slice(6).join(" "),
            });
        } else if (w[0] === "task" && w.length >= 4) {
            tasks.push({ serviceId: w[1], nodeId: w[2], running: w[3] === "running" });
        }
    }
    return { services, tasks };
}
