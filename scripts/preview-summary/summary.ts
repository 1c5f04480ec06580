// Turns `pulumi preview --json` (engine v3.248 format: {config, steps[], diagnostics[],
// changeSummary}) into a Markdown review summary: data risk first, then hosts (daemon.json keys,
// restart or reload, batch), swarm services (roll or not, and why), the rest. No value that the
// engine marked secret, and nothing that looks like a credential, is ever printed.
import { changeEffect } from "../../components/docker-host/daemon-keys";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { parseApplyCommand } from "../../components/docker-host/bundle-parse";
import { isNfsType, nfsAddrOf } from "../../components/common/rules";
import { BUNDLE_EOF } from "../../components/docker-host/bundle";
import { RolloutMessage, rolloutFromMessage } from "../../components/docker-host/rollout";

// ---------------------------------------------------------------------------------------------
// The preview JSON (only what is read here).

export interface PreviewState {
    urn: string;
    type: string;
    custom?: boolean;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export interface PreviewStep {
    op: string;
    urn: string;
    oldState?: PreviewState;
    newState?: PreviewState;
    diffReasons?: string[];
    replaceReasons?: string[];
    detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
}

export interface PreviewJson {
    config?: Record<string, string>;
    steps?: PreviewStep[];
    diagnostics?: { urn?: string; message: string; severity?: string; prefix?: string }[];
    policies?: unknown;
    changeSummary?: Record<string, number>;
}

export const SECRET = "[secret]";

// ---------------------------------------------------------------------------------------------
// Secrets: the engine prints "[secret]" for secret values; anything else that looks like a
// credential is masked too (a summary is posted to a PR, which is more public than the state).

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth)/i;

/** Masks credentials inside a plain string: `user:pass@` in URLs, KEY=value for secret-looking keys, PEM keys. */
export function maskString(s: string): string {
    if (s === SECRET) return s;
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s)) return SECRET;
    return s
        .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, (_m, scheme, user) => `${scheme}${user}:${SECRET}@`)
        .replace(/\b([A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|APIKEY|API_KEY|SECRETKEY)[A-Za-z0-9_]*)=("[^"]*"|\S+)/g, (_m, k) => `${k}=${SECRET}`);
}

/** A value for display: secrets and secret-looking keys as [secret], long text shortened. */
export function show(value: unknown, key = ""): string {
    if (value === undefined) return "(unset)";
    if (value === SECRET) return SECRET;
    if (key && SECRET_KEY.test(key) && !/path$|file$/i.test(key) && value !== null && value !== "") return SECRET;
    let s = typeof value === "string" ? maskString(value) : JSON.stringify(maskDeep(value));
    if (s.length > 120) s = `${s.slice(0, 117)}...`;
    return "`" + s.replace(/`/g, "'") + "`";
}

function maskDeep(v: unknown, key = ""): unknown {
    if (v === SECRET) return v;
    if (typeof v === "string") return key && SECRET_KEY.test(key) && !/path$|file$/i.test(key) ? SECRET : maskString(v);
    if (Array.isArray(v)) return v.map((x) => maskDeep(x, key));
    // "__defaults" and other "__" keys are the bridged provider's bookkeeping, not settings.
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith("__")).map(([k, x]) => [k, maskDeep(x, k)]));
    return v;
}

// ---------------------------------------------------------------------------------------------
// Helpers over URNs and steps.

/** `urn:pulumi:<stack>::<project>::<parent types$...$type>::<name>` */
export function parseUrn(urn: string) {
    const parts = urn.split("::");
    const stack = parts[0].replace(/^urn:pulumi:/, "");
    const types = (parts[2] ?? "").split("$");
    return { stack, project: parts[1], type: types[types.length - 1], parentTypes: types.slice(0, -1), name: parts.slice(3).join("::") };
}

const typeOf = (s: PreviewStep) => s.newState?.type ?? s.oldState?.type ?? parseUrn(s.urn).type;
const nameOf = (s: PreviewStep) => parseUrn(s.urn).name;
const CHANGE_OPS = new Set(["create", "update", "replace", "create-replacement", "delete-replaced", "delete", "import", "discard"]);

