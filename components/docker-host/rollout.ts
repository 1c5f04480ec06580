// The order a fleet applies in (issue 32): hosts that only reload go first, one canary and then all
// the others at once (a reload stops no container); hosts that restart keep the restart batches
// (floors, quorum, serve-waits). Pure: DockerFleet builds the resources, the program logs the
// rendering, cli/preview-summary reads it back with parseRollout.
import { ChangeKind, HostChangeKind } from "./change-kind";

export interface Rollout {
    /**
     * In order; a stage starts when the previous one is done. A stage's groups run at once, each
     * like one restart batch (its hosts together, the manager's snapshot before and serve-wait
     * after each watched worker that restarts: a reload stops no task, so a reload worker's frame
     * runs nothing); they wait for the previous stage, not for each other.
     */
    stages: string[][][];
    /** The reload host that goes first, alone; the wave depends on it. */
    canary?: string;
    /** The other reload hosts, one stage after the canary. */
    wave: string[];
    /** The restart batches that remain (hosts that restart, and hosts that need nothing, whose commands are unchanged and run nothing). */
    batches: string[][];
}

/**
 * Without a reload host: the restart batches as given (today's rollout). With one: canary, then
 * the wave, then the restart batches without the reload hosts. Reloads first: they interrupt
 * nothing, and a canary that fails stops the rollout before any host restarts.
 */
export function planRollout(batches: string[][], kinds: Record<string, ChangeKind>): Rollout {
    const reload = batches.flat().filter((h) => kinds[h] === "reload");
    if (reload.length === 0) return { stages: batches.map((b) => [b]), wave: [], batches };
    const [canary, ...wave] = reload;
    const rest = batches.map((b) => b.filter((h) => kinds[h] !== "reload")).filter((b) => b.length > 0);
    return {
        stages: [[[canary]], ...(wave.length > 0 ? [wave.map((h) => [h])] : []), ...rest.map((b) => [b])],
        canary,
        wave,
        batches: rest,
    };
}

const CANARY = " (canary)";
const WAVE = " (one wave)";

/**
 * The rollout in words: a summary line "reload: h1 (canary), h2, h3 (one wave); restart: h4;
 * nothing: h5" (kinds without hosts left out), then why the hosts restart, and what a failed
 * canary does.
 */
export function renderRollout(r: Rollout, kinds: Record<string, HostChangeKind>, order: string[]): string[] {
    const of = (k: ChangeKind) => order.filter((h) => kinds[h]?.kind === k);
    const parts: string[] = [];
    if (r.canary) parts.push(`reload: ${r.canary}${CANARY}${r.wave.length > 0 ? `, ${r.wave.join(", ")}${WAVE}` : ""}`);
    const restart = of("restart");
    if (restart.length > 0) parts.push(`restart: ${restart.join(", ")}`);
    const nothing = of("nothing");
    if (nothing.length > 0) parts.push(`nothing: ${nothing.join(", ")}`);
    const lines = [parts.join("; ")];
    if (r.canary) {
        const stops = [...(r.wave.length > 0 ? ["the wave"] : []), ...(restart.length > 0 ? ["the restart batches"] : [])];
        lines.push(`${r.wave.length > 0 ? `the wave starts once ${r.canary} reloaded and verified; ` : ""}a failed canary rolls itself back (its apply restores the last good files)${stops.length > 0 ? ` and stops ${stops.join(" and ")}` : ""}`);
    }
    const why = new Map<string, string[]>();
    for (const h of restart) why.set(kinds[h].why, [...(why.get(kinds[h].why) ?? []), h]);
    for (const [w, hs] of why) lines.push(`restart ${hs.join(", ")}: ${w}`);
    if (nothing.length > 0) lines.push(`no command runs on ${nothing.join(", ")} (as applied)`);
    return lines;
}

export interface ParsedRollout {
    canary?: string;
    wave: string[];
    restart: string[];
    nothing: string[];
}

/** The summary line of renderRollout, read back; undefined when the line is not one. */
export function parseRollout(line: string): ParsedRollout | undefined {
    const out: ParsedRollout = { wave: [], restart: [], nothing: [] };
    const segments = line.trim().split("; ");
    for (const s of segments) {
        const m = /^(reload|restart|nothing): (.+)$/.exec(s);
        if (!m) return undefined;
        const hosts = m[2].split(", ");
        if (m[1] === "reload") {
            if (!hosts[0].endsWith(CANARY)) return undefined;
            out.canary = hosts[0].slice(0, -CANARY.length);
            out.wave = hosts.slice(1).map((h) => (h.endsWith(WAVE) ? h.slice(0, -WAVE.length) : h));
        } else out[m[1] as "restart" | "nothing"] = hosts;
    }
    return segments.length > 0 ? out : undefined;
}

export interface RolloutMessage {
    parsed: ParsedRollout;
    /** The rollout's lines (renderRollout), without the restart plan's batch lines. */
    lines: string[];
}

/** A log message whose first line names a DockerFleet's restart plan or rollout, and whose next line renderRollout wrote. */
const HEADER = /^DockerFleet "[^"]+" (restart plan from the live swarm|rollout):\n/;

/** The rollout in a program's log message (program/program.ts rolloutMessage); undefined in any other message. */
export function rolloutFromMessage(message: string): RolloutMessage | undefined {
    if (!HEADER.test(message)) return undefined;
    const lines = message.split("\n").slice(1).map((x) => x.trim()).filter((x) => x && !/^batch \d+ = /.test(x));
    const parsed = lines.length > 0 ? parseRollout(lines[0]) : undefined;
    return parsed ? { parsed, lines } : undefined;
}
