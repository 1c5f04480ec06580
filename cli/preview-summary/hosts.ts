// Docker hosts in the preview summary: the apply command's bundle (here-document on fd 3) and its
// options, diffed into daemon.json keys, drop-ins, notes and the action (restart, reload, ...).
import { changeEffect } from "../../components/docker-host/daemon-keys";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { parseApplyCommand } from "../../components/docker-host/bundle-parse";
import { SECRET, maskString, show } from "./mask";
import { PreviewStep, typeOf } from "./preview-json";

/** The closing remark of a `# proxy:` line: "(full drop-in …)" before the root-only env file, "(variables …)" since. */
const PROXY_LINE_TAIL = / \((full drop-in|variables) .*$/;

/** The `# proxy: …` line among the command's leading comment lines ("" if none). */
function proxyLine(cmd: unknown): string {
    if (typeof cmd !== "string") return "";
    for (const line of cmd.split("\n")) {
        if (!line.startsWith("#")) break;
        if (line.startsWith("# proxy:")) return line;
    }
    return "";
}

export interface KeyChange {
    key: string;
    from: unknown;
    to: unknown;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** daemon.json key changes; object-valued keys (log-opts) are diffed one level down. */
export function diffDaemon(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): KeyChange[] {
    const out: KeyChange[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const x = a[k];
        const y = b[k];
        if (same(x, y)) continue;
        const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
        if (isObj(x) && isObj(y)) {
            for (const sk of [...new Set([...Object.keys(x as object), ...Object.keys(y as object)])].sort()) {
                const sx = (x as Record<string, unknown>)[sk];
                const sy = (y as Record<string, unknown>)[sk];
                if (!same(sx, sy)) out.push({ key: `${k}.${sk}`, from: sx, to: sy });
            }
        } else {
            out.push({ key: k, from: x, to: y });
        }
    }
    return out;
}

const driftedFile = (path: string, removed = false) =>
    path === "in-progress" ? "an earlier apply was interrupted half-way" : `\`${path}\` was changed by hand${removed ? " (removed)" : ""}`;

/**
 * A drift marker in words: the repair marker "N path,path" of the apply command, or (state
 * written by dockfleet before ownership claims) `triggers` lines "drift <path> <sha>".
 */
export function describeDrift(markers: string[]): string {
    const parts: string[] = [];
    for (const m of markers.join("\n").split("\n")) {
        const r = /^(\d+) (\S+)$/.exec(m.trim());
        if (r) {
            parts.push(...r[2].split(",").map((p) => driftedFile(p)));
            continue;
        }
        const f = /^drift (\S+) (\S+)$/.exec(m.trim());
        if (f) parts.push(driftedFile(f[1], f[2] === "absent" || f[2] === "-"));
    }
    return parts.length ? parts.join("; ") : show(markers.join(" "));
}

export interface HostChange {
    host: string;
    op: string;
    /** "restart", "reload", "none" (only the delete command or the drift marker changed), "restore"/"forget" on delete. */
    action: string;
    batch?: number;
    batches?: number;
    /** "canary" or "wave" for a host that reloads ahead of the restart batches (the program's rollout line). */
    stage?: string;
    daemonKeys: KeyChange[];
    otherFiles: string[];
    notes: string[];
}

export function hostChanges(steps: PreviewStep[], batches: string[][] | undefined): HostChange[] {
    const out: HostChange[] = [];
    for (const s of steps) {
        if (typeOf(s) !== "command:remote:Command") continue;
        const oldCmd = parseApplyCommand(s.oldState?.inputs?.create);
        const newCmd = parseApplyCommand(s.newState?.inputs?.create);
        if (!oldCmd && !newCmd) continue;
        const host = (newCmd ?? oldCmd)!.host;
        // A delete runs the restore/forget command: the old daemon.json is not "changed" key by key.
        const daemonKeys = s.op === "delete" ? [] : diffDaemon(oldCmd?.daemon ?? {}, newCmd?.daemon ?? {});
        const paths = [...new Set([...Object.keys(oldCmd?.files ?? {}), ...Object.keys(newCmd?.files ?? {})])].sort();
        const otherFiles = s.op === "delete" ? [] : paths.filter((p) => p !== DAEMON_JSON_PATH && oldCmd?.files[p] !== newCmd?.files[p])
            .map((p) => `${p}: ${newCmd?.files[p] === undefined ? "removed" : oldCmd?.files[p] === undefined ? "added" : "changed"}`);
        const reasons = new Set([...(s.diffReasons ?? []), ...Object.keys(s.detailedDiff ?? {}).map((k) => k.split(/[.[]/)[0])]);
        const notes: string[] = [];
        if (reasons.has("stdin")) notes.push(`proxy variables (on stdin) changed: ${SECRET}`);
        if (reasons.has("connection")) notes.push(`SSH connection changed: ${SECRET}`);
        const t = s.newState?.inputs?.triggers;
        const legacyDrift = reasons.has("triggers") && Array.isArray(t) && t.length > 0;
        const repaired = s.op !== "delete" && !!newCmd?.repair && newCmd.repair !== (oldCmd?.repair ?? "");
        if (repaired || legacyDrift) {
            notes.push(`drift found on the host: ${describeDrift(repaired ? [newCmd!.repair] : (t as unknown[]).map(String))}; the apply puts dockfleet's version back and verifies it`);
        } else if (reasons.has("triggers")) {
            // upstream pulumi-command replaces on `triggers`; only state of dockfleet before the
            // ownership claims has them (its own provider updated them in place)
            notes.push(s.op === "replace"
                ? "the `triggers` input written by an older dockfleet goes away (a replacement): the new apply claims the host before the old resource's delete runs, so that delete keeps the files"
                : "drift marker cleared (no drift reported, or the drift check was off)");
        }
        const oldProxyLine = proxyLine(s.oldState?.inputs?.create);
        const newProxyLine = proxyLine(s.newState?.inputs?.create);
        if (s.op !== "delete" && (oldProxyLine.startsWith("# proxy:") || newProxyLine.startsWith("# proxy:"))) {
            if (oldProxyLine !== newProxyLine) notes.push(`proxy: ${show(maskString(oldProxyLine.replace(/^# proxy: /, "").replace(PROXY_LINE_TAIL, "")))} → ${show(maskString(newProxyLine.replace(/^# proxy: /, "").replace(PROXY_LINE_TAIL, "")))}`);
        }
        const applyChanged = s.op === "create" || s.op === "replace" || daemonKeys.length > 0 || otherFiles.length > 0 || reasons.has("stdin") || reasons.has("triggers") || reasons.has("create") || reasons.has("update");
        let action: string;
        if (s.op === "delete") {
            action = /\brestore\b/.test(String(s.oldState?.inputs?.delete ?? "")) ? "restore (puts back the pre-dockfleet files, restarts)" : "forget (keeps the current files)";
        } else if (!applyChanged) {
            action = "none";
        } else if (s.op === "create" || s.op === "replace") {
            action = "restart";
        } else {
            const drifted = repaired || legacyDrift; // the apply script never just reloads a drifted host
            const onlyReloadable = !drifted && otherFiles.length === 0 && !reasons.has("stdin") && daemonKeys.length > 0 && daemonKeys.every((k) => changeEffect(k.key, k.from, k.to) === "reload");
            action = onlyReloadable ? "reload" : !drifted && daemonKeys.length === 0 && otherFiles.length === 0 && !reasons.has("stdin") ? "re-apply (verify; restart only if the host drifted)" : "restart";
        }
        const bi = batches?.findIndex((b) => b.includes(host));
        out.push({ host, op: s.op, action, batch: bi !== undefined && bi >= 0 ? bi + 1 : undefined, batches: batches?.length, daemonKeys, otherFiles, notes });
    }
    const order = new Map((batches ?? []).flat().map((h, i) => [h, i]));
    return out.sort((a, b) => (order.get(a.host) ?? 1e9) - (order.get(b.host) ?? 1e9) || a.host.localeCompare(b.host));
}
