// mapLimit (program/limit.ts), the probe's bound on SSH sessions at once, with tasks the test ends by hand.
import * as assert from "assert";
import { mapLimit } from "./limit";

/** Tasks that end when the test says so; logs how many ran at once. */
function manual() {
    const ends = new Map<number, (v: string) => void>();
    const fails = new Map<number, (e: Error) => void>();
    const started: number[] = [];
    let running = 0;
    let max = 0;
    const fn = (item: number) => {
        started.push(item);
        max = Math.max(max, ++running);
        return new Promise<string>((res, rej) => {
            ends.set(item, (v) => { running--; res(v); });
            fails.set(item, (e) => { running--; rej(e); });
        });
    };
    const tick = () => new Promise((r) => setImmediate(r));
    return { fn, started, ends, fails, tick, max: () => max };
}

describe("mapLimit (program/limit.ts)", () => {
    it("starts the first n inside the call, the next one as one ends, in order; results in the items' order", async () => {
        const m = manual();
        const p = mapLimit([0, 1, 2, 3, 4, 5], 2, m.fn);
        assert.deepStrictEqual(m.started, [0, 1], "started before the call returned");
        m.ends.get(1)!("r1");
        await m.tick();
        assert.deepStrictEqual(m.started, [0, 1, 2]);
        for (const i of [2, 0, 3, 5, 4]) {
            await m.tick();
            m.ends.get(i)!(`r${i}`);
        }
        assert.deepStrictEqual(await p, ["r0", "r1", "r2", "r3", "r4", "r5"]);
        assert.strictEqual(m.max(), 2);
    });

    it("n above the count: all at once; no items: []; n not a whole number ≥ 1: refused", async () => {
        const m = manual();
        const p = mapLimit([7, 8], 10, m.fn);
        assert.deepStrictEqual(m.started, [7, 8]);
        m.ends.get(8)!("b");
        m.ends.get(7)!("a");
        assert.deepStrictEqual(await p, ["a", "b"]);
        assert.deepStrictEqual(await mapLimit([], 3, m.fn), []);
        for (const n of [0, -1, 1.5, NaN]) assert.throws(() => mapLimit([1], n, m.fn), /whole number ≥ 1/);
    });

    it("a rejection rejects the whole, as Promise.all does, and no new task starts after it", async () => {
        const m = manual();
        const p = mapLimit([0, 1, 2, 3], 2, m.fn);
        m.fails.get(0)!(new Error("boom"));
        await assert.rejects(p, /boom/);
        m.ends.get(1)!("r1");
        await m.tick();
        assert.deepStrictEqual(m.started, [0, 1]);
        const thrown = mapLimit([0], 1, () => { throw new Error("sync"); });
        await assert.rejects(thrown, /sync/);
    });
});