/** One op per resource: a replacement shows up as create-replacement + replace + delete-replaced. */
export function normalizeSteps(steps: PreviewStep[]): PreviewStep[] {
    const byUrn = new Map<string, PreviewStep>();
    for (const s of steps) {
        if (!CHANGE_OPS.has(s.op)) continue;
        const prev = byUrn.get(s.urn);
        const op = ["replace", "create-replacement", "delete-replaced"].includes(s.op) ? "replace" : s.op;
        if (!prev) {
            byUrn.set(s.urn, { ...s, op });
        } else {
            byUrn.set(s.urn, {
                ...prev,
                op: prev.op === "replace" || op === "replace" ? "replace" : prev.op,
                oldState: prev.oldState ?? s.oldState,
                newState: prev.newState ?? s.newState,
                diffReasons: prev.diffReasons ?? s.diffReasons,
                replaceReasons: prev.replaceReasons ?? s.replaceReasons,
                detailedDiff: prev.detailedDiff ?? s.detailedDiff,
            });
        }
    }
    return [...byUrn.values()];
}

/** Value at a detailedDiff path such as `taskSpec.containerSpec.mounts[0].source` or `labels["a.b"]`. */
export function getPath(obj: unknown, path: string): unknown {
    const tokens: (string | number)[] = [];
    const re = /([^.[\]]+)|\[(\d+)\]|\["([^"]+)"\]/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(path))) tokens.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
    let cur: unknown = obj;
    for (const t of tokens) {
        if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
        cur = (cur as Record<string | number, unknown>)[t];
    }
    return cur;
}

const oldProps = (s: PreviewStep) => ({ ...(s.oldState?.outputs ?? {}), ...(s.oldState?.inputs ?? {}) });
const newProps = (s: PreviewStep) => s.newState?.inputs ?? {};

