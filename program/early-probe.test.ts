// The probe program.js starts before the modules load: it runs from the raw PULUMI_CONFIG, and the
// program takes its answer only for the same question. ssh and docker are fakes on PATH (the probe
// command runs locally); a real preview's timeline is in
// bench/results/rollout-vs-ansible-20261206-afternoon.md.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { earlyProbePending, probeKey, startEarlyProbe, takeEarlyProbe } from "./early-probe";
import { LoadedConfig } from "./load";
import { withFakes } from "../test/support/fake-path";
import { testHostKey } from "../test/support/host-key-fixtures";

const HOSTS = [{ name: "m1", address: "10.0.0.1", role: "manager", hostKey: testHostKey("m1") }, { name: "d1", address: "10.0.0.2", hostKey: testHostKey("d1") }];

/** PULUMI_CONFIG as the language host sets it: full keys, structured values as JSON text. */
const envWith = (c: Record<string, unknown>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PULUMI_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(c).map(([k, v]) => [`dockfleet:${k}`, typeof v === "string" ? v : JSON.stringify(v)]))),
    ...extra,
});

/** The validated config the program would hold for the same keys. */
const loaded = (c: { hosts: unknown; ssh?: unknown; rollout?: unknown }, key = "KEY") =>
    ({ stack: "t", config: { hosts: c.hosts, ssh: c.ssh ?? {}, rollout: c.rollout }, secrets: { sshPrivateKey: key }, parts: new Set(["daemon", "swarm"]) }) as unknown as LoadedConfig;

const fakes = (dir: string) => ({
    ssh: `#!/bin/bash\necho "\${@: -2:1}" >> "${dir}/calls"\nexec bash -c "\${@: -1}"\n`,
    docker: `#!/bin/bash\ncase "$*" in *LocalNodeState*) echo "active n1 c1 false" ;; *) echo false ;; esac\n`,
});
const calls = (dir: string) => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter(Boolean).sort() : []);

describe("early probe (program/early-probe.ts, started by program.js)", () => {
    afterEach(() => startEarlyProbe({})); // nothing pending for the next test

    it("the program takes the early answer for the same config: each host asked once, not twice", async () => {
        await withFakes(fakes, async (dir) => {
            startEarlyProbe(envWith({ hosts: HOSTS, sshPrivateKey: "KEY" }));
            assert.ok(earlyProbePending());
            const o = await takeEarlyProbe(loaded({ hosts: HOSTS }), true, true);
            assert.deepStrictEqual(calls(dir), ["root@10.0.0.1", "root@10.0.0.2"]);
            assert.strictEqual(o.swarm!.m1.nodeId, "n1");
            assert.deepStrictEqual(o.drift!.d1, { kind: "unmanaged" });
            assert.ok(!earlyProbePending(), "taken once");
        });
    });

    it("trimmed to what the program asks: no drift without the daemon part, no swarm without members' parts", async () => {
        await withFakes(fakes, async () => {
            startEarlyProbe(envWith({ hosts: HOSTS, sshPrivateKey: "KEY" }));
            const o = await takeEarlyProbe(loaded({ hosts: HOSTS }), true, false);
            assert.deepStrictEqual(Object.keys(o).sort(), ["swarm"]);
            startEarlyProbe(envWith({ hosts: HOSTS, sshPrivateKey: "KEY" }));
            assert.deepStrictEqual(Object.keys(await takeEarlyProbe(loaded({ hosts: HOSTS }), false, true)), ["drift"]);
        });
    });

    it("another question (a host's address, the key, the ssh user, a limit) is asked again by the program", async function () {
        // six rounds of four fake ssh sessions each: seconds on an idle machine, far more on a loaded one
        this.timeout(120000);
        const changed: [string, Parameters<typeof loaded>[0], string?][] = [
            ["address", { hosts: [HOSTS[0], { ...HOSTS[1], address: "10.0.0.3" }] }],
            ["key", { hosts: HOSTS }, "OTHER-KEY"],
            ["a host's pinned key", { hosts: [HOSTS[0], { ...HOSTS[1], hostKey: testHostKey("rotated") }] }],
            ["ssh user", { hosts: HOSTS, ssh: { user: "ops" } }],
            ["probe limit", { hosts: HOSTS, rollout: { probeTimeoutSeconds: 5 } }],
            ["probe concurrency", { hosts: HOSTS, rollout: { probeConcurrency: 1 } }],
        ];
        for (const [what, c, key] of changed) {
            await withFakes(fakes, async (dir) => {
                startEarlyProbe(envWith({ hosts: HOSTS, sshPrivateKey: "KEY" }));
                const o = await takeEarlyProbe(loaded(c, key), true, true);
                // the early probe's 2 calls plus the program's own
                assert.strictEqual(calls(dir).length, 4, what);
                assert.ok(o.swarm && o.drift, what);
            });
        }
    });

    it("nothing starts without a readable config, with probes off, or without a key; it never throws", async () => {
        await withFakes(fakes, async (dir) => {
            for (const env of [
                {},
                { PULUMI_CONFIG: "not json" },
                envWith({ hosts: "[not json" }),
                envWith({ hosts: [{ name: "x" }], sshPrivateKey: "KEY" }),
                envWith({ hosts: HOSTS }),
                envWith({ hosts: HOSTS, sshPrivateKey: "KEY", rollout: { driftCheck: false } }),
                envWith({ hosts: HOSTS, sshPrivateKey: "KEY" }, { DOCKFLEET_NO_DRIFT_CHECK: "1" }),
            ]) {
                startEarlyProbe(env);
                assert.ok(!earlyProbePending(), JSON.stringify(env));
            }
            await new Promise((r) => setTimeout(r, 200));
            assert.deepStrictEqual(calls(dir), []);
        });
    });

    it("a failed early probe (an unreadable key file) leaves the answer to the program's own probe", async () => {
        await withFakes(fakes, async (dir) => {
            const keyFile = path.join(dir, "key");
            startEarlyProbe(envWith({ hosts: HOSTS, ssh: { privateKeyPath: keyFile } }));
            fs.writeFileSync(keyFile, "KEY-FROM-FILE\n");
            const c = { hosts: HOSTS, ssh: { privateKeyPath: keyFile } };
            const o = await takeEarlyProbe({ ...loaded(c), secrets: {} } as LoadedConfig, true, true);
            assert.deepStrictEqual(calls(dir), ["root@10.0.0.1", "root@10.0.0.2"]);
            assert.strictEqual(o.swarm!.m1.nodeId, "n1");
        });
    });

    it("probeKey: the same hosts, ssh settings, limits and key give the same key; the key text is not in it", () => {
        const a = probeKey({ hosts: HOSTS, ssh: {}, rollout: {}, sshPrivateKey: "SECRET-KEY-TEXT" });
        assert.strictEqual(probeKey({ hosts: HOSTS.map((h) => ({ ...h })), ssh: {}, rollout: { driftCheck: true }, sshPrivateKey: "SECRET-KEY-TEXT" }), a);
        assert.notStrictEqual(probeKey({ hosts: HOSTS, ssh: { port: 2222 }, rollout: {}, sshPrivateKey: "SECRET-KEY-TEXT" }), a);
        assert.notStrictEqual(probeKey({ hosts: HOSTS, ssh: {}, rollout: { probeConcurrency: 4 }, sshPrivateKey: "SECRET-KEY-TEXT" }), a);
        assert.doesNotMatch(a, /SECRET-KEY-TEXT/);
    });
});
