import { createHmac, randomBytes } from "crypto";
import { nextMarker } from "../common/marker";
import { ProbeTarget, sshRun } from "../common/ssh";

export type { ProbeTarget };

/** A file the host's last verified apply wrote (status line `applied MODE SHA PATH`). */
export interface AppliedFile {
    path: string;
    /** Octal, as `stat -c %a` prints it ("644"); "absent" for a file that must not exist. */
    mode: string;
    /**
     * sha256 of the file; "absent"; for a root-only file "hmac:HEX" (keyed by the probe's one-time
     * key: `keyedSha`) or "-" (the probe sent no key, or the host's script is older).
     */
    sha: string;
}

/**
 * What the host's last verified apply recorded: the files and the `--reload-digest` it was given.
 * Unset when the host's apply script is older than these status lines (or never recorded them).
 */
export interface AppliedState {
    applied?: AppliedFile[];
    reloadDigest?: string;
    /**
     * What a root-only file with these bytes shows in this probe's `applied` lines: the HMAC under
     * the probe's one-time key, which lives only in this closure (in memory, never in a field
     * that is logged or serialized). Set when the probe sent a key.
     */
    keyedSha?: (content: string) => string;
}

/**
 * What a host says about dockfleet's files (the apply script's `status`). `repair` is the marker
 * the last drift repair recorded on the host ("" if none).
 */
export type DriftStatus =
    | { kind: "unmanaged" }
    | ({ kind: "in-sync"; repair: string } & AppliedState)
    | ({ kind: "drift"; files: string[]; repair: string } & AppliedState)
    | { kind: "unknown"; reason: string };

/**
 * `key`: the one-time key the probe sent on the status's stdin (newStatusKey), to tell root-only files
 * by their keyed digest (`keyedSha`).
 */
export function parseStatus(out: string, key?: Buffer): DriftStatus {
    const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.includes("unmanaged")) return { kind: "unmanaged" };
    const repair = lines.find((l) => l.startsWith("repair "))?.slice(7) ?? "";
    const st = appliedState(lines);
    if (key) st.keyedSha = (content) => keyedSha(key, content);
    if (lines.includes("in-sync")) return { kind: "in-sync", repair, ...st };
    const drift = lines.filter((l) => l.startsWith("drift "));
    if (drift.length > 0) return { kind: "drift", files: drift.map((l) => l.split(" ")[1]), repair, ...st };
    return { kind: "unknown", reason: `unexpected status output: ${out.slice(0, 200)}` };
}

/** The `reload-digest` and `applied` lines, only the fields the host printed. */
function appliedState(lines: string[]): AppliedState {
    const out: AppliedState = {};
    const digest = lines.find((l) => l.startsWith("reload-digest "))?.slice(14).trim();
    if (digest) out.reloadDigest = digest;
    const applied: AppliedFile[] = [];
    for (const l of lines) {
        const m = /^applied (\S+) (\S+) (\/.*)$/.exec(l);
        if (m) applied.push({ mode: m[1], sha: m[2], path: m[3] });
    }
    if (applied.length > 0) out.applied = applied;
    return out;
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
    return nextMarker(st.repair, [st.files.join(",")]);
}

/** Where the apply script keeps its state on a host (pre-dockfleet copies, claims, apply.log). */
export const HOST_STATE_DIR = "/var/lib/dockfleet/daemon-config";
export const STATUS_COMMAND = `test -f ${HOST_STATE_DIR}/apply-docker-config.sh && bash ${HOST_STATE_DIR}/apply-docker-config.sh status || echo unmanaged`;
/**
 * The status with a one-time key: the script reads it from its stdin (one line, 64 hex digits), so
 * it is on no command line (/proc/PID/cmdline is world-readable; the script's stdin is not). An
 * older script ignores the variable and prints "-" for root-only files.
 */
export const KEYED_STATUS_COMMAND = `test -f ${HOST_STATE_DIR}/apply-docker-config.sh && DOCKFLEET_STATUS_KEY=stdin bash ${HOST_STATE_DIR}/apply-docker-config.sh status || echo unmanaged`;

/**
 * A fresh one-time key for one host's probe (32 random bytes). A root-only file's plain sha256
 * would be a guessing oracle for a low-entropy secret (a proxy password); its HMAC under a key
 * only this probe knows, fresh each time, is no oracle: without the key nobody can compute it
 * for a guess, and the key never leaves this process and the status's stdin.
 */
export const newStatusKey = (): Buffer => randomBytes(32);

/** A root-only file's `applied` SHA under `key`: "hmac:" + HMAC-SHA256(key, content) in hex (hmac_sha in the apply script). */
export const keyedSha = (key: Buffer, content: string): string => `hmac:${createHmac("sha256", key).update(content, "utf8").digest("hex")}`;

/**
 * Asks a host whether its docker files still match what dockfleet last verified (read-only, 15 s
 * limit). Never throws: an unreachable host is "unknown".
 */
export async function probeHost(t: ProbeTarget): Promise<DriftStatus> {
    const r = await sshRun(t, STATUS_COMMAND);
    return r.ok ? parseStatus(r.stdout) : { kind: "unknown", reason: r.reason };
}
