// The Pulumi SDK (3.248) stamps every output promise with `new Error().stack` (runtime/debuggable.js,
// `debuggablePromise`), read only when PULUMI_DEBUG_PROMISE_LEAKS is set. Under the language host
// every such stack is formatted by source-map-support (loaded by @pulumi/pulumi/cmd/run), which
// made that unread string about half of a large program's evaluation (bench/program-scale.ts).
// This hook formats those stacks as "" and leaves every other stack (errors, the SDK's resource
// source positions) exactly as it was.

/** The SDK function whose stacks nobody reads unless leak debugging is on. */
export const UNREAD_STACK_FUNCTION = "debuggablePromise";

const MARK = Symbol.for("dockfleet.skipUnreadPromiseStacks");

type Prepare = (err: Error, frames: NodeJS.CallSite[]) => unknown;

/**
 * Installs the hook on `Error.prepareStackTrace` (wrapping whatever is there, source-map-support
 * included). Idempotent. Not installed when PULUMI_DEBUG_PROMISE_LEAKS is set (then those stacks
 * are read) or DOCKFLEET_FULL_PROMISE_STACKS=1. Returns whether the hook is in place.
 */
export function skipUnreadPromiseStacks(env: NodeJS.ProcessEnv = process.env): boolean {
    const current = Error.prepareStackTrace as (Prepare & { [MARK]?: true }) | undefined;
    if (current?.[MARK]) return true;
    if (env.PULUMI_DEBUG_PROMISE_LEAKS || env.DOCKFLEET_FULL_PROMISE_STACKS === "1") return false;
    const hook: Prepare & { [MARK]?: true } = (err, frames) => {
        if (frames.length > 0 && frames[0].getFunctionName() === UNREAD_STACK_FUNCTION) return "";
        if (current) return current(err, frames);
        // V8's own format, which is what `.stack` is without any hook.
        const head = err.message ? `${err.name}: ${err.message}` : String(err.name);
        return head + frames.map((f) => `\n    at ${f}`).join("");
    };
    hook[MARK] = true;
    Error.prepareStackTrace = hook as typeof Error.prepareStackTrace;
    return true;
}
