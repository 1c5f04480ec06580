// End-to-end: a daemon rollout in batches planned from the live swarm (issue 13), on the real
// engine and upstream plugins against the sandbox: 1 manager + 2 workers, a 2-replica service on
// the workers (maxUnavailable 1). The plan puts the manager and one worker together and the other
// worker after them; the two in batch 1 restart at the same time, batch 2 only after them, and the
// service never has fewer than 1 running task.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { onTestEnd } from "../contract/leaks";
import { eventually, sandbox, settledSwarm, sh, ssh, sshAsync } from "../contract/lib";
import { ROOT, STACK_FILE, useLocalStack } from "./lib";

const ADDR: Record<string, string> = { host1: "10.232.0.11", host2: "10.232.0.12", host3: "10.232.0.13" };
const HOSTS = Object.keys(ADDR);
const SERVICE = "spread_s";

/** dockerd's start on each host, µs on the kernel's monotonic clock (the nspawn hosts share it). */
const started = (h: string) => Number(sh(h, "systemctl show -p ExecMainStartTimestampMonotonic --value docker.service"));
const running = () => sh("host1", `docker service ps ${SERVICE} --filter desired-state=running --format '{{.CurrentState}}'`).split("\n").filter((l) => l.startsWith("Running")).length;

describe("e2e: daemon rollout in batches planned from the live swarm", function () {
    this.timeout(1800000);
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);
    before(() => sandbox());
    const local = useLocalStack(ssh, collect);
    after(() => {
        // Leave the 3-manager swarm the other suites and the main job expect.
        settledSwarm();
    });

    const setKey = (key: string, value: unknown) => {
        const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
        doc.setIn(["config", key], value);
        fs.writeFileSync(STACK_FILE, doc.toString());
    };
    const setDaemonLogMaxSize = (size: string) => {
        const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
        doc.setIn(["config", "dockfleet:daemon", "logOpts", "max-size"], size);
        fs.writeFileSync(STACK_FILE, doc.toString());
    };

    before(async () => {
        setKey("dockfleet:hosts", [
            { name: "host1", address: ADDR.host1, role: "manager", labels: { zone: "a" } },
            { name: "host2", address: ADDR.host2, role: "worker", labels: { zone: "b" } },
            { name: "host3", address: ADDR.host3, role: "worker", labels: { zone: "c" } },
        ]);
        setKey("dockfleet:parts", ["daemon", "swarm", "stacks"]);
        // no batchSize: the plan alone decides how many hosts restart together
        setKey("dockfleet:rollout", { restartTimeoutSeconds: 60, smokeImage: sandbox().images.busybox, execStart: "/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock", onDelete: "restore" });
        setKey("dockfleet:stacks", {
            spread: { services: { s: {
                image: sandbox().images.busybox,
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
                replicas: 2,
                placement: { constraints: ["node.role == worker"], maxReplicasPerNode: 1 },
                healthcheck: { test: ["CMD", "true"], interval: "2s", timeout: "1s", retries: 3, startPeriod: "1s" },
                update: { parallelism: 1, delay: "1s", failureAction: "rollback", monitor: "2s", order: "stop-first" },
            } } },
        });
        const r = await local.stack.up({ onOutput: collect });
        assert.strictEqual(r.summary.result, "succeeded");
        await eventually(() => running() === 2, 90000, "2 running tasks of the service");
    });

    it("the preview shows the plan: the manager and one worker together, the other worker after them", async () => {
        setDaemonLogMaxSize("11m");
        const pre = await local.stack.preview({ onOutput: collect });
        const text = `${pre.stdout}\n${pre.stderr}`;
        assert.match(text, /DockerFleet "fleet" restart plan from the live swarm:/, text.slice(-3000));
        assert.match(text, /batch 1 = host1, host2: 1 of 1 managers \(at most 1 at once for quorum\); spread_s 1\/2 running \(floor 1\)/);
        assert.match(text, /batch 2 = host3: spread_s 1\/2 running \(floor 1\)/);
    });

    it("up: batch 1's hosts restart together, batch 2 after them; the service keeps ≥ 1 running task throughout", async () => {
        const before = Object.fromEntries(HOSTS.map((h) => [h, started(h)]));
        const samples: number[] = [];
        let done = false;
        onTestEnd(() => (done = true)); // also when the test times out inside up
        const sampler = (async () => {
            while (!done) {
                const r = await sshAsync("host1", `docker service ps ${SERVICE} --filter desired-state=running --format '{{.CurrentState}}'`).done;
                if (r.code === 0) samples.push(r.stdout.split("\n").filter((l) => l.startsWith("Running")).length);
                await new Promise((res) => setTimeout(res, 500));
            }
        })();
        const t0 = Date.now();
        let result;
        try {
            result = await local.stack.up({ onOutput: collect });
        } finally {
            done = true;
            await sampler;
        }
        const wall = (Date.now() - t0) / 1000;
        assert.strictEqual(result.summary.result, "succeeded");
        assert.deepStrictEqual(result.outputs.restartBatches?.value, [["host1", "host2"], ["host3"]]);
        const after = Object.fromEntries(HOSTS.map((h) => [h, started(h)]));
        for (const h of HOSTS) assert.ok(after[h] > before[h], `${h} restarted`);
        const gap = Math.abs(after.host1 - after.host2) / 1e6;
        const next = (after.host3 - Math.max(after.host1, after.host2)) / 1e6;
        console.log(`      rollout ${wall.toFixed(1)} s; batch 1 starts ${gap.toFixed(1)} s apart; batch 2 ${next.toFixed(1)} s after; running tasks sampled ${samples.length}×, min ${Math.min(...samples)}`);
        assert.ok(gap < 8, `host1 and host2 restart together (${gap.toFixed(1)} s apart)`);
        assert.ok(next > gap + 3, `host3 waits for batch 1 to be healthy (${next.toFixed(1)} s after)`);
        assert.ok(samples.length >= 10, `enough samples (${samples.length})`);
        assert.ok(Math.min(...samples) >= 1, `the service never below its floor of 1: ${samples.join(",")}`);
    });
});