/** "path: old → new" for each changed field (leaf paths from detailedDiff, else diffReasons). */
export function fieldChanges(s: PreviewStep): { path: string; from: string; to: string; replaces: boolean }[] {
    const diff = s.detailedDiff ?? {};
    const paths = Object.keys(diff).length > 0 ? Object.keys(diff) : (s.diffReasons ?? []);
    return paths.sort().map((p): { path: string; from: string; to: string; replaces: boolean } => {
        const kind = diff[p]?.kind ?? "update";
        const leaf = p.replace(/\[\d+\]$/, "").split(/[.[]/).pop() ?? p;
        return {
            path: p,
            from: kind.startsWith("add") ? "(unset)" : show(getPath(oldProps(s), p), leaf),
            to: kind.startsWith("delete") ? "(removed)" : show(getPath(newProps(s), p), leaf),
            replaces: kind.endsWith("-replace") || (s.replaceReasons ?? []).some((r) => p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`)),
        };
    }).filter((c) => c.from !== c.to); // provider-computed fields that stay unset are not changes
}

// ---------------------------------------------------------------------------------------------
// Docker hosts: the apply command's bundle (here-document on fd 3) and its options.

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

function configJson<T>(config: Record<string, string> | undefined, key: string): T | undefined {
    const v = config?.[key];
    if (v === undefined || v === SECRET) return undefined;
    try {
        return JSON.parse(v) as T;
    } catch {
        return v as unknown as T;
    }
}

const RESTART_PLAN = /^DockerFleet "[^"]+" restart plan from the live swarm:\n/;

/** The restart plan the program logged from the live swarm: batches and one reason line each. */
export function batchesFromPlan(preview: PreviewJson): { batches: string[][]; reasons: string[] } | undefined {
    for (const d of preview.diagnostics ?? []) {
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "");
        if (!RESTART_PLAN.test(m)) continue;
        const reasons = m.split("\n").slice(1).map((x) => x.trim()).filter((x) => /^batch \d+ = /.test(x));
        const batches = reasons.map((r) => r.replace(/^batch \d+ = /, "").split(":")[0].split(",").map((x) => x.trim()));
        return { batches, reasons };
    }
    return undefined;
}

/** The rollout the program logged (canary, wave, restart, nothing per host; rollout.ts). */
export function rolloutFromPreview(preview: PreviewJson): RolloutMessage | undefined {
    for (const d of preview.diagnostics ?? []) {
        const r = rolloutFromMessage(d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, ""));
        if (r) return r;
    }
    return undefined;
}

/** Restart batches from the stack config in the preview: hosts in config order, rollout.batchSize (default 1). */
export function batchesFromConfig(config: Record<string, string> | undefined): string[][] | undefined {
    const hosts = configJson<{ name: string }[]>(config, "dockfleet:hosts");
    if (!Array.isArray(hosts)) return undefined;
    const size = configJson<{ batchSize?: number }>(config, "dockfleet:rollout")?.batchSize ?? 1;
    const out: string[][] = [];
    for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size).map((h) => h.name));
    return out;
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

// ---------------------------------------------------------------------------------------------
// Swarm services, networks, volumes, containers, units.

export interface ServiceChange {
    stack: string;
    service: string;
    op: string;
    /** "rolls", "scales", "spec only", "recreated", "created", "removed". */
    effect: string;
    changes: ReturnType<typeof fieldChanges>;
}

function serviceIdentity(s: PreviewStep) {
    const p = (s.newState?.inputs ?? s.oldState?.inputs ?? {}) as Record<string, unknown>;
    const full = typeof p.name === "string" ? p.name : nameOf(s);
    const labels = Array.isArray(p.labels) ? (p.labels as { label: string; value: string }[]) : [];
    const ns = labels.find((l) => l.label === "com.docker.stack.namespace")?.value;
    const stack = ns ?? (full.includes("_") ? full.split("_")[0] : "(no stack)");
    const service = ns && full.startsWith(`${ns}_`) ? full.slice(ns.length + 1) : full;
    return { stack, service };
}

export function serviceChanges(steps: PreviewStep[]): ServiceChange[] {
    const out: ServiceChange[] = [];
    for (const s of steps) {
        if (typeOf(s) !== "docker:index/service:Service") continue;
        const { stack, service } = serviceIdentity(s);
        const changes = s.op === "update" || s.op === "replace" ? fieldChanges(s) : [];
        let effect: string;
        if (s.op === "create") effect = "created";
        else if (s.op === "delete") effect = "removed (its tasks stop)";
        else if (s.op === "replace") effect = "recreated: the service is removed and created again (downtime, not a rolling update)";
        else if (changes.some((c) => c.path.startsWith("taskSpec"))) {
            const u = (s.newState?.inputs?.updateConfig ?? {}) as Record<string, unknown>;
            const how = [u.parallelism !== undefined ? `${u.parallelism} at a time` : "", u.order ? String(u.order) : "", u.failureAction ? `on failure: ${u.failureAction}` : ""].filter((x) => x).join(", ");
            effect = `tasks roll${how ? ` (${how})` : ""}`;
        } else if (changes.length > 0 && changes.every((c) => c.path.startsWith("mode.replicated.replicas"))) effect = "scales (no restart of running tasks)";
        else effect = "service spec only (running tasks are not restarted)";
        out.push({ stack, service, op: s.op, effect, changes });
    }
    return out.sort((a, b) => a.stack.localeCompare(b.stack) || a.service.localeCompare(b.service));
}

export interface RiskItem {
    level: "data" | "replace" | "delete";
    text: string;
}

function isNfsVolume(p: Record<string, unknown> | undefined) {
    return isNfsType(((p?.driverOpts ?? {}) as Record<string, string>).type);
}

/** Volumes and other replacements/deletes, the data risk first. */
export function risks(steps: PreviewStep[], preview: PreviewJson = {}): RiskItem[] {
    const out: RiskItem[] = [];
    for (const s of steps) {
        const type = typeOf(s);
        const name = nameOf(s);
        if (s.op !== "replace" && s.op !== "delete") continue;
        if (type === "docker:index/volume:Volume") {
            const oldP = s.oldState?.inputs ?? s.oldState?.outputs;
            const newP = s.newState?.inputs;
            const oldName = show(oldP?.name ?? name);
            const why = s.op === "replace" ? fieldChanges(s).map((c) => `${c.path} ${c.from} → ${c.to}`).join("; ") : "";
            if (isNfsVolume(oldP ?? newP)) {
                const o = (oldP?.driverOpts ?? {}) as Record<string, string>;
                const addr = nfsAddrOf(o.o) || undefined;
                const where = `${addr ?? "?"}:${String(o.device ?? "").replace(/^:/, "")}`;
                out.push({ level: "data", text: s.op === "replace"
                    ? `NFS volume ${oldName} is **replaced** by ${show(newP?.name ?? name)}: the data stays on the NFS server (${show(where)}); containers mounting the old volume must be restarted onto the new one. Changed: ${why}`
                    : `NFS volume ${oldName} is **deleted**: the Docker volume goes, the data stays on the NFS server (${show(where)}).` });
            } else {
                out.push({ level: "data", text: s.op === "replace"
                    ? `Volume ${oldName} is **replaced**: a new, empty volume is created and the old one's data is **lost** unless copied first. Changed: ${why}`
                    : `Volume ${oldName} is **deleted**: its data is **lost**.` });
            }
            continue;
        }
        if (type.startsWith("pulumi:providers:")) continue;
        const apply = type === "command:remote:Command" ? parseApplyCommand(s.oldState?.inputs?.create) : undefined;
        if (apply && s.op === "delete") {
            const restore = /\brestore\b/.test(String(s.oldState?.inputs?.delete ?? ""));
            out.push({ level: "delete", text: `Docker host \`${apply.host}\` leaves dockfleet: ${restore ? "its pre-dockfleet daemon.json and drop-ins are **restored and dockerd restarts**" : "its current files are kept (onDelete: keep)"}.` });
            continue;
        }
        const label = `${type.replace(/^docker:index\/(\w+):\w+$/, "docker $1").replace(/^command:remote:Command$/, "remote command")} \`${name}\``;
        if (s.op === "delete") {
            out.push({ level: "delete", text: `${label} is **deleted**.` });
        } else {
            const reasons = fieldChanges(s).filter((c) => c.replaces).map((c) => `${c.path} ${c.from} → ${c.to}`);
            const regNote = type === "docker:index/container:Container" ? containerNote(s, preview.config) : "";
            out.push({ level: "replace", text: `${label} is **replaced** (deleted and created again)${reasons.length ? ` because ${reasons.join("; ")}` : ""}.${regNote}` });
        }
    }
    const rank = { data: 0, delete: 1, replace: 2 };
    return out.sort((a, b) => rank[a.level] - rank[b.level]);
}

