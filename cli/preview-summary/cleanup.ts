// Host cleanup in the preview summary: the policy line the program logged (program.ts
// hostCleanupMessage) and each host whose cleanup timer the preview installs, changes or removes.
import { CLEANUP_MESSAGE } from "../../components/host-cleanup/policy";
import { PreviewJson, PreviewStep, nameOf, parseUrn, typeOf } from "./preview-json";

export const HOST_CLEANUP = "dockfleet:hostcleanup:HostCleanup";

const plain = (m: string) => m.replace(/\u001b\[[0-9;]*m/g, "").replace(/^info: /, "").trim();

/** The program's policy line (without "info: "), or false. */
export const isCleanupMessage = (m: string): boolean => plain(m).startsWith(CLEANUP_MESSAGE);

/** The cleanup policy the program logged, without its prefix. */
export function cleanupPolicy(preview: PreviewJson): string | undefined {
    const d = (preview.diagnostics ?? []).find((x) => isCleanupMessage(x.message));
    return d ? plain(d.message).slice(CLEANUP_MESSAGE.length) : undefined;
}

const EFFECT: Record<string, string> = {
    create: "timer installed (no prune runs now)",
    update: "timer changed (the new schedule counts from now)",
    replace: "timer reinstalled",
    delete: "timer stopped, disabled and removed",
};

/** `host: effect` for each host's cleanup command that changes. */
export function cleanupChanges(steps: PreviewStep[]): string[] {
    return steps
        .filter((s) => typeOf(s) === "command:remote:Command" && parseUrn(s.urn).parentTypes.includes(HOST_CLEANUP) && EFFECT[s.op])
        .map((s) => `${nameOf(s).replace(/-host-cleanup-timer$/, "")}: ${EFFECT[s.op]}`);
}
