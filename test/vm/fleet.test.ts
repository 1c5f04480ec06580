// VM tier (issue 11): the seed's swarm topology - 1 manager + 3 workers, and nfs1 serving NFS - on
// qemu VMs with Debian's own kernel, deployed from nothing by `pulumi up` of stacks/Pulumi.vm.yaml
// on the upstream plugins (pulumi-resource-command, pulumi-resource-docker, the Node.js language
// host), exactly as an operator runs it. Then a daemon change rolls over the fleet in the batches
// planned from the live swarm, each worker's restart framed by the manager's serve-wait, while a
// sampler outside the VMs asks every replica of a healthchecked 3-replica service twice a second.
//
// test/vm/groups.sh boots the VMs with DOCKFLEET_VM_SWARM=0: the swarm is the product's job.
import * as assert from "assert";
import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { onTestEnd } from "../contract/leaks";
import { sandbox, sh, sleep, ssh } from "../contract/lib";
import { ROOT, applyLog, loadEngineEnv } from "../e2e/lib";

const STACK_FILE = path.join(ROOT, "stacks", "Pulumi.vm.yaml");
const MGR = "mgr1";
const WORKERS = ["wrk1", "wrk2", "wrk3"];
const HOSTS = [MGR, ...WORKERS];
const NFS = "nfs1";
const MESH_PORT = 18080;
const REPLICA_PORT = 18090;
const SERVICE = "web_httpd";

const addr = (h: string) => {
    const x = sandbox().hosts.find((o) => o.name === h);
    if (!x) throw new Error(`${h} is not in the VM tier's sandbox.json: run DOCKFLEET_VM_GROUPS=fleet bash test/vm/run.sh`);
    return x.address;
};
/** dockerd's start on a host, µs on that VM's monotonic clock. */
const started = (h: string) => Number(sh(h, "systemctl show -p ExecMainStartTimestampMonotonic --value docker.service"));

/**
 * Every worker's replica, asked on its host-mode port (in parallel): true = it answered within 5 s,
 * the service's healthcheck timeout (under TCG a VM busy with the program's probe answers slowly).
 */
function replicas(): Promise<boolean[]> {
    return Promise.all(WORKERS.map((h) => new Promise<boolean>((resolve) => {
        execFile("curl", ["-sf", "--max-time", "5", `http://${addr(h)}:${REPLICA_PORT}/`], (err) => resolve(!err));
    })));
}

