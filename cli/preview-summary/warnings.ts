// The warnings section of the preview summary: the engine's and the program's warnings and infos,
// less the noise and the plans rendered in their own sections.
import { maskString } from "./mask";
import { PreviewJson } from "./preview-json";
import { RESTART_PLAN } from "./restart-plan";
import { PLAN_MESSAGE } from "./swarm";
import { imagePlanFromMessage } from "../../components/fleet-image/plan";
import { isCleanupMessage } from "./cleanup";
import { isGcMessage } from "./registry-gc";

const NOISE = [/^warning: using pulumi-(resource|language|analyzer)-\S+ from \$PATH/];

export function renderWarnings(preview: PreviewJson, h: (n: number) => string): string {
    const seen = new Set<string>();
    const items: string[] = [];
    for (const d of preview.diagnostics ?? []) {
        if (d.severity === "error" || /^error:/.test(d.message)) continue;
        const m = d.message.replace(/\u001b\[[0-9;]*m/g, "").trim();
        if (NOISE.some((r) => r.test(m)) || seen.has(m) || PLAN_MESSAGE.test(m.replace(/^info: /, "")) || RESTART_PLAN.test(m.replace(/^info: /, ""))) continue;
        if (/will not show as a stack output/.test(m) || imagePlanFromMessage(m) || isCleanupMessage(m) || isGcMessage(m)) continue;
        seen.add(m);
        items.push(`- ${maskString(m.replace(/^(warning|info): /, ""))}`);
    }
    if (items.length === 0) return "";
    return ["", `${h(1)} Warnings`, "", ...items, ""].join("\n");
}
