// The rollout and the restart batches in the preview summary: read back from what the program
// logged (rollout.ts, the restart plan from the live swarm), else from the stack config.
import { RolloutMessage, rolloutFromMessage } from "../../components/docker-host/rollout";
import { PreviewJson, configJson } from "./preview-json";

export const RESTART_PLAN = /^DockerFleet "[^"]+" restart plan from the live swarm:\n/;

/** The restart plan the program logged from the live swarm: batches and one reason line each. */
export function batchesFromPlan(preview: PreviewJson): { batches: string[][]; reasons: string[] } | undefined {
    for (const d of preview.diagnostics ?? []) {
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "");
        if (!RESTART_PLAN.test(m)) continue;
        const reasons = m.split("\n").slice(1).map((x) => x.trim()).filter((x) => /^batch \d+ = /.test(x));
        const batches = reasons.map((r) => r.replace(/^batch \d+ = /, "").split(":")[0].split(",").map((x) => x.trim()));
        return { batches, reasons };
    }
    return undefined;
}

/** The rollout the program logged (canary, wave, restart, nothing per host; rollout.ts). */
export function rolloutFromPreview(preview: PreviewJson): RolloutMessage | undefined {
    for (const d of preview.diagnostics ?? []) {
        const r = rolloutFromMessage(d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, ""));
        if (r) return r;
    }
    return undefined;
}

/** Restart batches from the stack config in the preview: hosts in config order, rollout.batchSize (default 1). */
export function batchesFromConfig(config: Record<string, string> | undefined): string[][] | undefined {
    const hosts = configJson<{ name: string }[]>(config, "dockfleet:hosts");
    if (!Array.isArray(hosts)) return undefined;
    const size = configJson<{ batchSize?: number }>(config, "dockfleet:rollout")?.batchSize ?? 1;
    const out: string[][] = [];
    for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size).map((h) => h.name));
    return out;
}