function containerNote(s: PreviewStep, config: Record<string, string> | undefined): string {
    const p = (s.newState?.inputs ?? s.oldState?.inputs ?? {}) as Record<string, unknown>;
    const envs = Array.isArray(p.envs) ? (p.envs as string[]) : [];
    const labels = Array.isArray(p.labels) ? (p.labels as { label: string; value: string }[]) : [];
    const isRegistry = labels.some((l) => l.label === "dockfleet.component" && l.value === "registry");
    // envs are secret (the preview shows [secret]); the stack config says which storage it is.
    const storage = envs.map((e) => /^REGISTRY_STORAGE=(\w+)/.exec(String(e))?.[1]).find((x) => x)
        ?? (isRegistry ? configJson<{ storage?: { kind?: string } }>(config, "dockfleet:registry")?.storage?.kind : undefined);
    if (storage === "filesystem") return " Registry with **filesystem** storage: blobs inside the container are lost unless they are on a volume.";
    if (storage) return ` Registry storage is ${storage}: blobs are kept; pushes and pulls fail while the container restarts.`;
    return "";
}

// ---------------------------------------------------------------------------------------------
// Markdown.

const OP_WORD: Record<string, string> = { create: "create", update: "update", replace: "replace", delete: "delete" };

export interface SummaryOptions {
    stack?: string;
    /** Heading level of the title (2 → "##"). Default: 2. */
    level?: number;
}

