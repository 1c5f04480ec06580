// Swarm in the preview summary: the membership plan the program logged and the stacks' services
// (roll, scale, spec only, recreated).
import { PreviewJson, PreviewStep, fieldChanges, nameOf, parseUrn, typeOf } from "./preview-json";

export interface ServiceChange {
    stack: string;
    service: string;
    op: string;
    /** "rolls", "scales", "spec only", "recreated", "created", "removed". */
    effect: string;
    changes: ReturnType<typeof fieldChanges>;
}

export function serviceIdentity(s: PreviewStep) {
    const p = (s.newState?.inputs ?? s.oldState?.inputs ?? {}) as Record<string, unknown>;
    const full = typeof p.name === "string" ? p.name : nameOf(s);
    const labels = Array.isArray(p.labels) ? (p.labels as { label: string; value: string }[]) : [];
    const ns = labels.find((l) => l.label === "com.docker.stack.namespace")?.value;
    const stack = ns ?? (full.includes("_") ? full.split("_")[0] : "(no stack)");
    const service = ns && full.startsWith(`${ns}_`) ? full.slice(ns.length + 1) : full;
    return { stack, service };
}

export function serviceChanges(steps: PreviewStep[]): ServiceChange[] {
    const out: ServiceChange[] = [];
    for (const s of steps) {
        if (typeOf(s) !== "docker:index/service:Service") continue;
        const { stack, service } = serviceIdentity(s);
        const changes = s.op === "update" || s.op === "replace" ? fieldChanges(s) : [];
        let effect: string;
        if (s.op === "create") effect = "created";
        else if (s.op === "delete") effect = "removed (its tasks stop)";
        else if (s.op === "replace") effect = "recreated: the service is removed and created again (downtime, not a rolling update)";
        else if (changes.some((c) => c.path.startsWith("taskSpec"))) {
            const u = (s.newState?.inputs?.updateConfig ?? {}) as Record<string, unknown>;
            const how = [u.parallelism !== undefined ? `${u.parallelism} at a time` : "", u.order ? String(u.order) : "", u.failureAction ? `on failure: ${u.failureAction}` : ""].filter((x) => x).join(", ");
            effect = `tasks roll${how ? ` (${how})` : ""}`;
        } else if (changes.length > 0 && changes.every((c) => c.path.startsWith("mode.replicated.replicas"))) effect = "scales (no restart of running tasks)";
        else effect = "service spec only (running tasks are not restarted)";
        out.push({ stack, service, op: s.op, effect, changes });
    }
    return out.sort((a, b) => a.stack.localeCompare(b.stack) || a.service.localeCompare(b.service));
}

export const SWARM_CLUSTER = "dockfleet:swarm:SwarmCluster";
export const PLAN_MESSAGE = /^SwarmCluster "[^"]+" plan:\n/;

/**
 * The membership plan the program logged (components/swarm: who inits, joins, is promoted or
 * demoted, which labels and availability change) and the swarm commands that run.
 */
export function swarmMembership(preview: PreviewJson, steps: PreviewStep[]): string[] {
    const out: string[] = [];
    for (const d of preview.diagnostics ?? []) {
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "");
        if (!PLAN_MESSAGE.test(m)) continue;
        for (const l of m.split("\n").slice(1).map((x) => x.trim()).filter(Boolean)) if (!out.includes(`- ${l}`)) out.push(`- ${l}`);
    }
    const cmds = steps.filter((s) => typeOf(s) === "command:remote:Command" && parseUrn(s.urn).parentTypes.includes(SWARM_CLUSTER));
    if (cmds.length > 0) out.push("", `commands: ${cmds.map((s) => `${s.op} \`${nameOf(s)}\``).join(", ")}`);
    return out;
}
