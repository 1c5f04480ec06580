// End-to-end (issue 32): a reload-only daemon change on the 3-host sandbox is one canary and then
// one wave of the two other hosts, on the real engine and upstream plugins; no dockerd restarts
// (each host's ActiveEnterTimestamp unchanged) and `docker info` shows the new values. Then back.
// The stack runs without its proxy here; test/extended/reload-wave-proxy.test.ts runs the same with
// it (the proxy's root-only env file compared by an HMAC under the probe's one-time key).
import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { activeSince, sandbox, sh, ssh } from "../contract/lib";
import { applySpans, editStackFile, useLocalStack } from "./lib";

const HOSTS = ["host1", "host2", "host3"];
const MIRROR = "http://10.232.0.1:5999";

const activeSinceAll = () => activeSince(HOSTS);
const info = (h: string) => JSON.parse(sh(h, "docker info --format '{{json .}}'")) as { Debug: boolean; RegistryConfig: { Mirrors: string[] | null } };


describe("e2e: a reload-only change is one canary, then one wave", function () {
    this.timeout(600000);
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);
    before(() => sandbox());
    const local = useLocalStack(ssh, collect);


    before(async () => {
        editStackFile((doc) => {
            doc.setIn(["config", "dockfleet:parts"], ["daemon"]);
            doc.deleteIn(["config", "dockfleet:proxy"]);
            doc.deleteIn(["config", "dockfleet:httpProxy"]);
            doc.deleteIn(["config", "dockfleet:httpsProxy"]);
        });
        const r = await local.stack.up({ onOutput: collect });
        assert.strictEqual(r.summary.result, "succeeded", outputs.join("").slice(-3000));
    });

    for (const [what, set] of [["debug and a registry mirror", true], ["back", false]] as const) {
        it(`${what}: the preview says canary and wave; up reloads the canary, then the two others together; no dockerd restarts`, async () => {
            const before = activeSinceAll();
            editStackFile((doc) => {
                if (set) {
                    doc.setIn(["config", "dockfleet:daemon", "debug"], true);
                    doc.setIn(["config", "dockfleet:daemon", "registryMirrors"], [MIRROR]);
                } else {
                    doc.deleteIn(["config", "dockfleet:daemon", "debug"]);
                    doc.deleteIn(["config", "dockfleet:daemon", "registryMirrors"]);
                }
            });
            const pre = await local.stack.preview({ onOutput: collect });
            const line = /reload: (host\d) \(canary\), (host\d), (host\d) \(one wave\)/.exec(pre.stdout);
            assert.ok(line, pre.stdout.slice(-3000));
            const [canary, ...wave] = line.slice(1);
            const events: EngineEvent[] = [];
            const t = Date.now();
            const up = await local.stack.up({ onOutput: collect, onEvent: (e) => events.push(e) });
            console.log(`      ${what}: pulumi up ${((Date.now() - t) / 1000).toFixed(1)} s`);
            assert.strictEqual(up.summary.result, "succeeded");
            assert.deepStrictEqual(activeSinceAll(), before, "no dockerd restarted");
            for (const h of HOSTS) {
                const i = info(h);
                assert.strictEqual(i.Debug, set, `${h}: Debug`);
                assert.deepStrictEqual((i.RegistryConfig.Mirrors ?? []).map((m) => m.replace(/\/$/, "")), set ? [MIRROR] : [], `${h}: mirrors`);
            }
            const spans = applySpans(events);
            const order = JSON.stringify(spans);
            for (const w of wave) {
                assert.ok(spans[w][0] > spans[canary][1], `${w} starts after the canary ${canary} finished: ${order}`);
                for (const o of wave.filter((x) => x !== w)) assert.ok(spans[w][0] < spans[o][1], `${w} starts before ${o} finished (one wave): ${order}`);
            }
        });
    }
});
