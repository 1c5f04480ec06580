// Registry garbage collection in the preview summary: the policy line the program logged
// (gc-config.ts gcSummary) and what the preview does to the GC job on the registry host.
import { GC_MESSAGE } from "../../components/registry/gc-config";
import { PreviewJson, PreviewStep, isLoggedLine, loggedLine, nameOf, parseUrn, typeOf } from "./preview-json";

const REGISTRY = "dockfleet:registry:Registry";
/** The GC job's Command (program.ts registers it under the Registry as "registry-gc"). */
const GC_COMMAND = "registry-gc";

export const isGcMessage = (m: string): boolean => isLoggedLine(m, GC_MESSAGE);

/** The GC policy the program logged, without its prefix. */
export function gcPolicy(preview: PreviewJson): string | undefined {
    return loggedLine(preview, GC_MESSAGE);
}

const EFFECT: Record<string, string> = {
    create: "GC job installed on the registry host (its timer waits for the window; nothing is deleted now)",
    update: "GC job updated (the policy or the images this stack references)",
    replace: "GC job reinstalled",
    delete: "GC job removed (timer, service and files); the registry keeps every digest from now on",
};

/** What changes of the GC job, one line per op. */
export function gcChanges(steps: PreviewStep[]): string[] {
    return steps
        .filter((s) => typeOf(s) === "command:remote:Command" && nameOf(s) === GC_COMMAND && parseUrn(s.urn).parentTypes.includes(REGISTRY) && EFFECT[s.op])
        .map((s) => EFFECT[s.op]);
}

/** True for a step the GC section shows (kept out of "Other changes"). */
export const isGcStep = (s: PreviewStep): boolean => gcChanges([s]).length > 0;
