// The preview JSON of `pulumi preview --json` (only what the summary reads) and helpers over its
// URNs, steps and config.
import { SECRET, show } from "./mask";

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

/** `urn:pulumi:<stack>::<project>::<parent types$...$type>::<name>` */
export function parseUrn(urn: string) {
    const parts = urn.split("::");
    const stack = parts[0].replace(/^urn:pulumi:/, "");
    const types = (parts[2] ?? "").split("$");
    return { stack, project: parts[1], type: types[types.length - 1], parentTypes: types.slice(0, -1), name: parts.slice(3).join("::") };
}
export const typeOf = (s: PreviewStep) => s.newState?.type ?? s.oldState?.type ?? parseUrn(s.urn).type;
export const nameOf = (s: PreviewStep) => parseUrn(s.urn).name;

/** A diagnostic's text without colours and without its "info: " prefix. */
const plainMessage = (m: string) => m.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "").trim();

/** True if the diagnostic is a line the program logged with this prefix. */
export const isLoggedLine = (m: string, prefix: string): boolean => plainMessage(m).startsWith(prefix);

/** The rest of the first line the program logged with this prefix (a policy line), or undefined. */
export function loggedLine(preview: PreviewJson, prefix: string): string | undefined {
    const d = (preview.diagnostics ?? []).find((x) => isLoggedLine(x.message, prefix));
    return d ? plainMessage(d.message).slice(prefix.length) : undefined;
}
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

/** A stack config value of the preview, parsed as JSON (undefined if unset or secret). */
export function configJson<T>(config: Record<string, string> | undefined, key: string): T | undefined {
    const v = config?.[key];
    if (v === undefined || v === SECRET) return undefined;
    try {
        return JSON.parse(v) as T;
    } catch {
        return v as unknown as T;
    }
}
