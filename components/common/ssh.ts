import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Where a read-only probe connects (the same fields as a command:remote connection). */
export interface ProbeTarget {
    host: string;
    port?: number;
    user?: string;
    /** Key text (kept in a 0600 temp file only while ssh runs). */
    privateKey?: string;
}

export type SshResult = { ok: true; stdout: string } | { ok: false; reason: string };

/**
 * Runs one read-only command on a host with the system ssh client (batch mode, 5 s connect,
 * `timeoutMs` overall). Never throws: a failure is `{ ok: false, reason }` with ssh's last line.
 */
export function sshRun(t: ProbeTarget, command: string, timeoutMs = 15000): Promise<SshResult> {
    let keyFile: string | undefined;
    const args = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-p", String(t.port ?? 22)];
    if (t.privateKey) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-probe-"));
        keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, t.privateKey.endsWith("\n") ? t.privateKey : `${t.privateKey}\n`, { mode: 0o600 });
        args.push("-i", keyFile, "-o", "IdentitiesOnly=yes");
    }
    args.push(`${t.user ?? "root"}@${t.host}`, command);
    return new Promise((resolve) => {
        execFile("ssh", args, { timeout: timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (keyFile) fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
            // killed at the limit: say so (err.message would be the whole command line)
            if (err && (err as { killed?: boolean }).killed) resolve({ ok: false, reason: `no answer within ${timeoutMs / 1000} s (the probe's limit)` });
            else if (err) resolve({ ok: false, reason: (stderr || err.message).trim().split("\n").pop() ?? "ssh failed" });
            else resolve({ ok: true, stdout });
        });
    });
}
