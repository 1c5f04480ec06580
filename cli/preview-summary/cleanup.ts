// Host cleanup in the preview summary: the policy line the program logged (program.ts
// hostCleanupMessage) and each host whose cleanup timer the preview installs, changes or removes.
import { CLEANUP_MESSAGE } from "../../components/host-cleanup/policy";
import { PreviewJson, PreviewStep, isLoggedLine, loggedLine, nameOf, parseUrn, typeOf } from "./preview-json";

export const HOST_CLEANUP = "dockfleet:hostcleanup:HostCleanup";

/** True for the program's policy line. */
export const isCleanupMessage = (m: string): boolean => isLoggedLine(m, CLEANUP_MESSAGE);

/** The cleanup policy the program logged, without its prefix. */
export function cleanupPolicy(preview: PreviewJson): string | undefined {
    return loggedLine(preview, CLEANUP_MESSAGE);
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