export function renderSummary(preview: PreviewJson, opts: SummaryOptions = {}): string {
    const h = (n: number) => "#".repeat((opts.level ?? 2) + n);
    const steps = normalizeSteps(preview.steps ?? []);
    const stack = opts.stack ?? (preview.steps?.[0] ? parseUrn(preview.steps[0].urn).stack : "?");
    const lines: string[] = [];
    const errors = (preview.diagnostics ?? []).filter((d) => (d.severity ?? "") === "error" || /^error:/.test(d.message));
    const counts: Record<string, number> = {};
    for (const s of steps) counts[s.op] = (counts[s.op] ?? 0) + 1;
    const unchanged = preview.changeSummary?.same ?? 0;
    const countText = ["create", "update", "replace", "delete"].filter((o) => counts[o]).map((o) => `${counts[o]} to ${OP_WORD[o]}`).join(", ");
    lines.push(`${h(0)} dockfleet preview: stack \`${stack}\``);
    lines.push("");
    if (errors.length > 0) {
        lines.push(`**The preview failed** (${errors.length} error${errors.length > 1 ? "s" : ""}):`);
        lines.push("");
        for (const e of errors) lines.push("```", maskString(e.message.replace(/\u001b\[[0-9;]*m/g, "").trim()), "```");
        lines.push("");
        if (errors.every((e) => /^error: preview failed\s*$/.test(e.message))) {
            lines.push("No program error was reported: this is what a **policy violation** looks like in `pulumi preview --json` (v3.248 does not put policy results in the JSON). The violations are in the raw preview output (the other comment / the job log).", "");
        }
    }
    if (steps.length === 0 && errors.length === 0) {
        lines.push(`**No changes.** ${unchanged} resource${unchanged === 1 ? "" : "s"} unchanged; no host restarts, no service rolls.`);
        return lines.join("\n") + "\n" + renderWarnings(preview, h);
    }
    if (steps.length > 0) {
        lines.push(`${countText}${unchanged ? `, ${unchanged} unchanged` : ""}.`);
        lines.push("");
    }

    const risky = risks(steps, preview);
    if (risky.length > 0) {
        lines.push(`${h(1)} Data risk, replacements and deletes`);
        lines.push("");
        for (const r of risky) lines.push(`- ${r.level === "data" ? "**DATA** " : ""}${r.text}`);
        lines.push("");
    }

    const plan = batchesFromPlan(preview);
    const rollout = rolloutFromPreview(preview);
    // hosts that reload go ahead of the restart batches, which keep their order without them
    const ahead = new Set(rollout?.parsed.canary ? [rollout.parsed.canary, ...rollout.parsed.wave] : []);
    const batches = (plan?.batches ?? batchesFromConfig(preview.config))?.map((b) => b.filter((x) => !ahead.has(x))).filter((b) => b.length > 0);
    const hosts = hostChanges(steps, batches).filter((x) => x.action !== "none" || x.notes.length > 0);
    for (const x of hosts) {
        if (x.host === rollout?.parsed.canary) x.stage = "canary";
        else if (ahead.has(x.host)) x.stage = "wave";
    }
    const rank = (x: HostChange) => (x.stage === "canary" ? 0 : x.stage === "wave" ? 1 : 2);
    hosts.sort((a, b) => rank(a) - rank(b));
    if (hosts.length > 0) {
        lines.push(`${h(1)} Docker hosts`);
        lines.push("");
        const size = configJson<{ batchSize?: number }>(preview.config, "dockfleet:rollout")?.batchSize ?? 1;
        if (rollout) lines.push("Rollout, per host from the probe (hosts that only reload go first: one canary, then the others at once):", "", ...rollout.lines.map((r) => `- ${r}`), "");
        if (plan) {
            lines.push("Restart order, planned from the live swarm (a batch starts only when the previous one is healthy, a failure stops the rollout):", "", ...plan.reasons.map((r) => `- ${r}`), "");
        } else if (batches) lines.push(`Restart order: ${batches.map((b, i) => `batch ${i + 1} = ${b.join(", ")}`).join(" → ")} (batch size ${size}; a batch starts only when the previous one is healthy, a failure stops the rollout).`, "");
        lines.push("| batch | host | what happens | daemon.json keys |", "|---|---|---|---|");
        for (const x of hosts) {
            const keys = x.daemonKeys.map((k) => `\`${k.key}\``).join(", ") || "—";
            lines.push(`| ${x.stage ?? (x.batch !== undefined ? `${x.batch} of ${x.batches}` : "?")} | ${x.host} | ${x.op === "create" ? "first apply: " : ""}${x.action} | ${keys} |`);
        }
        lines.push("");
        for (const x of hosts) {
            if (x.daemonKeys.length === 0 && x.otherFiles.length === 0 && x.notes.length === 0) continue;
            const parts = [x.daemonKeys.length ? `${x.daemonKeys.length} daemon.json key${x.daemonKeys.length === 1 ? "" : "s"}` : "", x.otherFiles.length ? `${x.otherFiles.length} drop-in${x.otherFiles.length === 1 ? "" : "s"}` : "", x.notes.length ? `${x.notes.length} note${x.notes.length === 1 ? "" : "s"}` : ""].filter((p) => p);
            lines.push(`<details><summary>${x.host}: ${parts.join(", ")}</summary>`, "");
            for (const k of x.daemonKeys) lines.push(`- \`${k.key}\`: ${k.from === undefined ? "(unset)" : show(k.from, k.key)} → ${k.to === undefined ? "(removed)" : show(k.to, k.key)} (${changeEffect(k.key, k.from, k.to)})`);
            for (const f of x.otherFiles) lines.push(`- ${f}`);
            for (const n of x.notes) lines.push(`- ${n}`);
            lines.push("", "</details>", "");
        }
    }

    const membership = swarmMembership(preview, steps);
    if (membership.length > 0) {
        lines.push(`${h(1)} Swarm membership`, "", ...membership, "");
    }

    const services = serviceChanges(steps);
    if (services.length > 0) {
        lines.push(`${h(1)} Swarm stacks`);
        lines.push("");
        let current = "";
        for (const s of services) {
            if (s.stack !== current) {
                current = s.stack;
                lines.push(`**stack \`${s.stack}\`**`, "");
            }
            lines.push(`- service \`${s.service}\`: ${s.effect}`);
            for (const c of s.changes) lines.push(`  - \`${c.path}\`: ${c.from} → ${c.to}${c.replaces ? " (forces replacement)" : ""}`);
        }
        lines.push("");
    }

    // Replacements and deletes are listed under data risk; components only group their children.
    const others = steps.filter((s) => {
        const t = typeOf(s);
        if (t === "docker:index/service:Service" || t.startsWith("pulumi:providers:") || t === "pulumi:pulumi:Stack") return false;
        if ((s.newState?.custom ?? s.oldState?.custom) === false) return false;
        if (s.op === "replace" || s.op === "delete") return false;
        if (t === "command:remote:Command" && parseUrn(s.urn).parentTypes.includes(SWARM_CLUSTER)) return false;
        return !(t === "command:remote:Command" && (parseApplyCommand(s.oldState?.inputs?.create) || parseApplyCommand(s.newState?.inputs?.create)));
    });
    if (others.length > 0) {
        lines.push(`${h(1)} Other changes`);
        lines.push("");
        for (const s of others) {
            const what = describeOther(s);
            lines.push(`- ${s.op} ${what}`);
            if (s.op === "update") for (const c of fieldChanges(s)) lines.push(`  - \`${c.path}\`: ${c.from} → ${c.to}`);
        }
        lines.push("");
    }
    return lines.join("\n") + renderWarnings(preview, h);
}

const SWARM_CLUSTER = "dockfleet:swarm:SwarmCluster";
const PLAN_MESSAGE = /^SwarmCluster "[^"]+" plan:\n/;

