import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * What a host says about dockfleet's files (the apply script's `status`). `repair` is the marker
 * the last drift repair recorded on the host ("" if none).
 */
export type DriftStatus =
    | { kind: "unmanaged" }
    | { kind: "in-sync"; repair: string }
    | { kind: "drift"; files: string[]; repair: string }
    | { kind: "unknown"; reason: string };

export function parseStatus(out: string): DriftStatus {
    const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.includes("unmanaged")) return { kind: "unmanaged" };
    const repair = lines.find((l) => l.startsWith("repair "))?.slice(7) ?? "";
    if (lines.includes("in-sync")) return { kind: "in-sync", repair };
    const drift = lines.filter((l) => l.startsWith("drift "));
    if (drift.length > 0) return { kind: "drift", files: drift.map((l) => l.split(" ")[1]), repair };
    return { kind: "unknown", reason: `unexpected status output: ${out.slice(0, 200)}` };
}

/**
 * The drift marker that goes into the apply command (`--repair`). In sync it is what the host
 * recorded at its last repair, so the command equals the one in state and nothing runs; after a
 * hand edit it is the next repair number with the drifted files, a plain input change (an update,
 * never a replace), and the repair records it, so the following preview is quiet again.
 */
export function repairMarker(st: DriftStatus): string {
    if (st.kind === "in-sync") return st.repair;
    if (st.kind !== "drift") return "";
    const n = Number(/^(\d+) /.exec(st.repair)?.[1] ?? 0) + 1;
    return `${n} ${st.files.join(",")}`;
}

export interface ProbeTarget {
    host: string;
    port?: number;
    user?: string;
    /** Key text (kept in a 0600 temp file only while ssh runs). */
    privateKey?: string;
}

/** Where the apply script keeps its state on a host (pre-dockfleet copies, claims, apply.log). */
export const HOST_STATE_DIR = "/var/lib/dockfleet/daemon-config";
export const STATUS_COMMAND = `test -f ${HOST_STATE_DIR}/apply-docker-config.sh && bash ${HOST_STATE_DIR}/apply-docker-config.sh status || echo unmanaged`;

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
