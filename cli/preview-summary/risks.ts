// Data risk in the preview summary: volumes, containers and other resources that are replaced or
// deleted, the data risk first.
import { parseApplyCommand } from "../../components/docker-host/bundle-parse";
import { isNfsType, nfsAddrOf } from "../../components/common/rules";
import { show } from "./mask";
import { PreviewJson, PreviewStep, configJson, fieldChanges, nameOf, typeOf } from "./preview-json";

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
