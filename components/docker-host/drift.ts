import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** What a host says about dockfleet's files (the apply script's `status`). */
export type DriftStatus = { kind: "unmanaged" } | { kind: "in-sync" } | { kind: "drift"; files: string[]; marker: string } | { kind: "unknown"; reason: string };

export function parseStatus(out: string): DriftStatus {
    const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.includes("unmanaged")) return { kind: "unmanaged" };
    if (lines.includes("in-sync")) return { kind: "in-sync" };
    const drift = lines.filter((l) => l.startsWith("drift "));
    if (drift.length > 0) return { kind: "drift", files: drift.map((l) => l.split(" ")[1]), marker: `drift ${drift.map((l) => l.slice(6)).join("; ")}` };
    return { kind: "unknown", reason: `unexpected status output: ${out.slice(0, 200)}` };
}

export interface ProbeTarget {
    host: string;
    port?: number;
    user?: string;
    /** Key text (kept in a 0600 temp file only while ssh runs). */
    privateKey?: string;
}

export const STATUS_COMMAND = "test -f /var/lib/dockfleet/docker-host/apply-docker-config.sh && bash /var/lib/dockfleet/docker-host/apply-docker-config.sh status || echo unmanaged";

/**
 * Asks a host whether its docker files still match what dockfleet last verified. Runs the system
 * ssh client (read-only command, 15 s limit). Never throws: an unreachable host is "unknown".
 */
export function probeHost(t: ProbeTarget): Promise<DriftStatus> {
    let keyFile: string | undefined;
    const args = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-p", String(t.port ?? 22)];
    if (t.privateKey) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-probe-"));
        keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, t.privateKey.endsWith("\n") ? t.privateKey : `${t.privateKey}\n`, { mode: 0o600 });
        args.push("-i", keyFile, "-o", "IdentitiesOnly=yes");
    }
    args.push(`${t.user ?? "root"}@${t.host}`, STATUS_COMMAND);
    return new Promise((resolve) => {
        execFile("ssh", args, { timeout: 15000, encoding: "utf8" }, (err, stdout, stderr) => {
            if (keyFile) fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
            if (err) resolve({ kind: "unknown", reason: (stderr || err.message).trim().split("\n").pop() ?? "ssh failed" });
            else resolve(parseStatus(stdout));
        });
    });
}
