// The Pulumi SDK (3.248) stamps every output promise with `new Error().stack` (runtime/debuggable.js,
// `debuggablePromise`), read only when PULUMI_DEBUG_PROMISE_LEAKS is set. Collecting those frames
// (V8, at `new Error()`) and formatting them (source-map-support, loaded by @pulumi/pulumi/cmd/run)
// was about half of a large program's evaluation (bench/program-scale.ts). This wraps the SDK's own
// function so that its `new Error()` collects no frames; everything else it does (ids, the promise
// leak check at exit) is unchanged, and every other stack (errors, the SDK's resource source
// positions) keeps its frames.

/** The SDK module and function whose stacks nobody reads unless leak debugging is on. */
export const UNREAD_STACK_MODULE = "@pulumi/pulumi/runtime/debuggable";
export const UNREAD_STACK_FUNCTION = "debuggablePromise";

const MARK = Symbol.for("dockfleet.skipUnreadPromiseStacks");

type Debuggable = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

/**
 * Wraps the SDK's debuggablePromise (its callers look it up on the module at each call, so the
 * wrap reaches them) to run with `Error.stackTraceLimit = 0`. Idempotent. Not installed when
 * PULUMI_DEBUG_PROMISE_LEAKS is set (then those stacks are read) or DOCKFLEET_FULL_PROMISE_STACKS=1.
 * Returns whether the wrap is in place. `mod` and `warn` are for tests.
 */
export function skipUnreadPromiseStacks(env: NodeJS.ProcessEnv = process.env, mod?: Record<string, unknown>, warn: (m: string) => void = (m) => process.emitWarning(m)): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = mod ?? (require(UNREAD_STACK_MODULE) as Record<string, unknown>);
    const current = m[UNREAD_STACK_FUNCTION] as (Debuggable & { [MARK]?: true }) | undefined;
    if (typeof current !== "function") {
        // an SDK that moved it: say so once rather than silently run slower
        warn(`dockfleet: ${UNREAD_STACK_MODULE}.${UNREAD_STACK_FUNCTION} not found; promise stacks are collected as usual`);
        return false;
    }
    if (current[MARK]) return true;
    if (env.PULUMI_DEBUG_PROMISE_LEAKS || env.DOCKFLEET_FULL_PROMISE_STACKS === "1") return false;
    const wrapped: Debuggable & { [MARK]?: true } = function <T>(p: Promise<T>, ctx: unknown): Promise<T> {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return current(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    wrapped[MARK] = true;
    m[UNREAD_STACK_FUNCTION] = wrapped;
    return true;
}
