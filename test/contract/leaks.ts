// What a test leaves running must not outlive it: a failed (or timed-out) test skips its own
// cleanup, and one child process or sampler loop left behind kept a whole contract suite alive
// after its summary (issue 30, point 9). Children the helpers start are tracked here and killed
// after each test; loops register a stop with onTestEnd. Both run from root hooks, which mocha
// runs after a test however it ended. dev/lib/run-suite.sh is the backstop for the rest.
import { ChildProcess, spawnSync } from "child_process";

const live = new Map<ChildProcess, string>();
let stops: (() => void)[] = [];

/** Tracks a child until it exits; a child still running when its test ends is killed (SIGKILL). */
export function track<T extends ChildProcess>(child: T, what: string): T {
    live.set(child, what);
    child.once("exit", () => live.delete(child));
    child.once("error", () => live.delete(child));
    return child;
}

/** `stop` runs when the current test ends, passed, failed or timed out (e.g. `sampling = false`). */
export function onTestEnd(stop: () => void): void {
    stops.push(stop);
}

/** Runs the registered stops and kills the tracked children; returns what it killed. */
export function endTestLeftovers(): string[] {
    const s = stops;
    stops = [];
    for (const f of s) f();
    const killed: string[] = [];
    for (const [child, what] of live) {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGKILL");
            killed.push(`pid ${child.pid}: ${what}`);
        }
        live.delete(child);
    }
    return killed;
}

function reportAndEnd(where: string): void {
    const killed = endTestLeftovers();
    // a warning, not a failure: a failing root hook would abort every later test of the run
    if (killed.length) console.error(`      ${where} left child processes running; killed:\n${killed.map((k) => `        ${k}`).join("\n")}`);
}

/**
 * Engine plugins (pulumi-language-*, pulumi-resource-*) of this run's session still running once
 * every test has ended: the pulumi CLI that started them has exited (a component package's plugin
 * host outlived `pulumi up` in the e2e run of 2026-12-07). Given a few seconds to end, then killed;
 * returns what was killed. The session is the suite's own (dev/lib/run-suite.sh).
 */
export function endOrphanedPlugins(graceMs = 10000): string[] {
    const list = () => {
        const r = spawnSync("pgrep", ["-s", "0", "-a", "-f", "(^|/)pulumi-(language|resource)-"], { encoding: "utf8" });
        return (r.stdout ?? "").split("\n").filter(Boolean);
    };
    const until = Date.now() + graceMs;
    while (list().length > 0 && Date.now() < until) spawnSync("sleep", ["0.5"]);
    const left = list();
    for (const line of left) spawnSync("kill", ["-KILL", line.split(" ")[0]]);
    return left;
}

// Root hooks: registered once, when the first spec file imports this module under mocha.
if (typeof afterEach === "function" && typeof after === "function") {
    afterEach(function () {
        reportAndEnd(`test "${this.currentTest?.fullTitle() ?? "?"}"`);
    });
    after(() => {
        reportAndEnd("a before/after hook");
        const orphans = endOrphanedPlugins();
        if (orphans.length) console.error(`      engine plugins left running after their pulumi CLI exited; killed:\n${orphans.map((o) => `        ${o}`).join("\n")}`);
    });
}

// When the backstop (run-suite.sh) ends a suite that did not exit, say what held it open.
process.once("SIGTERM", () => {
    const kinds = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
    const counts = new Map<string, number>();
    for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
    const children = [...live.values()];
    console.error(`mocha ended by SIGTERM; open handles: ${[...counts].map(([k, n]) => `${k}×${n}`).join(", ") || "none"}` +
        (children.length ? `; tracked children still running: ${children.join("; ")}` : ""));
    endTestLeftovers();
    process.exit(143);
});
