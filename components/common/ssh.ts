import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isHostKey, parseHostKey } from "./host-keys";
import { hostKeySshOptions } from "./known-hosts";

/** Where a read-only probe connects (the same fields as a command:remote connection). */
export interface ProbeTarget {
    host: string;
    port?: number;
    user?: string;
    /** Key text (kept in a 0600 temp file only while ssh runs). */
    privateKey?: string;
    /**
     * Keep the connection open this many seconds after the command, for the next probe of the same
     * host, user, port and key (OpenSSH ControlMaster/ControlPersist, as Ansible does): a repeated
     * preview skips the key exchange. The socket lives in a 0700 directory of this user
     * (`controlDir`). Default: 0 (a new connection every time).
     */
    reuseSeconds?: number;
    /** The host's pinned key (`ssh-ed25519 AAAA...`): ssh checks it strictly. Required unless insecureIgnoreHostKey. */
    hostKey?: string;
    /** Accept any host key (dockfleet:ssh.insecureIgnoreHostKeys, throwaway hosts only). */
    insecureIgnoreHostKey?: boolean;
}

/**
 * The directory for the probe's control sockets: `<tmpdir>/dockfleet-ssh-<uid>`, created 0700.
 * undefined when it exists but is not a directory of this user closed to others (nothing is
 * reused then: another user's socket would run commands on the hosts).
 */
export function controlDir(base = os.tmpdir()): string | undefined {
    const uid = process.getuid?.() ?? 0;
    const dir = path.join(base, `dockfleet-ssh-${uid}`);
    try {
        fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") return undefined;
    }
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
}

/**
 * ssh options that reuse a connection (`reuseSeconds` > 0), and the control socket's path: one per
 * host, port, user and key (a probe with another key never rides a connection this key opened).
 */
export function reuseOptions(t: ProbeTarget, base?: string): { args: string[]; socket?: string } {
    if (!t.reuseSeconds || t.reuseSeconds <= 0) return { args: [] };
    const dir = controlDir(base);
    if (!dir) return { args: [] };
    // the pinned key too: a probe that trusts another key never rides a connection this one verified
    const id = createHash("sha256").update([t.user ?? "root", t.host, String(t.port ?? 22), t.privateKey ?? "", t.hostKey ?? "insecure"].join("\0")).digest("hex").slice(0, 24);
    const socket = path.join(dir, id);
    // ServerAlive: a kept connection to a host that went away (powered off, no RST) ends within ~6 s
    // instead of holding the next probe until its limit
    const alive = ["-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3"];
    return { args: ["-o", "ControlMaster=auto", "-o", `ControlPath=${socket}`, "-o", `ControlPersist=${Math.round(t.reuseSeconds)}`, ...alive], socket };
}

/** `hostKey: true`: the host did not prove the pinned key (ssh refused it before authenticating). */
export type SshResult = { ok: true; stdout: string } | { ok: false; reason: string; hostKey?: true };

/** ssh's words when the host's key is not the pinned one (or the host offers no key of the pinned type). */
export const isHostKeyFailure = (stderr: string): boolean =>
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|no matching host key type found/.test(stderr);

/**
 * ssh's environment: what the client itself reads, nothing else. The program's own environment
 * holds the decrypted stack config (PULUMI_CONFIG), and a reused connection's master outlives the
 * program: it must not carry that.
 */
export function sshEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const keep = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "SSH_AUTH_SOCK", "TMPDIR"];
    return Object.fromEntries(keep.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

/**
 * Runs one read-only command on a host with the system ssh client (batch mode, 5 s connect,
 * `timeoutMs` overall). Never throws: a failure is `{ ok: false, reason }` with ssh's last line.
 * When a connection that was open fails (ssh's exit 255: the host closed it or rebooted since), the
 * command runs once more on a new connection. `input`: written to the command's stdin, which is then
 * closed (a secret goes there, never into `command`: a command line is world-readable on the host).
 */
export function sshRun(t: ProbeTarget, command: string, timeoutMs = 15000, input?: string): Promise<SshResult> {
    let keyFile: string | undefined;
    const reuse = reuseOptions(t);
    // a connection to reuse is there: when it fails, a new one is worth a try (not when connecting failed)
    const reusing = reuse.socket !== undefined && fs.existsSync(reuse.socket);
    let verify: string[];
    try {
        verify = hostKeySshOptions({ address: t.host, port: t.port ?? 22, hostKey: t.hostKey, insecure: t.insecureIgnoreHostKey });
    } catch (e) {
        return Promise.resolve({ ok: false, reason: (e as Error).message });
    }
    const args = ["-o", "BatchMode=yes", ...verify, "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", ...reuse.args, "-p", String(t.port ?? 22)];
    if (t.privateKey) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-probe-"));
        keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, t.privateKey.endsWith("\n") ? t.privateKey : `${t.privateKey}\n`, { mode: 0o600 });
        args.push("-i", keyFile, "-o", "IdentitiesOnly=yes");
    }
    args.push(`${t.user ?? "root"}@${t.host}`, command);
    const started = Date.now();
    return new Promise((resolve) => {
        const child = execFile("ssh", args, { timeout: timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, env: sshEnv() }, (err, stdout, stderr) => {
            if (keyFile) fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
            const left = timeoutMs - (Date.now() - started);
            // killed at the limit: say so (err.message would be the whole command line)
            if (err && (err as { killed?: boolean }).killed) resolve({ ok: false, reason: `no answer within ${timeoutMs / 1000} s (the probe's limit)` });
            else if (err && reusing && err.code === 255 && left > 0) resolve(sshRun({ ...t, reuseSeconds: 0 }, command, left, input));
            else if (err && isHostKeyFailure(stderr)) resolve({ ok: false, reason: `the host's SSH key is not the pinned one (${stderr.trim().split("\n").pop()})`, hostKey: true });
            else if (err) resolve({ ok: false, reason: (stderr || err.message).trim().split("\n").pop() ?? "ssh failed" });
            else resolve({ ok: true, stdout });
        });
        // a command that exits without reading its stdin closes the pipe: not an error of the probe
        if (input !== undefined) child.stdin?.on("error", () => undefined).end(input);
    });
}

/**
 * The key of `type` the host presents (`ssh-keyscan`: no login, nothing sent but the key
 * exchange), in authorized_keys form; undefined when it presents none in `timeoutMs`.
 */
export function keyscan(address: string, port = 22, type = "ssh-ed25519", timeoutMs = 10000): Promise<string | undefined> {
    const t = type.replace(/^ssh-/, "").replace(/^ecdsa-sha2-nistp\d+$/, "ecdsa");
    return new Promise((resolve) => {
        execFile("ssh-keyscan", ["-T", String(Math.max(1, Math.round(timeoutMs / 2000))), "-t", t, "-p", String(port), address], { timeout: timeoutMs, encoding: "utf8", env: sshEnv() }, (_err, stdout) => {
            for (const line of (stdout ?? "").split("\n")) {
                if (line.startsWith("#")) continue;
                const [, ...rest] = line.trim().split(/\s+/);
                const k = parseHostKey(rest.join(" "));
                if (isHostKey(k) && k.type === type) return resolve(k.text);
            }
            resolve(undefined);
        });
    });
}
