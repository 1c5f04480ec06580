import * as assert from "assert";
import { ChangeKind, HostChangeKind } from "./change-kind";
import { parseRollout, planRollout, renderRollout, rolloutFromMessage } from "./rollout";

const R = (why = "hot-reloadable daemon.json keys"): HostChangeKind => ({ kind: "reload", why });
const S = (why = "daemon.json keys that need a restart"): HostChangeKind => ({ kind: "restart", why });
const N: HostChangeKind = { kind: "nothing", why: "as applied" };
const kindsOf = (k: Record<string, HostChangeKind>) => Object.fromEntries(Object.entries(k).map(([n, c]) => [n, c.kind]));

describe("rollout: canary, wave, restart batches (planRollout, renderRollout)", () => {
    const batches = [["m1", "w1"], ["w2"], ["w3"]];

    it("a restart change, or none, keeps the restart batches as given", () => {
        const none: Record<string, ChangeKind> = {};
        for (const kinds of [none, { m1: "restart", w1: "restart", w2: "nothing", w3: "restart" } as Record<string, ChangeKind>]) {
            assert.deepStrictEqual(planRollout(batches, kinds), { stages: [[["m1", "w1"]], [["w2"]], [["w3"]]], wave: [], batches });
        }
    });

    it("a reload-only change: the first reload host alone, then every other one at once, each its own group", () => {
        assert.deepStrictEqual(planRollout(batches, { m1: "reload", w1: "reload", w2: "reload", w3: "reload" }), {
            stages: [[["m1"]], [["w1"], ["w2"], ["w3"]]],
            canary: "m1",
            wave: ["w1", "w2", "w3"],
            batches: [],
        });
        // one reload host: a canary, no wave; the hosts that need nothing keep their batches (their commands run nothing)
        assert.deepStrictEqual(planRollout(batches, { m1: "nothing", w1: "nothing", w2: "reload", w3: "nothing" }), {
            stages: [[["w2"]], [["m1", "w1"]], [["w3"]]],
            canary: "w2",
            wave: [],
            batches: [["m1", "w1"], ["w3"]],
        });
    });

    it("a mixed change: canary, wave, then the restart batches without the reload hosts", () => {
        assert.deepStrictEqual(planRollout(batches, { m1: "restart", w1: "reload", w2: "restart", w3: "reload" }), {
            stages: [[["w1"]], [["w3"]], [["m1"]], [["w2"]]],
            canary: "w1",
            wave: ["w3"],
            batches: [["m1"], ["w2"]],
        });
    });

    it("says it per host, and reads it back", () => {
        const kinds = { m1: S(), w1: R(), w2: R(), w3: R(), w4: N, w5: S("first apply") };
        const order = ["m1", "w1", "w2", "w3", "w4", "w5"];
        const lines = renderRollout(planRollout([order], kindsOf(kinds)), kinds, order);
        assert.deepStrictEqual(lines, [
            "reload: w1 (canary), w2, w3 (one wave); restart: m1, w5; nothing: w4",
            "the wave starts once w1 reloaded and verified; a failed canary rolls itself back (its apply restores the last good files) and stops the wave and the restart batches",
            "restart m1: daemon.json keys that need a restart",
            "restart w5: first apply",
            "no command runs on w4 (as applied)",
        ]);
        assert.deepStrictEqual(parseRollout(lines[0]), { canary: "w1", wave: ["w2", "w3"], restart: ["m1", "w5"], nothing: ["w4"] });
        const one = { a: R(), b: N };
        const single = renderRollout(planRollout([["a", "b"]], kindsOf(one)), one, ["a", "b"]);
        assert.deepStrictEqual(single, ["reload: a (canary); nothing: b", "a failed canary rolls itself back (its apply restores the last good files)", "no command runs on b (as applied)"]);
        assert.deepStrictEqual(parseRollout(single[0]), { canary: "a", wave: [], restart: [], nothing: ["b"] });
        const restartOnly = { a: S(), b: S() };
        assert.deepStrictEqual(renderRollout(planRollout([["a"], ["b"]], kindsOf(restartOnly)), restartOnly, ["a", "b"]), ["restart: a, b", "restart a, b: daemon.json keys that need a restart"]);
        assert.strictEqual(parseRollout("batch 1 = a, b: no replicated tasks"), undefined);
        assert.strictEqual(parseRollout("restart a, b: first apply"), undefined);
        assert.strictEqual(parseRollout("reload: a, b"), undefined, "a reload list starts with its canary");
    });

    it("finds the rollout in the program's log message, with or without a restart plan", () => {
        assert.deepStrictEqual(rolloutFromMessage('DockerFleet "fleet" restart plan from the live swarm:\n  reload: h2 (canary), h3 (one wave); nothing: h1\n  the wave starts once h2 reloaded and verified; a failed canary rolls itself back (its apply restores the last good files) and stops the wave\n  no command runs on h1 (as applied)\n  batch 1 = h1: no replicated tasks\n  batch 2 = h2, h3: no replicated tasks'), {
            parsed: { canary: "h2", wave: ["h3"], restart: [], nothing: ["h1"] },
            lines: ["reload: h2 (canary), h3 (one wave); nothing: h1", "the wave starts once h2 reloaded and verified; a failed canary rolls itself back (its apply restores the last good files) and stops the wave", "no command runs on h1 (as applied)"],
        });
        assert.deepStrictEqual(rolloutFromMessage('DockerFleet "fleet" rollout:\n  nothing: h1, h2\n  no command runs on h1, h2 (as applied)')?.parsed, { wave: [], restart: [], nothing: ["h1", "h2"] });
        // a restart plan logged without the rollout (probes that predate it): none
        assert.strictEqual(rolloutFromMessage('DockerFleet "fleet" restart plan from the live swarm:\n  batch 1 = h1: no replicated tasks'), undefined);
        assert.strictEqual(rolloutFromMessage("reload: a (canary)"), undefined);
    });
});
