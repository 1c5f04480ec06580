// The hook that skips formatting the SDK's unread promise stacks, tested against the SDK's own
// debuggablePromise (so an SDK that renames it fails here, not silently slows down).
import * as assert from "assert";
import { skipUnreadPromiseStacks } from "./stack-traces";

describe("skipUnreadPromiseStacks (config/stack-traces.ts)", () => {
    let saved: typeof Error.prepareStackTrace;
    beforeEach(() => (saved = Error.prepareStackTrace));
    afterEach(() => (Error.prepareStackTrace = saved));

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };
    // debuggablePromise stamps the promise it is given (and returns another)
    const sdkStack = () => {
        const p = Promise.resolve(1);
        void debuggable.debuggablePromise(p, "test");
        return (p as unknown as { _debugStackTrace: string })._debugStackTrace;
    };
    function thrower(): string {
        return new Error("bad field").stack!;
    }

    it("the SDK's promise stacks become empty; every other stack is formatted as before", () => {
        const before = thrower();
        assert.match(sdkStack(), /debuggablePromise/, "control: without the hook the SDK formats a stack");
        assert.strictEqual(skipUnreadPromiseStacks({}), true);
        assert.strictEqual(sdkStack(), "");
        const after = thrower();
        assert.match(after, /^Error: bad field\n {4}at thrower /);
        // same frames as before the hook (the line of the `new Error` call is the same function's)
        assert.strictEqual(after.split("\n").length, before.split("\n").length);
    });

    it("is idempotent: installing twice wraps once", () => {
        skipUnreadPromiseStacks({});
        const once = Error.prepareStackTrace;
        assert.strictEqual(skipUnreadPromiseStacks({}), true);
        assert.strictEqual(Error.prepareStackTrace, once);
    });

    it("stays out when the stacks are read (PULUMI_DEBUG_PROMISE_LEAKS) or when asked (DOCKFLEET_FULL_PROMISE_STACKS=1)", () => {
        assert.strictEqual(skipUnreadPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "true" }), false);
        assert.strictEqual(skipUnreadPromiseStacks({ DOCKFLEET_FULL_PROMISE_STACKS: "1" }), false);
        assert.strictEqual(Error.prepareStackTrace, saved);
        assert.match(sdkStack(), /debuggablePromise/);
    });
});