/** The vm stack's state as `pulumi stack export` prints it (the CLI, as an operator checks it). */
function exportState(): string {
    const r = spawnSync("pulumi", ["stack", "export", "--stack", "vm", "--non-interactive"], { cwd: ROOT, encoding: "utf8", env: process.env, maxBuffer: 256 * 1024 * 1024 });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

/** The host's view, independent of the sampler: each httpd task container's start and end (VM clock). */
const taskLives = (h: string) => ssh(h, `docker ps -aq --filter label=com.docker.swarm.service.name=${SERVICE} | xargs -r docker inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}} {{.State.Status}}'`).stdout.trim();

describe("vm: the seed's fleet under `pulumi up` (1 manager + 3 workers + NFS server), then a rolling daemon restart", function () {
    this.timeout(3600000);
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);
    let stack: Stack;
    let stackFileBefore = "";

    /** Sets the daemon's log-opts max-size to a value other than the deployed one; returns it. */
    const changeLogMaxSize = (): string => {
        const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
        const deployed = String(doc.getIn(["config", "dockfleet:daemon", "logOpts", "max-size"]));
        const size = deployed === "11m" ? "12m" : "11m";
        doc.setIn(["config", "dockfleet:daemon", "logOpts", "max-size"], size);
        fs.writeFileSync(STACK_FILE, doc.toString());
        return size;
    };

    before(async () => {
        for (const h of [...HOSTS, NFS]) addr(h);
        console.log(`      kernel ${sh(MGR, "uname -r")}, docker ${sandbox().dockerVersion}`);
        for (const h of HOSTS) assert.strictEqual(sh(h, "docker info --format '{{.Swarm.LocalNodeState}}'"), "inactive", `${h} must start outside any swarm (DOCKFLEET_VM_SWARM=0)`);
        loadEngineEnv();
        stackFileBefore = fs.readFileSync(STACK_FILE, "utf8");
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "vm", workDir: ROOT }, { envVars: {} });
    });
    after(() => {
        if (stackFileBefore) fs.writeFileSync(STACK_FILE, stackFileBefore);
        // no destroy: vm.sh down throws the VMs away (their saved states never held this stack)
        const tail = outputs.join("").split("\n").filter((l) => /error|warning|restart plan|batch \d/i.test(l)).slice(-25);
        if (tail.length) console.log(`      engine output (errors, warnings, plan):\n${tail.map((l) => `        ${l}`).join("\n")}`);
    });

    it("up from nothing: every host configured, the product's swarm (mgr1 + 3 workers), the stack serving through the routing mesh, NFS on every worker, no plaintext secret", async () => {
        const t = Date.now();
        const r = await stack.up({ onOutput: collect });
        const secs = (Date.now() - t) / 1000;
        assert.strictEqual(r.summary.result, "succeeded");
        console.log(`      pulumi up from nothing: ${secs.toFixed(1)} s, ${JSON.stringify(r.summary.resourceChanges)}`);
        const nodes = sh(MGR, "docker node ls --format '{{.Hostname}} {{.ManagerStatus}} {{.Status}}'");
        console.log(`      swarm:\n${nodes.split("\n").map((l) => `        ${l}`).join("\n")}`);
        assert.match(nodes, /^mgr1 Leader Ready$/m);
        for (const w of WORKERS) assert.match(nodes, new RegExp(`^${w}  Ready$`, "m"));
        for (const h of HOSTS) {
            assert.match(sh(h, "docker info --format '{{json .Labels}}'"), /dockfleet\.env=vm/, `${h}: daemon.json applied`);
            // the proxy is in dockerd's environment (from the root-only env file); its value is a
            // secret and is not printed, and systemd shows only the file's path
            assert.match(sh(h, "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value docker)/environ"), /^HTTP_PROXY=http:\/\/svc-docker:/m, `${h}: proxy env file`);
            assert.doesNotMatch(sh(h, "systemctl show docker -p Environment"), /PROXY/, `${h}: no proxy variable over D-Bus`);
        }
        // 3 healthy replicas, one per worker; the mesh answers on the manager, which runs none
        for (let i = 0; i < 240 && (await replicas()).filter(Boolean).length < 3; i++) await sleep(1000);
        assert.deepStrictEqual(await replicas(), [true, true, true], "every worker's replica answers on its host-mode port");
        assert.strictEqual(sh(MGR, `docker ps -q --filter label=com.docker.swarm.service.name=${SERVICE} | wc -l`), "0");
        const mesh = spawnSync("curl", ["-s", "--max-time", "5", `http://${addr(MGR)}:${MESH_PORT}/`], { encoding: "utf8" });
        assert.strictEqual(mesh.status, 0, `mgr1:${MESH_PORT} through the routing mesh: ${mesh.stderr}`);
        // the global service mounts nfs1's export through the local driver on every worker
        for (const w of WORKERS) {
            let m = "";
            for (let i = 0; i < 120 && !m; i++) {
                m = ssh(w, "awk '$3 ~ /^nfs/ && $2 ~ /^\\/var\\/lib\\/docker\\/volumes\\// {print $3, $4}' /proc/mounts").stdout.trim();
                if (!m) await sleep(1000);
            }
            assert.match(m, new RegExp(`^nfs4 .*\\bhard\\b.*addr=${addr(NFS).replace(/\./g, "\\.")}`), `${w}: ${m}`);
        }
        // the proxy password is in the committed config only encrypted; never in state in plaintext
        const proxy = (await stack.getConfig("dockfleet:httpProxy")).value;
        const password = /:([^:@/]+)@/.exec(proxy)![1];
        assert.ok(!exportState().includes(password), "the proxy password appears in plaintext in the state");
        assert.ok(!outputs.join("").includes(password), "the proxy password appears in the engine output");
    });

    it("a daemon change rolls over the fleet in the planned batches; the manager's serve-wait follows each worker; never fewer than 2 of 3 replicas answer", async () => {
        const size = changeLogMaxSize();
        const before = Object.fromEntries(HOSTS.map((h) => [h, started(h)]));
        const samples: number[] = [];
        const timeline: string[] = [];
        let last = "";
        let done = false;
        onTestEnd(() => (done = true)); // also when the test times out inside up
        const t0 = Date.now();
        const at = () => ((Date.now() - t0) / 1000).toFixed(1);
        const sampler = (async () => {
            while (!done) {
                const s = await replicas();
                samples.push(s.filter(Boolean).length);
                const pattern = s.map((x) => (x ? "+" : "-")).join("");
                if (pattern !== last) timeline.push(`${at()} ${pattern}`);
                last = pattern;
                await sleep(500);
            }
        })();
        let r;
        try {
            r = await stack.up({ onOutput: collect });
        } finally {
            done = true;
            await sampler;
        }
        const wall = (Date.now() - t0) / 1000;
        assert.strictEqual(r.summary.result, "succeeded");
        console.log(`      changes: ${JSON.stringify(r.summary.resourceChanges)}`);
        const batches = r.outputs.restartBatches?.value as string[][];
        console.log(`      rollout ${wall.toFixed(1)} s; plan ${JSON.stringify(batches)}`);
        // each replica's worker restarts alone: two workers together would take 2 of 3 replicas down
        for (const b of batches) assert.ok(b.filter((h) => WORKERS.includes(h)).length <= 1, `batch ${JSON.stringify(b)} holds two workers`);
        for (const h of HOSTS) {
            assert.ok(started(h) > before[h], `${h}: dockerd restarted`);
            assert.ok(sh(h, "cat /etc/docker/daemon.json").includes(`"max-size": "${size}"`), `${h}: daemon.json has max-size ${size}`);
        }
        // the hosts' own apply logs: when each restart began and the apply ended (VM clocks, UTC)
        for (const h of HOSTS) {
            const log = applyLog(sh(h, "cat /var/lib/dockfleet/daemon-config/apply.log")).filter((e) => e.t >= t0 - 60000);
            const first = log.find((e) => /restart/i.test(e.msg));
            timeline.push(`${h}: restart logged at ${first ? ((first.t - t0) / 1000).toFixed(1) : "?"} s, apply ended at ${log.length ? ((log[log.length - 1].t - t0) / 1000).toFixed(1) : "?"} s (${log.length ? log[log.length - 1].msg : "no log"})`);
        }
        // the manager's waits ran and said how long each worker took to serve again
        const state = JSON.parse(exportState());
        const waits = (state.deployment.resources as { urn: string; outputs?: { stderr?: string } }[]).filter((x) => /-serve-wait$/.test(x.urn));
        assert.deepStrictEqual(waits.map((w) => w.urn.split("::").pop()).sort(), WORKERS.map((w) => `${w}-serve-wait`));
        for (const w of waits) {
            const said = (w.outputs?.stderr ?? "").split("\n").find((l) => /serving again after/.test(l));
            assert.ok(said, `${w.urn}: no "serving again" line: ${w.outputs?.stderr}`);
            timeline.push(said!);
        }
        // what the hosts say: when each replica's container started and ended, as seconds since up
        const rel = (iso: string) => (iso.startsWith("0001") ? "-" : ((Date.parse(iso) - t0) / 1000).toFixed(1));
        for (const w of WORKERS) {
            const lives = taskLives(w).split("\n").filter(Boolean).map((l) => l.split(" ")).map(([a, b, st]) => `${rel(a)}..${st === "running" ? "running" : rel(b)}`);
            timeline.push(`${w}: httpd task containers (s since up, start..end): ${lives.join(", ")}`);
        }
        const min = Math.min(...samples);
        const below = samples.filter((n) => n < 2).length;
        console.log(`      ${samples.length} samples; min ${min} of 3 answering; AVAILABILITY ${min >= 2 ? "MET" : "NOT MET"} (${below} samples below 2)`);
        console.log(`      timeline (s since up; wrk1..3 answering +/-, at each change):\n${timeline.map((l) => `        ${l}`).join("\n")}`);
        assert.ok(samples.length >= 20, `enough samples (${samples.length})`);
        assert.ok(min >= 2, `a replica floor of 2 of 3 broken: min ${min}, ${below} samples below; timeline above`);
    });
});
