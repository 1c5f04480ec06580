// Contract: interrupted applies never leave a host without dockerd or with a half-written file,
// and a rolling change across the 3-node swarm keeps a healthchecked service at >= replicas-1.
import * as assert from "assert";
import { execFile } from "child_process";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { restartBatches } from "../../components/docker-host/docker-fleet";
import { onTestEnd } from "./leaks";
import { eventually, fileSha, health, hostFiles, push, pushAsync, restore, sandbox, settledSwarm, sh, sleep, ssh, sshAsync } from "./lib";

const DJ = "/etc/docker/daemon.json";

describe("contract: interrupted apply (ssh cut / script killed at each step)", function () {
    this.timeout(900000);
    const H = "host2";
    const results: string[] = [];

    before(() => {
        settledSwarm();
        sandbox();
        const r = push(H, { labels: { gen: "0" } });
        assert.strictEqual(r.code, 0, r.stderr);
    });
    after(() => {
        console.log(`      interrupt outcomes:\n${results.map((x) => `        ${x}`).join("\n")}`);
        restore(H);
    });

    // Delays (ms after the apply starts) chosen to land in: validation, write, restart, API wait, smoke/swarm wait.
    const DELAYS = [150, 400, 800, 1500, 3000, 6000];
    DELAYS.forEach((delay, i) => {
        for (const how of ["ssh cut", "script killed"] as const) {
            it(`${how} after ${delay} ms: dockerd keeps running, the file is whole, a re-run converges`, async () => {
                const oldSha = fileSha(H, DJ);
                const daemon = { labels: { gen: `${i + 1}-${how.replace(" ", "")}` } };
                const [pub] = hostFiles(daemon);
                const newText = pub[0].content!;
                const cmd = renderApplyCommand("apply", { host: H, restartTimeoutSeconds: 30, smokeImage: sandbox().images.busybox, reloadDigest: "force-restart-" + Math.random() }, renderBundle(pub));
                const run = sshAsync(H, cmd);
                try {
                    await sleep(delay);
                    if (how === "ssh cut") run.kill();
                    else ssh(H, "for p in $(pgrep -f '^/bin/bash -c .* apply-docker-config apply'); do kill -9 $p; done");
                    await run.done;
                } finally {
                    run.kill(); // a no-op once it ended; else the child must not outlive the test
                }
                const step = ssh(H, "tail -1 /var/lib/dockfleet/daemon-config/apply.log").stdout.trim();
                // the file is either the old one or the new one, never a mix
                const sha = fileSha(H, DJ);
                const newSha = sh(H, `printf '%s' '${newText.replace(/'/g, "'\\''")}' | sha256sum | cut -d' ' -f1`);
                assert.ok(sha === oldSha || sha === newSha, `daemon.json is neither old nor new (${sha})`);
                // dockerd is running (or systemd is finishing the restart it was asked for)
                await eventually(() => ssh(H, "systemctl is-active docker").stdout.trim() === "active", 60000, "docker.service active");
                // a re-run converges and verifies
                const rerun = push(H, daemon);
                assert.strictEqual(rerun.code, 0, rerun.stderr);
                assert.ok(sh(H, "docker info --format '{{json .Labels}}'").includes(`gen=${daemon.labels.gen}`));
                assert.deepStrictEqual(health(H), { active: "active", swarm: "active", ready: "ready" });
                assert.strictEqual(ssh(H, "test -e /var/lib/dockfleet/daemon-config/in-progress").code, 1, "no apply left in progress");
                results.push(`${how} at ${delay} ms: last logged step "${step.replace(/^\S+ /, "")}", file ${sha === newSha ? "new" : "old"}`);
            });
        }
    });

    it("killed right after a bad config stopped dockerd: the rollback guard restores the last good files by itself", async () => {
        const bad = [{ path: DJ, mode: "0644", content: JSON.stringify({ foo: 1 }) + "\n" }];
        // restart-timeout 10 → the guard fires 60 s after the write
        const cmd = renderApplyCommand("apply", { host: H, restartTimeoutSeconds: 10, smokeImage: sandbox().images.busybox }, renderBundle(bad));
        const run = sshAsync(H, cmd);
        try {
            await eventually(() => ssh(H, "systemctl is-active docker").stdout.trim() !== "active", 20000, "dockerd to go down on the bad config");
            ssh(H, "for p in $(pgrep -f '^/bin/bash -c .* apply-docker-config apply'); do kill -9 $p; done");
        } finally {
            run.kill();
            await run.done;
        }
        const downSince = Date.now();
        await eventually(() => ssh(H, "systemctl is-active docker").stdout.trim() === "active", 120000, "the guard to bring dockerd back");
        results.push(`guard restored dockerd ${((Date.now() - downSince) / 1000).toFixed(0)} s after the script was killed`);
        assert.doesNotMatch(sh(H, `cat ${DJ}`), /"foo"/);
        await eventually(() => health(H).ready === "ready", 60000, "node Ready");
    });
});

