// Named group `extended` (npm run test:extended). Issue 32 with the corporate proxy: the local
// stack KEEPS its proxy (a root-only 0600 env file with the proxy URL on every host), and a
// reload-only change (a registry mirror and debug) is still one canary and one wave on the real
// engine: the probe proves the env file unchanged by an HMAC under a one-time key it sends on stdin
// (change-kind.ts), so no dockerd restarts (each host's ActiveEnterTimestamp unchanged). Then back.
import * as assert from "assert";
import * as fs from "fs";
import * as YAML from "yaml";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { PROXY_ENV_PATH } from "../../components/docker-host/dropins";
import { activeSince, sandbox, sh, ssh } from "../contract/lib";
import { STACK_FILE, applySpans, editStackFile, useLocalStack } from "../e2e/lib";

const HOSTS = ["host1", "host2", "host3"];
const MIRROR = "http://10.232.0.1:5999";

const activeSinceAll = () => activeSince(HOSTS);
const info = (h: string) => JSON.parse(sh(h, "docker info --format '{{json .}}'")) as { Debug: boolean; HttpProxy: string; RegistryConfig: { Mirrors: string[] | null } };


describe("extended: with the proxy's root-only env file, a reload-only change is one canary, then one wave (named group, not in npm test)", function () {
    this.timeout(900000);
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);
    before(() => sandbox());
    const local = useLocalStack(ssh, collect);


    before(async () => {
        const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
        assert.ok(doc.hasIn(["config", "dockfleet:httpProxy"]), "the local stack has its proxy");
        editStackFile((d) => d.setIn(["config", "dockfleet:parts"], ["daemon"]));
        const r = await local.stack.up({ onOutput: collect });
        assert.strictEqual(r.summary.result, "succeeded", outputs.join("").slice(-3000));
        for (const h of HOSTS) assert.strictEqual(sh(h, `stat -c %a ${PROXY_ENV_PATH}`), "600", `${h}: the proxy's env file is root-only`);
    });

    for (const [what, set] of [["debug and a registry mirror", true], ["back", false]] as const) {
        it(`${what}: the preview says canary and wave; up reloads the canary, then the two others together; no dockerd restarts`, async () => {
            const before = activeSinceAll();
            const proxyBefore = Object.fromEntries(HOSTS.map((h) => [h, info(h).HttpProxy]));
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
            assert.doesNotMatch(pre.stdout, /root-only/, "the env file was compared");
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
                assert.strictEqual(i.HttpProxy, proxyBefore[h], `${h}: dockerd still runs with the proxy`);
                assert.notStrictEqual(i.HttpProxy, "", `${h}: a proxy is set`);
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
