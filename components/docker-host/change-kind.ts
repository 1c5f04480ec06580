// What a host needs for the wanted config: nothing, a reload (SIGHUP) or a restart, from what it
// said its last verified apply wrote (the probe's `status`). It mirrors the apply script's own
// decision (converge: unchanged; only hot-reloadable daemon.json keys changed since a verified
// apply, nothing else differs and nothing drifted: reload; else restart) and errs to "restart":
// a host classed "restart" is rolled out as before issue 32, in the restart batches.
import { createHash } from "crypto";
import { ManagedFile, fileBytes } from "./bundle";
import { DriftStatus } from "./drift";
import { DAEMON_JSON_PATH } from "./dropins";
import { isReadPerUse } from "./registry-trust";

export type ChangeKind = "nothing" | "reload" | "restart";

export interface HostChangeKind {
    kind: ChangeKind;
    /** Why, in a few words (the preview's log line). */
    why: string;
}

/** What the apply of one host would write (docker-host.ts desiredHostFiles). */
export interface WantedFiles {
    publicFiles: ManagedFile[];
    /** Files that travel on stdin: their contents are secret and the host shows no plain digest of them. */
    secretPaths: string[];
    /**
     * The secret files as rendered (plain contents, in memory only), when the caller has the
     * plain values: compared with the host's keyed digest (`DriftStatus.keyedSha`). Unset: a secret
     * file is not comparable (restart).
     */
    secretFiles?: ManagedFile[];
    /** restartDigest of the host's daemon config (the apply's `--reload-digest`). */
    reloadDigest: string;
}


const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** Whether the host's applied file is the wanted one: same bytes and mode, or both absent. */
function sameFile(f: ManagedFile, host: { mode: string; sha: string }): boolean {
    const bytes = fileBytes(f);
    if (bytes === undefined) return host.mode === "absent";
    return host.mode !== "absent" && parseInt(host.mode, 8) === parseInt(f.mode, 8) && host.sha === sha256(bytes);
}

export function changeKind(want: WantedFiles, st: DriftStatus | undefined): HostChangeKind {
    if (st === undefined) return { kind: "restart", why: "not probed" };
    if (st.kind === "unknown") return { kind: "restart", why: `probe failed: ${st.reason}` };
    if (st.kind === "unmanaged") return { kind: "restart", why: "first apply" };
    if (st.kind === "drift") return { kind: "restart", why: `drift: ${st.files.join(", ")}` };
    if (st.applied === undefined || st.reloadDigest === undefined) return { kind: "restart", why: "the host does not report what it applied (an older apply script)" };
    const onHost = new Map(st.applied.map((a) => [a.path, a]));
    const restartFiles: string[] = [];
    let daemonJson = false;
    let perUse = false;
    for (const f of want.publicFiles) {
        const h = onHost.get(f.path);
        if (h && sameFile(f, h)) continue;
        if (isReadPerUse(f.path)) perUse = true;
        else if (f.path === DAEMON_JSON_PATH && h) daemonJson = true;
        else restartFiles.push(f.path);
    }
    for (const p of want.secretPaths) {
        // a plain digest would be a guessing oracle for the credentials, so the host shows only an
        // HMAC under this probe's one-time key: comparable only here, where key and content are
        const f = want.secretFiles?.find((s) => s.path === p);
        const h = onHost.get(p);
        if (!f || !h || !st.keyedSha || !h.sha.startsWith("hmac:")) {
            restartFiles.push(`${p} (root-only: not comparable)`);
            continue;
        }
        const bytes = fileBytes(f);
        const same = bytes !== undefined && h.mode !== "absent" && parseInt(h.mode, 8) === parseInt(f.mode, 8) && h.sha === st.keyedSha(bytes);
        if (!same) restartFiles.push(`${p} (root-only: changed)`);
    }
    if (restartFiles.length > 0) return { kind: "restart", why: restartFiles.join(", ") };
    if (daemonJson) {
        return st.reloadDigest === want.reloadDigest
            ? { kind: "reload", why: "hot-reloadable daemon.json keys" }
            : { kind: "restart", why: "daemon.json keys that need a restart" };
    }
    if (perUse) return { kind: "reload", why: "registry trust files (read on use)" };
    return { kind: "nothing", why: "as applied" };
}
