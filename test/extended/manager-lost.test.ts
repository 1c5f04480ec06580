// Named group `extended` (issue 30, point 5): a manager lost mid-rollout, and a partition, on the
// sandbox grown to 3 managers + 2 workers (host1-3 managers, host4-5 workers; put back to its
// default 3 managers in after(), also on failure). A 2-replica service on the workers (one per
// node; floor 1 as the program computes it: replicas - maxUnavailable 1), a restart change (log
// max-size) rolled out with batchSize 1: managers first in config order, the raft leader last
// (restart-plan.ts), then the workers host4, host5 in between. Each case faults the rollout once
// it runs, and checks: the up fails within a bound (never hangs), its error names the lost node,
// the service never ran below its floor (sampled about once a second on a manager that stays up),
// every host but the one stopped keeps a running dockerd, and after healing the next up finishes
// the rollout on every host.
//  A:  host1's dockerd stopped as host4's apply starts: host1 is the fleet's first manager, which
//      runs every worker's snapshot and serve-wait.
//  A2: another manager's dockerd stopped (not host1, not the leader) as host4's apply starts: a
//      later manager's restart would leave 1 of 3 managers, no raft quorum.
//  B:  host5 cut off from the three managers (iptables DROP on the sandbox bridge, 10.232.0.x of
//      these hosts only; removed in the case and in after()) as the rollout's first apply starts.
//      The swarm may see host5 down before host4's snapshot (then the service may be at its floor
//      and host4's restart is refused) or only after it (seen on the first run: host4 restarted
//      while the managers still counted host5's task Running); either way host5 itself is never
//      restarted: cut off, it could not rejoin (main restarted it, its apply failed and its
//      rollback too: CRITICAL).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { activeSince, eventually, sandbox, sandboxCmd, ssh, sshAsync } from "../contract/lib";
import { STACK_FILE, cleanHostFiles, cleanHosts, editStackFile, loadEngineEnv, localStack } from "../e2e/lib";

const HOSTS = ["host1", "host2", "host3", "host4", "host5"];
const MANAGERS = ["host1", "host2", "host3"];
const SIZE = { hosts: 5, managers: 3 };
const ADDR = (h: string) => `10.232.0.1${h.slice(4)}`;
const SERVICE = "mgrlost_s";
const UP_MS = 900000; // bound on one up: 5 restarts take 2-3 min; a faulted up must end well before
const RESTART_TIMEOUT = 45;
const DAEMON_JSON = "/etc/docker/daemon.json";
const FW_COMMENT = "dockfleet-manager-lost-test";

/** Running and desired tasks of the service, as a manager's `docker service ls` counts them. */
const parseReplicas = (s: string) => {
    const m = /^(\d+)\/(\d+)/.exec(s.trim());
    return m ? { running: Number(m[1]), desired: Number(m[2]) } : undefined;
};
const dockerActive = (h: string) => ssh(h, "systemctl is-active docker.service").stdout.trim();
/** dockerd of `h` stopped, with its socket (a docker call on the host must not start it again). */
const stopDocker = (h: string) => {
    ssh(h, "systemctl stop docker.socket; systemctl stop docker.service");
    if (dockerActive(h) === "active") throw new Error(`${h}: dockerd still active after systemctl stop`);
};
const hasSize = (h: string, size: string) => ssh(h, `grep -q '"max-size": "${size}"' ${DAEMON_JSON}`).code === 0;

/** iptables on this machine (the sandbox bridge's own FORWARD chain), bounded. */
function iptables(args: string[]): number {
    const r = spawnSync("iptables", ["-w", "10", ...args], { encoding: "utf8", timeout: 30000 });
    return r.status ?? -1;
}
const RULES = MANAGERS.flatMap((m) => [[ADDR("host5"), ADDR(m)], [ADDR(m), ADDR("host5")]]);
const ruleSpec = (s: string, d: string) => ["FORWARD", "-i", "dfbr0", "-o", "dfbr0", "-s", s, "-d", d, "-m", "comment", "--comment", FW_COMMENT, "-j", "DROP"];
function cutHost5(): void {
    for (const [s, d] of RULES) {
        const [chain, ...spec] = ruleSpec(s, d);
        if (iptables(["-I", chain, "1", ...spec]) !== 0) throw new Error(`iptables -I ${ruleSpec(s, d).join(" ")} failed`);
    }
}
function healPartition(): void {
    for (const [s, d] of RULES) while (iptables(["-C", ...ruleSpec(s, d)]) === 0) iptables(["-D", ...ruleSpec(s, d)]);
}

