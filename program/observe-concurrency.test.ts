// The probe's bound on SSH sessions at once (rollout.probeConcurrency): ssh is a fake on PATH that
// logs when each session starts and ends, sleeps, then runs the probe command here; docker is a fake
// that answers with the session's own address, so each result can be traced back to its host.
// The scale on real sshd endpoints is measured in bench/probe-scale.sh, not here.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LoadedConfig } from "./load";
import { DEFAULT_PROBE_CONCURRENCY, observeHosts } from "./observe";
import { withFakes } from "../test/support/fake-path";
import { testHostKey } from "../test/support/host-key-fixtures";

const hostList = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i}`, address: `10.0.0.${i + 1}`, role: "worker", hostKey: testHostKey(`h${i}`) }));

/** A config with these hosts (all swarm members) and these rollout settings. */
const cfgOf = (hosts: ReturnType<typeof hostList>, rollout: Record<string, unknown>) =>
    ({ stack: "t", config: { hosts, ssh: {}, rollout }, secrets: { sshPrivateKey: "KEY" }, parts: new Set(["daemon", "swarm"]) }) as unknown as LoadedConfig;

/**
 * ssh: `hung` addresses never answer (exec: the killed process is the sleep itself, as a real ssh
 * client is one process); the others sleep `seconds(address)`, run the command, and log start/end.
 */
const fakes = (hung: string[], seconds: (addr: string) => string) => (dir: string) => ({
    ssh: [
        "#!/bin/bash",
        "target=${@: -2:1}; addr=${target#root@}",
        `echo "start $addr $(date +%s%N)" >> "${dir}/spans"`,
        `case " ${hung.join(" ")} " in *" $addr "*) exec sleep 30 ;; esac`,
        `case "$addr" in ${hostList(64).map((h) => `${h.address}) sleep ${seconds(h.address)} ;;`).join(" ")} esac`,
        `PROBE_ADDR=$addr bash -c "\${@: -1}" > "${dir}/out.$$"; rc=$?`,
        `echo "end $addr $(date +%s%N)" >> "${dir}/spans"`,
        `cat "${dir}/out.$$"; exit $rc`,
    ].join("\n") + "\n",
    docker: `#!/bin/bash\ncase "$*" in *LocalNodeState*) echo "active n-$PROBE_ADDR c1 false" ;; *) echo false ;; esac\n`,
});

interface Span { addr: string; start: number; end?: number }

/** The logged sessions by address, times in ms. */
function spans(dir: string): Map<string, Span> {
    const out = new Map<string, Span>();
    for (const line of fs.readFileSync(path.join(dir, "spans"), "utf8").split("\n").filter(Boolean)) {
        const [kind, addr, ns] = line.split(" ");
        const t = Number(BigInt(ns) / 1000000n);
        if (kind === "start") out.set(addr, { addr, start: t });
        else out.get(addr)!.end = t;
    }
    return out;
}

