import * as fs from "fs";
import * as path from "path";
import { scriptCommand } from "../common/shell";

export const SERVE_WAIT_SCRIPT_FILE = path.join(__dirname, "scripts", "swarm-serve-wait.sh");

let scriptCache: string | undefined;

/**
 * The remote command line of scripts/swarm-serve-wait.sh on a manager (base64, as the swarm
 * commands): `snapshot` before a worker's daemon apply, `wait` after it (the snapshot on stdin).
 */
export function renderServeWaitCommand(action: "snapshot" | "wait", node: string, o: { timeoutSeconds?: number } = {}): string {
    scriptCache ??= fs.readFileSync(SERVE_WAIT_SCRIPT_FILE, "utf8");
    const args = [action, "--node", node, ...(o.timeoutSeconds !== undefined ? ["--timeout", String(o.timeoutSeconds)] : [])];
    return scriptCommand(scriptCache, "swarm-serve-wait", args);
}