/**
 * The membership plan the program logged (components/swarm: who inits, joins, is promoted or
 * demoted, which labels and availability change) and the swarm commands that run.
 */
export function swarmMembership(preview: PreviewJson, steps: PreviewStep[]): string[] {
    const out: string[] = [];
    for (const d of preview.diagnostics ?? []) {
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "");
        if (!PLAN_MESSAGE.test(m)) continue;
        for (const l of m.split("\n").slice(1).map((x) => x.trim()).filter(Boolean)) if (!out.includes(`- ${l}`)) out.push(`- ${l}`);
    }
    const cmds = steps.filter((s) => typeOf(s) === "command:remote:Command" && parseUrn(s.urn).parentTypes.includes(SWARM_CLUSTER));
    if (cmds.length > 0) out.push("", `commands: ${cmds.map((s) => `${s.op} \`${nameOf(s)}\``).join(", ")}`);
    return out;
}

function describeOther(s: PreviewStep): string {
    const t = typeOf(s);
    const parents = parseUrn(s.urn).parentTypes;
    if (t === "command:remote:Command" && parents.includes("dockfleet:containerunit:ContainerUnit")) return `systemd unit \`${nameOf(s).replace(/-unit$/, "")}\` (container unit; reinstalled and restarted)`;
    return `${t} \`${nameOf(s)}\``;
}

const NOISE = [/^warning: using pulumi-(resource|language|analyzer)-\S+ from \$PATH/];

function renderWarnings(preview: PreviewJson, h: (n: number) => string): string {
    const seen = new Set<string>();
    const items: string[] = [];
    for (const d of preview.diagnostics ?? []) {
        if (d.severity === "error" || /^error:/.test(d.message)) continue;
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").trim();
        if (NOISE.some((r) => r.test(m)) || seen.has(m) || PLAN_MESSAGE.test(m.replace(/^info: /, "")) || RESTART_PLAN.test(m.replace(/^info: /, ""))) continue;
        if (/will not show as a stack output/.test(m)) continue;
        seen.add(m);
        items.push(`- ${maskString(m.replace(/^(warning|info): /, ""))}`);
    }
    if (items.length === 0) return "";
    return ["", `${h(1)} Warnings`, "", ...items, ""].join("\n");
}