/** The most sessions that were running at one moment. */
function maxOverlap(s: Span[]): number {
    const events = s.flatMap((x) => [[x.start, 1], [x.end ?? Infinity, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (now += d));
    return max;
}

describe("probe concurrency (program/observe.ts, rollout.probeConcurrency)", () => {
    it("never more than probeConcurrency sessions at once; every host's answer is its own, in host order", async function () {
        this.timeout(120000);
        const hosts = hostList(7);
        // earlier hosts answer later: the answers come back out of order
        await withFakes(fakes([], (a) => (0.6 + (8 - Number(a.split(".")[3])) * 0.03).toFixed(2)), async (dir) => {
            // a limit far above the fakes' sleeps: on a loaded machine a fake session takes seconds
            const o = await observeHosts(cfgOf(hosts, { probeConcurrency: 3, probeTimeoutSeconds: 120 }), true, true);
            const s = spans(dir);
            assert.deepStrictEqual([...s.keys()].sort(), hosts.map((h) => h.address).sort(), "each host asked once");
            assert.strictEqual(maxOverlap([...s.values()]), 3);
            assert.deepStrictEqual(Object.keys(o.swarm!), hosts.map((h) => h.name));
            assert.deepStrictEqual(Object.keys(o.drift!), hosts.map((h) => h.name));
            for (const h of hosts) {
                assert.strictEqual(o.swarm![h.name].nodeId, `n-${h.address}`, h.name);
                assert.deepStrictEqual(o.drift![h.name], { kind: "unmanaged" }, h.name);
            }
            // the queue takes hosts in config order
            const starts = [...s.values()].sort((a, b) => a.start - b.start).map((x) => x.addr);
            assert.deepStrictEqual(starts.slice(3), hosts.slice(3).map((h) => h.address));
        });
    });

    it(`unset: ${DEFAULT_PROBE_CONCURRENCY} at once (DEFAULT_PROBE_CONCURRENCY); 1: one after the other`, async function () {
        this.timeout(120000);
        const hosts = hostList(DEFAULT_PROBE_CONCURRENCY + 2);
        await withFakes(fakes([], () => "0.8"), async (dir) => {
            const o = await observeHosts(cfgOf(hosts, { probeTimeoutSeconds: 120 }), false, true);
            assert.strictEqual(maxOverlap([...spans(dir).values()]), DEFAULT_PROBE_CONCURRENCY);
            assert.strictEqual(Object.keys(o.drift!).length, hosts.length);
        });
        await withFakes(fakes([], () => "0.05"), async (dir) => {
            await observeHosts(cfgOf(hosts.slice(0, 4), { probeConcurrency: 1 }), false, true);
            assert.strictEqual(maxOverlap([...spans(dir).values()]), 1);
        });
    });

    it("the first sessions start inside the call: the early probe runs while program.js loads modules synchronously", async () => {
        const hosts = hostList(5);
        await withFakes(fakes([], () => "0.1"), async (dir) => {
            const pending = observeHosts(cfgOf(hosts, { probeConcurrency: 3 }), false, true);
            // a synchronous stretch, as program.js's require of the program after startEarlyProbe:
            // no microtask and no callback runs in it, only the child processes already spawned
            const until = Date.now() + 2000;
            while (Date.now() < until) { /* busy */ }
            assert.deepStrictEqual([...spans(dir).keys()].sort(), hosts.slice(0, 3).map((h) => h.address));
            assert.strictEqual(Object.keys((await pending).drift!).length, 5);
        });
    });

    it("a hung host holds its slot until its limit (probeTimeoutSeconds), then the others go on", async () => {
        const hosts = hostList(5);
        const hung = [hosts[0].address, hosts[1].address];
        await withFakes(fakes(hung, () => "0.1"), async (dir) => {
            const t0 = Date.now();
            const o = await observeHosts(cfgOf(hosts, { probeConcurrency: 2, probeTimeoutSeconds: 1 }), true, true);
            const took = Date.now() - t0;
            // the hung sessions were killed at their limit, not waited for (they sleep 30 s)
            assert.ok(took < 10000, `took ${took} ms`);
            for (const h of hosts.slice(0, 2)) {
                assert.strictEqual(o.swarm![h.name].reachable, false, h.name);
                assert.match(o.swarm![h.name].reason!, /no answer within 1 s/);
                assert.strictEqual(o.drift![h.name].kind, "unknown");
            }
            const s = spans(dir);
            const hungStart = Math.min(...hung.map((a) => s.get(a)!.start));
            for (const h of hosts.slice(2)) {
                // both slots were held by the hung hosts until their limit; then these ran, two at a time
                assert.ok(s.get(h.address)!.start >= hungStart + 900, `${h.name} started ${s.get(h.address)!.start - hungStart} ms after the hung hosts`);
                assert.strictEqual(o.swarm![h.name].nodeId, `n-${h.address}`);
            }
            assert.ok(maxOverlap(hosts.slice(2).map((h) => s.get(h.address)!)) <= 2);
        });
    });
});
