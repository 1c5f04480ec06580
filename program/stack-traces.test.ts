// The wrap that keeps the SDK's unread promise stacks from being collected, tested against the
// SDK's own debuggablePromise (so an SDK that renames or moves it fails here, not silently slows down).
import * as assert from "assert";
import { UNREAD_STACK_FUNCTION, skipUnreadPromiseStacks } from "./stack-traces";

describe("skipUnreadPromiseStacks (program/stack-traces.ts)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };
    let saved: typeof debuggable.debuggablePromise;
    beforeEach(() => (saved = debuggable.debuggablePromise));
    afterEach(() => (debuggable.debuggablePromise = saved));

    // debuggablePromise stamps the promise it is given (and returns another)
    const sdkStack = () => {
        const p = Promise.resolve(1);
        void debuggable.debuggablePromise(p, "test");
        return (p as unknown as { _debugStackTrace: string })._debugStackTrace;
    };
    function thrower(): string {
        return new Error("bad field").stack!;
    }

    it("the SDK's promise stacks carry no frames; every other stack keeps its frames", () => {
        const before = thrower();
        const limit = Error.stackTraceLimit;
        assert.match(sdkStack(), /at (Object\.)?debuggablePromise /, "control: without the wrap the SDK collects frames");
        assert.strictEqual(skipUnreadPromiseStacks({}), true);
        assert.strictEqual(sdkStack(), "Error");
        const after = thrower();
        assert.match(after, /^Error: bad field\n {4}at thrower /);
        assert.strictEqual(after.split("\n").length, before.split("\n").length);
        assert.strictEqual(Error.stackTraceLimit, limit, "the limit is put back after each call");
    });

    it("keeps the SDK's leak check: the promise is a candidate until it settles, as without the wrap", async () => {
        skipUnreadPromiseStacks({});
        let resolve!: (v: number) => void;
        const p = new Promise<number>((r) => (resolve = r));
        const out = debuggable.debuggablePromise(p, "leak test");
        assert.ok(state.getStore().leakCandidates.has(p), "pending: a leak candidate");
        resolve(7);
        assert.strictEqual(await out, 7);
        assert.ok(!state.getStore().leakCandidates.has(p), "settled: no longer a candidate");
        // a rejection still reaches the caller, with the SDK's promise attached
        const err = await debuggable.debuggablePromise(Promise.reject(new Error("boom")), "x").catch((e: Error & { promise?: unknown }) => e);
        assert.strictEqual((err as Error).message, "boom");
        assert.ok((err as { promise?: unknown }).promise);
    });

    it("is idempotent: installing twice wraps once", () => {
        skipUnreadPromiseStacks({});
        const once = debuggable.debuggablePromise;
        assert.notStrictEqual(once, saved);
        assert.strictEqual(skipUnreadPromiseStacks({}), true);
        assert.strictEqual(debuggable.debuggablePromise, once);
    });

    it("stays out when the stacks are read (PULUMI_DEBUG_PROMISE_LEAKS) or when asked (DOCKFLEET_FULL_PROMISE_STACKS=1)", () => {
        assert.strictEqual(skipUnreadPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "true" }), false);
        assert.strictEqual(skipUnreadPromiseStacks({ DOCKFLEET_FULL_PROMISE_STACKS: "1" }), false);
        assert.strictEqual(debuggable.debuggablePromise, saved);
        assert.match(sdkStack(), /at (Object\.)?debuggablePromise /);
    });

    it("an SDK without the function: a warning naming it, nothing wrapped", () => {
        const warnings: string[] = [];
        const mod: Record<string, unknown> = {};
        assert.strictEqual(skipUnreadPromiseStacks({}, mod, (m) => warnings.push(m)), false);
        assert.deepStrictEqual(Object.keys(mod), []);
        assert.strictEqual(warnings.length, 1);
        assert.match(warnings[0], new RegExp(`runtime/debuggable\\.${UNREAD_STACK_FUNCTION} not found`));
    });
});
