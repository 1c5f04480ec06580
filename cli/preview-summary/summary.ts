// Turns `pulumi preview --json` (engine v3.248 format: {config, steps[], diagnostics[],
// changeSummary}) into a Markdown review summary: data risk first, then hosts (daemon.json keys,
// restart or reload, batch), images (rebuilt with their new tag, the services that roll because of
// them, unchanged), swarm services (roll or not, and why), the rest. No value that the
// engine marked secret, and nothing that looks like a credential, is ever printed.
// This file renders the Markdown and composes the sections, each in its own file beside it.
import { changeEffect } from "../../components/docker-host/daemon-keys";
import { parseApplyCommand } from "../../components/docker-host/bundle-parse";
import { maskString, show } from "./mask";
import { PreviewJson, PreviewStep, configJson, fieldChanges, nameOf, normalizeSteps, parseUrn, typeOf } from "./preview-json";
import { HostChange, hostChanges } from "./hosts";
import { batchesFromConfig, batchesFromPlan, rolloutFromPreview } from "./restart-plan";
import { SWARM_CLUSTER, serviceChanges, swarmMembership } from "./swarm";
import { risks } from "./risks";
import { renderWarnings } from "./warnings";
import { IMAGE_TYPE, imagesInPreview, renderImages } from "./images";
import { HOST_CLEANUP, cleanupChanges, cleanupPolicy } from "./cleanup";
import { gcChanges, gcPolicy, isGcStep } from "./registry-gc";

// What importers of this file have always found here.
export { SECRET, maskString, show } from "./mask";
export type { PreviewState, PreviewStep, PreviewJson } from "./preview-json";
export { parseUrn, normalizeSteps, getPath, fieldChanges } from "./preview-json";
export type { KeyChange, HostChange } from "./hosts";
export { diffDaemon, describeDrift, hostChanges } from "./hosts";
export { batchesFromPlan, rolloutFromPreview, batchesFromConfig } from "./restart-plan";
export type { ServiceChange } from "./swarm";
export { serviceChanges, swarmMembership } from "./swarm";
export type { RiskItem } from "./risks";
export { risks } from "./risks";
export type { ImageBuild, ImagesInPreview } from "./images";
export { imagesInPreview, imagePlanFromPreview, renderImages } from "./images";
export { cleanupChanges, cleanupPolicy } from "./cleanup";

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
    const images = imagesInPreview(preview, steps);
    if (steps.length === 0 && errors.length === 0) {
        lines.push(`**No changes.** ${unchanged} resource${unchanged === 1 ? "" : "s"} unchanged; no host restarts, no service rolls.`);
        if (images) lines.push("", "Images:", "", ...renderImages(images));
        const policy = cleanupPolicy(preview);
        if (policy) lines.push("", `Host cleanup: ${policy}.`);
        const gc = gcPolicy(preview);
        if (gc) lines.push("", `Registry GC: ${gc}.`);
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

    if (images) {
        lines.push(`${h(1)} Images`, "", "Built on up only, on the builder host, and pushed before the services that run them roll (nothing is built or pushed by this preview):", "", ...renderImages(images), "");
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

    const policy = cleanupPolicy(preview);
    const cleanups = cleanupChanges(steps);
    if (policy || cleanups.length > 0) {
        lines.push(`${h(1)} Host cleanup`, "");
        if (policy) lines.push(`${policy}.`, "");
        if (cleanups.length > 0) lines.push(...cleanups.map((c) => `- ${c}`), "");
    }
    const gc = gcPolicy(preview);
    const gcSteps = gcChanges(steps);
    if (gc || gcSteps.length > 0) {
        lines.push(`${h(1)} Registry garbage collection`, "");
        if (gc) lines.push(`${gc}.`, "");
        if (gcSteps.length > 0) lines.push(...gcSteps.map((c) => `- ${c}`), "");
    }

    // Replacements and deletes are listed under data risk; components only group their children.
    const others = steps.filter((s) => {
        const t = typeOf(s);
        if (t === "docker:index/service:Service" || t === IMAGE_TYPE || t.startsWith("pulumi:providers:") || t === "pulumi:pulumi:Stack") return false;
        if ((s.newState?.custom ?? s.oldState?.custom) === false) return false;
        if (s.op === "replace" || s.op === "delete") return false;
        if (t === "command:remote:Command" && parseUrn(s.urn).parentTypes.some((p) => p === SWARM_CLUSTER || p === HOST_CLEANUP)) return false;
        if (isGcStep(s)) return false;
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

function describeOther(s: PreviewStep): string {
    const t = typeOf(s);
    const parents = parseUrn(s.urn).parentTypes;
    if (t === "command:remote:Command" && parents.includes("dockfleet:containerunit:ContainerUnit")) return `systemd unit \`${nameOf(s).replace(/-unit$/, "")}\` (container unit; reinstalled and restarted)`;
    return `${t} \`${nameOf(s)}\``;
}
