import * as fs from "fs";
import * as path from "path";
import { scriptCommand } from "../common/shell";

export const SWARM_SCRIPT_FILE = path.join(__dirname, "scripts", "swarm-node.sh");

let scriptCache: string | undefined;
function scriptText(): string {
    scriptCache ??= fs.readFileSync(SWARM_SCRIPT_FILE, "utf8");
    return scriptCache;
}

export type SwarmAction = "source" | "join" | "nodes" | "leave";

/** A node line of the `nodes` action: name, role, availability, and `labels K=V...` when managed. */
export function renderNodeSpec(name: string, role: string, availability: string, labels?: Record<string, string>): string {
    const parts = [name, role, availability];
    if (labels !== undefined) parts.push("labels", ...Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`));
    return parts.join(" ");
}

/**
 * The remote command line: scripts/swarm-node.sh (base64, so no quoting surprises) run by bash
 * with the options as quoted words, so `pulumi preview --diff` shows each option.
 */
export function renderSwarmCommand(action: SwarmAction, opts: Record<string, string | string[] | undefined>): string {
    const args: string[] = [action];
    for (const [k, v] of Object.entries(opts)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) args.push(`--${k}`, one);
    }
    return scriptCommand(scriptText(), "swarm-node", args);
}
