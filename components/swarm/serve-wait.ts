import * as fs from "fs";
import * as path from "path";
import { scriptCommand } from "../common/shell";

export const SERVE_WAIT_SCRIPT_FILE = path.join(__dirname, "scripts", "swarm-serve-wait.sh");

let scriptCache: string | undefined;

export interface ServeWaitOptions {
    timeoutSeconds?: number;
    /** The manager's name in the wait's messages (its own docker lost). Default: its hostname. */
    manager?: string;
    /** The snapshot's floor per service: tasks that may be down at once, as the restart plan counts them (the fleet's default; the script's: 1). */
    maxUnavailable?: number;
    /** Per stack name, over `maxUnavailable` (a service's dockfleet.max-unavailable label wins over both). */
    stackMaxUnavailable?: Record<string, number>;
}

/**
 * The remote command line of scripts/swarm-serve-wait.sh on a manager (base64, as the swarm
 * commands): `snapshot` before a worker's daemon apply, `wait` after it (the snapshot on stdin).
 */
export function renderServeWaitCommand(action: "snapshot" | "wait", node: string, o: ServeWaitOptions = {}): string {
    scriptCache ??= fs.readFileSync(SERVE_WAIT_SCRIPT_FILE, "utf8");
    const opt = (k: string, v: string | number | undefined) => (v !== undefined ? [k, String(v)] : []);
    const args = [
        action, "--node", node,
        ...opt("--timeout", o.timeoutSeconds),
        ...opt("--manager", o.manager),
        ...opt("--max-unavailable", o.maxUnavailable),
        ...Object.keys(o.stackMaxUnavailable ?? {}).sort().flatMap((s) => ["--stack-max-unavailable", `${s}=${o.stackMaxUnavailable![s]}`]),
    ];
    return scriptCommand(scriptCache, "swarm-serve-wait", args);
}