describe("contract: rolling restart of all 3 hosts keeps a healthchecked service available", function () {
    this.timeout(900000);
    const SERVICE = "dfroll";
    const REPLICAS = 3;
    const samples: number[] = [];
    const timeline: string[] = [];

    before(async () => {
        settledSwarm();
        sandbox();
        ssh("host1", `docker service rm ${SERVICE} >/dev/null 2>&1`);
        sh("host1", `docker service create -d --name ${SERVICE} --replicas ${REPLICAS} --replicas-max-per-node 1 --no-resolve-image --endpoint-mode dnsrr --publish published=18090,target=8080,mode=host ` +
            `--health-cmd 'wget -q -O- http://127.0.0.1:8080/ || exit 1' --health-interval 1s --health-retries 2 --stop-grace-period 2s ` +
            `${sandbox().images.busybox} httpd -f -p 8080 -h /www`);
        for (let i = 0; i < 180 && (await healthy()) !== REPLICAS; i++) await sleep(500);
        assert.strictEqual(await healthy(), REPLICAS, "all replicas serving before the rollout");
    });
    after(() => {
        ssh("host1", `docker service rm ${SERVICE}`);
        for (const h of ["host1", "host2", "host3"]) restore(h);
    });

    // Availability as clients see it: each task publishes port 18090 in host mode; a host counts
    // when its task answers HTTP within 2 s (the healthcheck probes the same page; 1 s proved too
    // tight on a 2-core machine, where starting ssh and the apply stalled every curl at once).
    async function serving(): Promise<boolean[]> {
        return Promise.all(sandbox().hosts.map((h) => new Promise<boolean>((resolve) => {
            execFile("curl", ["-sf", "--max-time", "2", `http://${h.address}:18090/`], (err) => resolve(!err));
        })));
    }
    async function healthy(): Promise<number> {
        return (await serving()).filter(Boolean).length;
    }

    it(`a change to every host in batches of 1 succeeds everywhere; never fewer than ${REPLICAS - 1} of ${REPLICAS} replicas serving`, async () => {
        let sampling = true;
        // a failed batch throws past `sampling = false` below: this loop would then run forever
        // and keep mocha alive after its summary (issue 30)
        onTestEnd(() => (sampling = false));
        let last = "";
        const t = Date.now();
        const sampler = (async () => {
            while (sampling) {
                const at = ((Date.now() - t) / 1000).toFixed(1);
                const s = await serving();
                samples.push(s.filter(Boolean).length);
                const pattern = s.map((x) => (x ? "+" : "-")).join("");
                if (pattern !== last) timeline.push(`${at} ${pattern}`); // changes only
                last = pattern;
                await sleep(500);
            }
        })();
        const daemon = { logDriver: "json-file", logOpts: { "max-size": "20m" }, labels: { rolled: "yes" } };
        for (const batch of restartBatches(["host1", "host2", "host3"], 1)) {
            timeline.push(`${((Date.now() - t) / 1000).toFixed(1)} apply ${batch.join(",")} starts`);
            const runs = await Promise.all(batch.map((h) => pushAsync(h, daemon)));
            timeline.push(`${((Date.now() - t) / 1000).toFixed(1)} apply ${batch.join(",")} done`);
            runs.forEach((r) => assert.strictEqual(r.code, 0, r.stderr));
        }
        const secs = (Date.now() - t) / 1000;
        sampling = false;
        await sampler;
        console.log(`      rollout took ${secs.toFixed(1)} s; ${samples.length} samples; min healthy ${Math.min(...samples)} of ${REPLICAS}`);
        assert.ok(samples.length > 10, "enough samples");
        const min = Math.min(...samples);
        const below = samples.filter((n) => n < REPLICAS - 1).length;
        console.log(`      AVAILABILITY ${min >= REPLICAS - 1 ? "MET" : "NOT MET"}: min ${min} of ${REPLICAS} serving, ${below * 0.5} s below ${REPLICAS - 1}`);
        console.log(`      timeline (s since start; host1..3 serving +/-, at each change):\n${timeline.map((l) => `        ${l}`).join("\n")}`);
        // Target (issue 3): >= replicas-1 serving the whole time. The apply script holds the next
        // batch until this node's tasks are back, running and healthy (see wait_healthy).
        assert.ok(min >= REPLICAS - 1, `availability fell to ${min} of ${REPLICAS} (${below * 0.5} s below ${REPLICAS - 1}); timeline above`);
        for (const h of ["host1", "host2", "host3"]) assert.ok(sh(h, "docker info --format '{{json .Labels}}'").includes("rolled=yes"));
    });
});