describe("extended: a manager lost mid-rollout, a partition (3 managers + 2 workers; named group, not in npm test)", function () {
    this.timeout(3600000);
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);
    let stack: Stack | undefined;
    let stackFileBefore = "";
    let grown = false;
    let floor = -1;
    let change = 10;

    const setSize = (size: string) => editStackFile((doc) => doc.setIn(["config", "dockfleet:daemon", "logOpts", "max-size"], size));
    /** The manager a sampler or a check may ask: up, and not `but`. */
    const askOn = (but: string[]) => MANAGERS.find((m) => !but.includes(m))!;
    /** Every host's dockerd up, every node Ready, 3 managers reachable, the service at 2/2. */
    const settled = async (on: string) =>
        eventually(() => {
            if (HOSTS.some((h) => dockerActive(h) !== "active")) return false;
            const nodes = ssh(on, "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'");
            if (nodes.code !== 0) return false;
            const lines = nodes.stdout.trim().split("\n");
            if (lines.filter((l) => / Ready /.test(`${l} `)).length < HOSTS.length) return false;
            if (lines.filter((l) => /(Leader|Reachable)$/.test(l)).length < MANAGERS.length) return false;
            const r = ssh(on, `docker service ls --filter name=${SERVICE} --format '{{.Replicas}}'`);
            const c = parseReplicas(r.stdout);
            return !!c && c.running === 2 && c.desired === 2;
        }, 300000, "all 5 dockerds up, 5 nodes Ready, 3 managers reachable, the service at 2/2");

    /** The preview's restart batches (batchSize 1: one host each) and the service's floor. */
    const plan = async () => {
        const pre = await stack!.preview({ onOutput: collect, signal: AbortSignal.timeout(UP_MS) });
        const text = `${pre.stdout}\n${pre.stderr}`;
        const order = [...text.matchAll(/batch \d+ = (host\d):/g)].map((m) => m[1]);
        assert.deepStrictEqual([...order].sort(), HOSTS, `one batch per host:\n${text.slice(-3000)}`);
        const f = new RegExp(`${SERVICE} \\d+/2 running \\(floor (\\d+)\\)`).exec(text);
        assert.ok(f, `the plan names the service's floor:\n${text.slice(-3000)}`);
        return { order, floor: Number(f[1]) };
    };

    /**
     * A rollout of a new max-size with `fault` run once, as the apply whose URN ends with
     * `-apply` of `at` (any host's when "first") starts; samples the service on `sampleOn`.
     */
    const faultedUp = async (at: string, fault: () => void, sampleOn: string) => {
        const samples: number[] = [];
        let noAnswer = 0;
        let done = false;
        let fired = false;
        const sampler = (async () => {
            while (!done) {
                const r = await sshAsync(sampleOn, `timeout 5 docker service ls --filter name=${SERVICE} --format '{{.Replicas}}'`).done;
                const c = r.code === 0 ? parseReplicas(r.stdout) : undefined;
                if (c) samples.push(c.running);
                else noAnswer++;
                await new Promise((res) => setTimeout(res, 1000));
            }
        })();
        let faultError = "";
        const onEvent = (e: EngineEvent) => {
            const urn = e.resourcePreEvent?.metadata.urn;
            if (fired || !urn) return;
            const m = /::(host\d)-apply$/.exec(urn);
            if (m && (at === "first" || m[1] === at)) {
                fired = true;
                try {
                    fault(); // a throw here would end in the Automation API's event reader, not in this test
                } catch (err) {
                    faultError = String(err);
                }
            }
        };
        const t0 = Date.now();
        let error = "";
        try {
            await stack!.up({ onOutput: collect, onEvent, signal: AbortSignal.timeout(UP_MS) });
        } catch (e) {
            error = String((e as Error).message ?? e);
        } finally {
            done = true;
            await sampler;
        }
        const wall = (Date.now() - t0) / 1000;
        console.log(`      up ${error ? "failed" : "succeeded"} after ${wall.toFixed(0)} s; service sampled ${samples.length}x (min ${Math.min(...samples)}), ${noAnswer} samples without an answer`);
        assert.ok(fired, "the fault ran (its apply started)");
        assert.strictEqual(faultError, "", "the fault itself worked");
        assert.ok(samples.length >= 10, `the service sampled during the up (${samples.length}x)`);
        assert.ok(wall * 1000 < UP_MS - 5000, `the up ended on its own (${wall.toFixed(0)} s), not by the test's bound`);
        // the error lines of the up (the engine's diagnostics), not the plan it printed before
        const diag = error.split("\n").filter((l) => /error|FAILED|refus|serve-wait|dockfleet\[/.test(l)).join("\n");
        return { error, diag, samples, noAnswer };
    };

    /** The lines of the run a reader needs when an assertion fails. */
    const show = (r: { error: string; diag: string }) => `${r.diag}\n--- the up's output before its outputs:\n${r.error.split("\nOutputs:")[0].slice(-3000)}`;

    const heal = async (victim?: string) => {
        if (victim) ssh(victim, "systemctl start docker.socket; systemctl start docker.service");
        healPartition();
        await settled(askOn([]));
    };

    /** After healing: the next up succeeds and every host runs the new config. */
    const finishes = async (size: string) => {
        const r = await stack!.up({ onOutput: collect, signal: AbortSignal.timeout(UP_MS) });
        assert.strictEqual(r.summary.result, "succeeded", outputs.join("").slice(-3000));
        for (const h of HOSTS) {
            assert.ok(hasSize(h, size), `${h}: daemon.json has max-size ${size}`);
            assert.strictEqual(dockerActive(h), "active", `${h}: dockerd active`);
        }
    };

    before(async () => {
        sandbox(); // the suite lock first (test/contract/suites-lock.ts): no other suite on these hosts
        loadEngineEnv();
        stackFileBefore = fs.readFileSync(STACK_FILE, "utf8");
        stack = await localStack();
        healPartition(); // a run killed before its after() may have left them
        cleanHosts(ssh);
        grown = true;
        sandboxCmd(["up"], SIZE, 900000);
        sandboxCmd(["swarm"], SIZE, 900000);
        for (const h of HOSTS.slice(3)) cleanHostFiles(ssh, h);
        const roles = Object.fromEntries(sandbox().hosts.map((h) => [h.name, h.role]));
        assert.deepStrictEqual(HOSTS.map((h) => roles[h]), ["manager", "manager", "manager", "worker", "worker"], "the 5-host sandbox");
        editStackFile((doc) => {
            doc.setIn(["config", "dockfleet:parts"], ["daemon", "swarm", "stacks"]);
            doc.setIn(["config", "dockfleet:hosts"], HOSTS.map((h) => ({ name: h, address: ADDR(h), role: roles[h] })));
            for (const k of ["proxy", "httpProxy", "httpsProxy"]) doc.deleteIn(["config", `dockfleet:${k}`]);
            doc.setIn(["config", "dockfleet:rollout"], { batchSize: 1, restartTimeoutSeconds: RESTART_TIMEOUT, smokeImage: sandbox().images.busybox, execStart: "/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock", onDelete: "restore" });
            doc.setIn(["config", "dockfleet:stacks"], {
                mgrlost: { services: { s: {
                    image: sandbox().images.busybox,
                    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
                    replicas: 2,
                    placement: { constraints: ["node.role == worker"], maxReplicasPerNode: 1 },
                    update: { parallelism: 1, delay: "1s", failureAction: "rollback", monitor: "2s", order: "stop-first" },
                } } },
            });
        });
        setSize(`${change}m`);
        const r = await stack.up({ onOutput: collect, signal: AbortSignal.timeout(1800000) });
        assert.strictEqual(r.summary.result, "succeeded", outputs.join("").slice(-3000));
        await settled("host1");
    });

    after(async function () {
        this.timeout(2400000);
        try {
            healPartition();
            for (const h of HOSTS) ssh(h, "systemctl is-active docker.service >/dev/null || { systemctl start docker.socket; systemctl start docker.service; }");
            if (stackFileBefore) fs.writeFileSync(STACK_FILE, stackFileBefore);
            if (stack) await stack.destroy({ onOutput: collect, signal: AbortSignal.timeout(1200000) });
        } finally {
            if (grown) {
                sandboxCmd(["up"], "default", 900000); // stops and wipes host4-5
                sandboxCmd(["swarm"], "default", 900000); // host1-3, 3 managers, as the other suites expect
            }
        }
    });

    it("A: the manager that runs the serve-waits (host1) stopped as the first worker applies: the up fails naming host1, no later host restarts; started again, the next up finishes", async () => {
        const size = `${++change}m`;
        setSize(size);
        const p = await plan();
        floor = p.floor;
        const after4 = p.order.slice(p.order.indexOf("host4") + 1);
        const since = activeSince(after4);
        let r;
        try {
            r = await faultedUp("host4", () => stopDocker("host1"), askOn(["host1"]));
            assert.ok(r.error, "the up failed");
            assert.match(r.diag, /serve-wait[^\n]*manager host1\b[^\n]*(does not answer|not answering)/, show(r));
            assert.ok(Math.min(...r.samples) >= floor, `the service never below its floor ${floor}: ${r.samples.join(",")}`);
            for (const h of HOSTS.filter((x) => x !== "host1")) assert.strictEqual(dockerActive(h), "active", `${h}: dockerd active`);
            assert.deepStrictEqual(activeSince(after4), since, `the rollout stopped at host4: ${after4.join(", ")} not restarted`);
            for (const h of after4) assert.ok(!hasSize(h, size), `${h} not applied`);
        } finally {
            await heal("host1");
        }
        await finishes(size);
    });

    it("A2: another manager (not host1, not the leader) stopped as the first worker applies: no manager restarts without quorum; the error names it; the next up finishes", async () => {
        const size = `${++change}m`;
        setSize(size);
        const p = await plan();
        floor = p.floor;
        const leader = p.order[p.order.length - 1];
        assert.ok(MANAGERS.includes(leader), `the raft leader restarts last: ${p.order.join(", ")}`);
        const victim = MANAGERS.find((m) => m !== "host1" && m !== leader)!;
        const since = activeSince([leader]);
        let r;
        try {
            r = await faultedUp("host4", () => stopDocker(victim), askOn([victim]));
            assert.ok(r.error, "the up failed");
            assert.match(r.diag, new RegExp(`quorum[^\\n]*\\b${victim}\\b`), show(r));
            assert.deepStrictEqual(activeSince([leader]), since, `${leader} (a manager) not restarted while ${victim} is down`);
            assert.ok(Math.min(...r.samples) >= floor, `the service never below its floor ${floor}: ${r.samples.join(",")}`);
            for (const h of HOSTS.filter((x) => x !== victim)) assert.strictEqual(dockerActive(h), "active", `${h}: dockerd active`);
        } finally {
            await heal(victim);
        }
        await finishes(size);
    });

    it("B: host5 cut off from the managers as the rollout starts: host5 is not restarted, the service never below its floor, the error names host5; healed, the next up finishes", async () => {
        const size = `${++change}m`;
        setSize(size);
        floor = (await plan()).floor;
        const since = activeSince(["host5"]);
        let r;
        try {
            r = await faultedUp("first", cutHost5, askOn([]));
            assert.ok(r.error, "the up failed");
            // host4's snapshot (a service at its floor, host5 among the nodes not ready) or host5's own
            assert.match(r.diag, /serve-wait: REFUSED: [^\n]*host5 \((down|unknown|disconnected)\)/, show(r));
            assert.deepStrictEqual(activeSince(["host5"]), since, "host5 not restarted");
            assert.ok(Math.min(...r.samples) >= floor, `the service never below its floor ${floor}: ${r.samples.join(",")}`);
            for (const h of HOSTS) assert.strictEqual(dockerActive(h), "active", `${h}: dockerd active`);
        } finally {
            await heal();
        }
        await finishes(size);
    });
});
