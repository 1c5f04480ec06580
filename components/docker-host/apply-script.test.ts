// Unit tests of scripts/apply-docker-config.sh with fake systemctl/docker/dockerd/journalctl on
// PATH and every path under a temp DOCKFLEET_ROOT. The real-host versions of these cases run in
// test/contract against the sandbox.
import * as assert from "assert";
import { createHash } from "crypto";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APPLY_SCRIPT_FILE, ManagedFile, renderApplyCommand, renderBundle } from "./bundle";
import { renderDaemonJson } from "./daemon-config";
import { SAME_AS_ABSENT } from "./daemon-keys";
import { installFakes } from "../../test/support/apply-fakes";

export interface Env { root: string; fake: string; bin: string }

export function mkEnv(): Env {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-apply-"));
    const env = { root: path.join(base, "root"), fake: path.join(base, "fake"), bin: path.join(base, "bin") };
    for (const d of [env.root, env.fake, env.bin, path.join(env.root, "etc/docker"), path.join(env.root, "usr/bin")]) fs.mkdirSync(d, { recursive: true });
    installFakes("host", env.bin);
    fs.writeFileSync(path.join(env.root, "usr/bin/dockerd"), "", { mode: 0o755 });
    fs.writeFileSync(path.join(env.fake, "up"), "");
    return env;
}

const DJ = "/etc/docker/daemon.json";
const PROXY = "/etc/systemd/system/docker.service.d/http-proxy.conf";

export function daemon(extra: Record<string, unknown> = {}): ManagedFile {
    return { path: DJ, mode: "0644", content: JSON.stringify({ "debug": false, ...extra }, null, 2) + "\n" };
}

export function run(env: Env, action: string, opts: { public?: ManagedFile[]; secret?: ManagedFile[]; args?: string[]; extraEnv?: Record<string, string>; script?: string } = {}) {
    const args = [opts.script ?? APPLY_SCRIPT_FILE, action, "--host", "testhost", "--restart-timeout", "10", ...(opts.args ?? [])];
    // a script of an older version (test/fixtures/legacy) came with bundles without facts entries, which it refuses
    const legacy = opts.script !== undefined && opts.script.includes("fixtures/legacy");
    const pub = opts.public ? (legacy ? withoutFacts : (b: string) => b)(renderBundle(opts.public)) : undefined;
    const full = pub !== undefined ? ["-c", `exec bash "$@" 3<"$PUBFILE"`, "x", ...args] : args;
    let pubFile = "";
    if (pub !== undefined) {
        pubFile = path.join(env.fake, `pub-${Date.now()}-${Math.random()}`);
        fs.writeFileSync(pubFile, pub);
    }
    const r = spawnSync("bash", full, {
        input: opts.secret ? renderBundle(opts.secret) : "",
        env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake, PUBFILE: pubFile, ...(opts.extraEnv ?? {}) },
        encoding: "utf8",
        timeout: 60000,
    });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A bundle without its `=== @facts PATH` entries (what dockfleet sent before issue 29). */
const withoutFacts = (bundle: string) => bundle.replace(/^=== @facts .*\n(?:(?!=== ).*\n)*/gm, "");

export const read = (env: Env, p: string) => fs.readFileSync(path.join(env.root, p), "utf8");
export const exists = (env: Env, p: string) => fs.existsSync(path.join(env.root, p));
export const count = (env: Env, f: string) => (fs.existsSync(path.join(env.fake, f)) ? fs.readFileSync(path.join(env.fake, f), "utf8").split("\n").filter(Boolean).length : 0);
export const calls = (env: Env) => (fs.existsSync(path.join(env.fake, "calls")) ? fs.readFileSync(path.join(env.fake, "calls"), "utf8") : "");

/** The status lines about drift (without the `applied` and `reload-digest` lines of what was applied). */
const driftLines = (out: string) => out.trim().split("\n").filter((l) => !/^(applied|reload-digest) /.test(l));

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("is shellcheck-clean", function () {
        const r = spawnSync("shellcheck", ["-x", APPLY_SCRIPT_FILE], { encoding: "utf8" });
        if (r.error) throw new Error("shellcheck is not installed (apt-get install shellcheck); .ci/run installs it");
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });

    it("first apply writes files, restarts once and keeps the pre-dockfleet originals", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], secret: [{ path: PROXY, mode: "0644", content: "[Service]\nEnvironment=\"HTTP_PROXY=http://u:p@proxy:3128\"\n" }] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /dockfleet\[testhost\]: applied \(restart\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)), { debug: false, labels: ["a=1"] });
        assert.match(read(env, PROXY), /HTTP_PROXY/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.match(calls(env), /systemctl daemon-reload/);
        assert.match(calls(env), /systemctl reset-failed docker.service docker.socket/);
        // the proxy URL (a secret) is never echoed
        assert.doesNotMatch(r.stderr, /u:p@/);
        const manifest = read(env, "var/lib/dockfleet/daemon-config/original/manifest");
        assert.match(manifest, /absent \/etc\/systemd\/system\/docker.service.d\/http-proxy.conf/);
        assert.match(manifest, /644 \/etc\/docker\/daemon.json/);
    });

    it("an identical re-apply does nothing (no restart, no reload)", () => {
        const env = mkEnv();
        const files = [daemon({ "labels": ["a=1"] })];
        assert.strictEqual(run(env, "apply", { public: files }).code, 0);
        const r = run(env, "apply", { public: files });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /unchanged; nothing to do/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(count(env, "reloads"), 0);
    });

    it("reloads (SIGHUP) instead of restarting when only hot-reloadable keys changed", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=2"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(count(env, "reloads"), 1);
    });

    it("restarts when a restart-only key changed (reload digest differs)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--reload-digest", "d1"] }).code, 0);
        const r = run(env, "apply", { public: [daemon({ "metrics-addr": "0.0.0.0:9323" })], args: ["--reload-digest", "d2"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 2);
    });

    it("restarts after a hand edit even if only reloadable keys differ (drift)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": false, "bip": "172.30.0.1/16"}\n');
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=2"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 2);
    });

    it("a config dockerd refuses to start with is rolled back; the message names the host and dockerd's error", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["good=1"] })] }).code, 0);
        const good = read(env, DJ);
        const r = run(env, "apply", { public: [daemon({ "labels": ["BAD_START"] })] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host testhost at step 'restart dockerd': failed to start daemon: error initializing graphdriver: driver not supported/);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.strictEqual(read(env, DJ), good);
        assert.ok(exists(env, "../fake/up"), "dockerd must be running after the rollback");
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/in-progress"));
        // reset-failed before every restart: after a failed restart loop systemd refuses to start docker
        const c = calls(env);
        assert.ok((c.match(/reset-failed/g) ?? []).length >= 3, c);
    });

    it("units that need docker.service (a ContainerUnit) run again after the restart, and after a rollback; inactive ones stay inactive", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.fake, "dependents"), "heartbeat.service\nidle.service\n");
        fs.writeFileSync(path.join(env.fake, "dep-heartbeat.service"), "");
        let r = run(env, "apply", { public: [daemon({ "labels": ["a=1"] })] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(exists(env, "../fake/dep-heartbeat.service"), "heartbeat.service must run again after the restart");
        assert.ok(!exists(env, "../fake/dep-idle.service"), "a unit that was not running stays stopped");
        assert.match(r.stderr, /started again what needs docker\.service: heartbeat\.service/);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/dependents"));
        // the stop before the rollback stops it too; the rollback brings it back
        r = run(env, "apply", { public: [daemon({ "labels": ["BAD_START"] })] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.ok(exists(env, "../fake/dep-heartbeat.service"), "heartbeat.service must run again after the rollback");
        assert.ok(!exists(env, "../fake/dep-idle.service"));
    });

    it("a config that starts dockerd but breaks containers is caught by the smoke container", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--smoke-image", "local/busybox:1"] }).code, 0);
        const good = read(env, DJ);
        const r = run(env, "apply", { public: [daemon({ "labels": ["BAD_CONTAINER"] })], args: ["--smoke-image", "local/busybox:1"] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /at step 'smoke container'.*invalid size: 'ten'/);
        assert.strictEqual(read(env, DJ), good);
    });

    it("a missing smoke image that cannot be pulled fails closed and rolls back", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.fake, "no-image"), "");
        const r = run(env, "apply", { public: [daemon()], args: ["--smoke-image", "busybox:latest"] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /smoke image busybox:latest is not on the host and could not be pulled/);
    });

    it("devicemapper on Engine 25 is refused before anything is written", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper" })], extraEnv: { FAKE_ENGINE: "25.0.3" } });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /devicemapper was removed in Docker Engine 25/);
        assert.strictEqual(read(env, DJ), "{}\n");
        assert.doesNotMatch(calls(env), /systemctl/);
    });

    it("uses dockerd --validate on Engine >= 23 and refuses what it rejects, untouched", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [daemon({ "labels": ["BAD_VALIDATE"] })], extraEnv: { FAKE_ENGINE: "24.0.7" } });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /dockerd --validate rejected .*don't match any configuration option: foo/);
        assert.strictEqual(read(env, DJ), "{}\n");
    });

    it("invalid JSON is refused before anything is written (the shipped facts say so)", function () {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [{ path: DJ, mode: "0644", content: '{"debug": false,}\n' }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /is not a JSON object/);
        assert.strictEqual(read(env, DJ), "{}\n");
    });

    it("an empty daemon.json is refused", () => {
        const env = mkEnv();
        const r = run(env, "apply", { public: [{ path: DJ, mode: "0644", content: "" }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /would be empty/);
    });

    it("a drop-in whose ExecStart binary does not exist is refused", () => {
        const env = mkEnv();
        const r = run(env, "apply", { public: [daemon(), { path: "/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf", mode: "0644", content: "[Service]\nExecStart=\nExecStart=/usr/local/bin/nodockerd -H fd://\n" }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /ExecStart binary \/usr\/local\/bin\/nodockerd does not exist/);
    });

    it("an apply interrupted after writing files is re-verified (restart), not reported unchanged", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()] }).code, 0);
        // simulate a run killed right after install_set
        const want = daemon({ "labels": ["new=1"] });
        fs.writeFileSync(path.join(env.root, DJ), want.content!);
        fs.writeFileSync(path.join(env.root, "var/lib/dockfleet/daemon-config/in-progress"), "");
        const r = run(env, "apply", { public: [want] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 2);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/in-progress"));
    });

    it("recover rolls an interrupted apply back to the last known-good files", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["good=1"] })] }).code, 0);
        const good = read(env, DJ);
        fs.writeFileSync(path.join(env.root, DJ), JSON.stringify({ labels: ["BAD_START"] }));
        fs.writeFileSync(path.join(env.root, "var/lib/dockfleet/daemon-config/in-progress"), "");
        fs.rmSync(path.join(env.fake, "up"));
        const r = run(env, "recover");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(read(env, DJ), good);
        assert.ok(exists(env, "../fake/up"));
    });

    // Swarm task wait (issue 3): poll 0 is the state before the restart, polls 1.. after it.
    function swarmTasks(env: Env, polls: Array<{ node: string; ps: string }>) {
        fs.writeFileSync(path.join(env.fake, "swarm"), "");
        const dir = path.join(env.fake, "tasks");
        fs.mkdirSync(dir, { recursive: true });
        polls.forEach((p, i) => {
            fs.writeFileSync(path.join(dir, `${i}.node`), p.node ? p.node + "\n" : "");
            fs.writeFileSync(path.join(dir, `${i}.ps`), p.ps ? p.ps + "\n" : "");
        });
    }
    const FAST_POLL = { STABLE_CHECKS: "2", TASK_POLL_SECONDS: "0.1" };
    /** `docker service ls` answers, one per call: the first is the count before the restart. */
    function serviceCounts(env: Env, answers: string[]) {
        fs.mkdirSync(path.join(env.fake, "svc"), { recursive: true });
        answers.forEach((a, i) => fs.writeFileSync(path.join(env.fake, "svc", String(i)), a + "\n"));
    }

    it("a manager counts a task only in a swarm report made since the restart, not the report from before it", () => {
        const env = mkEnv();
        // t1's Running report predates the restart (the swarm has not heard from this node since);
        // its container is up and healthy all along. t2 is the task the swarm runs here afterwards.
        fs.writeFileSync(path.join(env.fake, "stale-tasks"), "t1\n");
        swarmTasks(env, [
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" },
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 1 second (healthy)" },
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 1 second (healthy)" },
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 1 second (healthy)" },
            { node: "t2 Running Running 1 second ago", ps: "t2 Up 2 seconds (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: { TASK_POLL_SECONDS: "0.1" } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 1\)/);
        // poll 0 before the restart, polls 1-3 only the stale report, then the manager's 2 checks on t2
        assert.ok(count(env, "tasks/polls") >= 6, `returned after ${count(env, "tasks/polls")} polls`);
    });

    it("a worker whose task the swarm restarted on another node: waits its restart timeout on its own, not at all when a manager watches it (--task-wait manager)", () => {
        const moved = (env: Env) => {
            fs.writeFileSync(path.join(env.fake, "worker"), "");
            swarmTasks(env, [{ node: "", ps: "t1 Up 5 minutes (healthy)" }, { node: "", ps: "" }]);
        };
        const alone = mkEnv();
        moved(alone);
        const a = run(alone, "apply", { public: [daemon()], args: ["--restart-timeout", "2"], extraEnv: FAST_POLL });
        assert.strictEqual(a.code, 0, a.stderr);
        assert.match(a.stderr, /warning: 0 of 1 swarm tasks running and healthy on this worker after 2s; continuing/);
        const watched = mkEnv();
        moved(watched);
        const w = run(watched, "apply", { public: [daemon()], args: ["--restart-timeout", "2", "--task-wait", "manager"], extraEnv: FAST_POLL });
        assert.strictEqual(w.code, 0, w.stderr);
        assert.doesNotMatch(w.stderr, /warning/);
        assert.strictEqual(count(watched, "tasks/polls"), 1, "only the count before the restart");
        assert.match(read(watched, "/var/lib/dockfleet/daemon-config/apply.log"), /a manager waits for this worker's tasks and services \(serve-wait\)/);
        // a manager waits for its own tasks whatever --task-wait says
        const mgr = mkEnv();
        swarmTasks(mgr, [{ node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" }, { node: "t1 Running Starting 1 second ago", ps: "" }, { node: "t1 Running Running 1 second ago", ps: "t1 Up 1 second (healthy)" }]);
        const m = run(mgr, "apply", { public: [daemon()], args: ["--task-wait", "manager"], extraEnv: FAST_POLL });
        assert.strictEqual(m.code, 0, m.stderr);
        assert.match(m.stderr, /swarm tasks back: 1 running and healthy/);
    });

    it("a manager whose task the swarm restarted on another node waits until that service runs its tasks again, wherever they run", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.fake, "task-names"), "web.2 Running\nagent.xyz Running\n");
        // web.2's replacement went to another node and is still starting there; nothing is wanted here
        swarmTasks(env, [{ node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" }, { node: "", ps: "" }]);
        serviceCounts(env, ["web 3/3 (max 1 per node)\nagent 3/3\nother 1/2", "web 2/3 (max 1 per node)\nagent 3/3\nother 1/2", "web 2/3\nagent 3/3\nother 1/2", "web 2/3\nagent 3/3\nother 1/2", "web 3/3\nagent 3/3\nother 1/2"]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: FAST_POLL });
        assert.strictEqual(r.code, 0, r.stderr);
        // the count before the restart, 3 checks with web short, then 2 with web whole ("other" had no task here)
        assert.strictEqual(count(env, "svc/calls"), 6);
        const stuck = mkEnv();
        fs.writeFileSync(path.join(stuck.fake, "task-names"), "web.2 Running\n");
        swarmTasks(stuck, [{ node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" }, { node: "", ps: "" }]);
        serviceCounts(stuck, ["web 3/3", "web 2/3"]);
        const s = run(stuck, "apply", { public: [daemon()], args: ["--restart-timeout", "2"], extraEnv: FAST_POLL });
        assert.strictEqual(s.code, 1);
        assert.match(s.stderr, /below their count before the restart: web/);
    });

    it("says on stdout that it restarted dockerd (the manager's serve-wait reads it), and nothing when nothing changed", () => {
        const env = mkEnv();
        const first = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(first.code, 0, first.stderr);
        assert.strictEqual(first.stdout, "dockfleet-apply: restarted\n");
        const again = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(again.code, 0, again.stderr);
        assert.strictEqual(again.stdout, "");
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--task-wait", "later"] }).code, 1);
    });

    it("waits for a replacement task that is still 'ready' after the restart, then for it to be healthy", () => {
        const env = mkEnv();
        swarmTasks(env, [
            { node: "old Running Running 5 minutes ago", ps: "old Up 5 minutes (healthy)" },
            { node: "new Ready Pending 1 second ago", ps: "" },
            { node: "new Ready Assigned 1 second ago", ps: "" },
            { node: "new Running Starting 1 second ago", ps: "new Up Less than a second (health: starting)" },
            { node: "new Running Running 1 second ago", ps: "new Up 2 seconds (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: FAST_POLL });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 1\)/);
        // poll 0 before the restart, polls 1-3 not ready, then 2 stable checks on the last poll
        assert.ok(count(env, "tasks/polls") >= 6, `returned after ${count(env, "tasks/polls")} polls`);
    });

    it("a task whose healthcheck was still starting before the restart is waited for too", () => {
        const env = mkEnv();
        swarmTasks(env, [
            { node: "old Running Starting 1 second ago", ps: "old Up 1 second (health: starting)" },
            { node: "old Running Starting 2 seconds ago", ps: "" },
            { node: "old Running Starting 3 seconds ago", ps: "old Up 1 second (health: starting)" },
            { node: "old Running Running 1 second ago", ps: "old Up 3 seconds (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: FAST_POLL });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 1\)/);
        assert.ok(count(env, "tasks/polls") >= 5, `returned after ${count(env, "tasks/polls")} polls`);
    });

    it("on a manager a healthy task container counts only once the swarm reports the task Running", () => {
        const env = mkEnv();
        swarmTasks(env, [
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" },
            // the container is back and healthy, but the agent's report has not reached the managers
            { node: "t1 Running Starting 1 second ago", ps: "t1 Up 1 second (healthy)" },
            { node: "t1 Running Starting 2 seconds ago", ps: "t1 Up 2 seconds (healthy)" },
            { node: "t1 Running Starting 3 seconds ago", ps: "t1 Up 3 seconds (healthy)" },
            { node: "t1 Running Running 1 second ago", ps: "t1 Up 4 seconds (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: FAST_POLL });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 1\)/);
        // poll 0 before the restart, polls 1-3 not counted, then 2 stable checks from poll 4 on
        assert.ok(count(env, "tasks/polls") >= 6, `returned after ${count(env, "tasks/polls")} polls: a task the swarm did not report Running was counted`);
    });

    it("tasks the swarm no longer wants here (service removed meanwhile) are not waited for", () => {
        const env = mkEnv();
        swarmTasks(env, [
            { node: "a Running Running 5 minutes ago\nb Running Running 5 minutes ago", ps: "a Up 5 minutes (healthy)\nb Up 5 minutes" },
            { node: "a Running Running 1 second ago", ps: "a Up 1 second (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon()], extraEnv: FAST_POLL });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 2\)/);
    });

    it("arms a rollback guard timer before touching files", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()] }).code, 0);
        assert.match(calls(env), /systemd-run --quiet --unit=dockfleet-rollback-guard-\d+ --on-active=60s/);
        assert.match(calls(env), /systemctl stop dockfleet-rollback-guard-\d+\.timer/);
        assert.ok(exists(env, "var/lib/dockfleet/daemon-config/apply-docker-config.sh"));
    });

    it("exits 3 and says CRITICAL when even the rollback cannot start dockerd", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()] }).code, 0);
        fs.writeFileSync(path.join(env.fake, "never-up"), "");
        const r = run(env, "apply", { public: [daemon({ "labels": ["x=1"] })] });
        assert.strictEqual(r.code, 3);
        assert.match(r.stderr, /CRITICAL on host testhost/);
    });

    it("restore puts back the pre-dockfleet files (a file that did not exist is removed)", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        assert.strictEqual(run(env, "apply", { public: [daemon()], secret: [{ path: PROXY, mode: "0644", content: "[Service]\n" }] }).code, 0);
        const r = run(env, "restore");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(read(env, DJ), '{"debug": true}\n');
        assert.ok(!exists(env, PROXY));
        assert.match(r.stderr, /restored the pre-dockfleet files/);
    });

    it("forget keeps the current files", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["kept=1"] })] }).code, 0);
        assert.strictEqual(run(env, "forget").code, 0);
        assert.match(read(env, DJ), /kept=1/);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/original"));
    });

    // Ownership claims (issue 10): a replacement runs the new resource's create before the old
    // resource's delete; that delete must never put the pre-dockfleet files back under the new one.
    const claim = (owner: string, op?: "create" | "update") => ["--owner", owner, ...(op ? ["--op", op] : [])];
    const ORIGINAL = '{"debug": true}\n';

    it("replace (create, then the old resource's delete) keeps the new config; the last claim's delete restores", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host1", "create") }).code, 0);
        // forced replace (`pulumi up --replace`): same owner, new create first
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("p.s.host1", "create") }).code, 0);
        const del = run(env, "restore", { args: claim("p.s.host1") });
        assert.strictEqual(del.code, 0, del.stderr);
        assert.match(del.stderr, /kept the current files: still claimed by p\.s\.host1 \(1\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=2"]);
        const starts = count(env, "starts");
        const last = run(env, "restore", { args: claim("p.s.host1") });
        assert.strictEqual(last.code, 0, last.stderr);
        assert.match(last.stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
        assert.strictEqual(count(env, "starts"), starts + 1);
    });

    it("rename (new owner created, old owner deleted) and a second stack: a delete restores only when no claim is left", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host3", "create") }).code, 0);
        const renamed = run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host3b", "create") });
        assert.strictEqual(renamed.code, 0, renamed.stderr);
        assert.match(renamed.stderr, /also claimed by: p\.s\.host3 \(1\)/);
        assert.match(run(env, "restore", { args: claim("p.s.host3") }).stderr, /kept the current files: still claimed by p\.s\.host3b \(1\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=1"]);
        // forget (onDelete keep) drops a claim the same way
        assert.strictEqual(run(env, "forget", { args: claim("p.s.host3") }).code, 0);
        assert.ok(exists(env, "var/lib/dockfleet/daemon-config/original/manifest"), "a delete of an owner without a claim must not drop the state");
        assert.match(run(env, "restore", { args: claim("p.s.host3b") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("update claims a host that has no claim (state from before claims, or a wiped host) once, not twice", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("o", "update") }).code, 0);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("o", "update") }).code, 0);
        assert.strictEqual(read(env, "var/lib/dockfleet/daemon-config/claims/o").trim(), "1");
        assert.match(run(env, "restore", { args: claim("o") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("a create that fails (rolled back) adds no claim: the surviving resource's delete still restores", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("old", "create") }).code, 0);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: claim("new", "create") }).code, 1);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/claims/new"));
        assert.match(run(env, "restore", { args: claim("old") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("state of the version before claims is moved on first contact; that version's stored delete then restores nothing", () => {
        const legacy = path.join(__dirname, "../../test/fixtures/legacy/apply-docker-config.pre-claims.sh");
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], script: legacy }).code, 0);
        assert.ok(exists(env, "var/lib/dockfleet/docker-host/original/manifest"), "the old version keeps its state in docker-host/");
        // upgrade: upstream pulumi-command replaces the resource (its `triggers` input went away)
        const up = run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("p.s.host1", "create") });
        assert.strictEqual(up.code, 0, up.stderr);
        assert.match(up.stderr, /moved dockfleet state from \/var\/lib\/dockfleet\/docker-host/);
        // the old resource's delete is the OLD script's restore, from the old state
        const oldDelete = run(env, "restore", { script: legacy });
        assert.strictEqual(oldDelete.code, 0, oldDelete.stderr);
        assert.match(oldDelete.stderr, /nothing to restore/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=2"]);
        // the pre-dockfleet copy survived the move: the new resource's delete restores it
        assert.match(run(env, "restore", { args: claim("p.s.host1") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("records the drift-repair marker after a verified apply and reports it in status", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: [...claim("o", "update"), "--repair", "1 /etc/docker/daemon.json"] }).code, 0);
        assert.deepStrictEqual(driftLines(run(env, "status").stdout), ["in-sync", "repair 1 /etc/docker/daemon.json"]);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        const st = run(env, "status").stdout;
        assert.match(st, /^drift \/etc\/docker\/daemon.json [0-9a-f]{64}$/m);
        assert.match(st, /^repair 1 \/etc\/docker\/daemon.json$/m);
        // a failed repair does not record its marker
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: [...claim("o", "update"), "--repair", "2 /etc/docker/daemon.json"] }).code, 1);
        assert.match(run(env, "status").stdout, /^repair 1 /m);
        assert.match(run(env, "apply", { args: ["--owner", "bad owner"] }).stderr, /--owner must be letters/);
        assert.match(run(env, "apply", { args: ["--op", "replace"] }).stderr, /--op must be create or update/);
    });

    it("status says unmanaged, in-sync, or which file drifted from the last verified apply", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "status").stdout.trim(), "unmanaged");
        assert.strictEqual(run(env, "apply", { public: [daemon()] }).code, 0);
        assert.deepStrictEqual(driftLines(run(env, "status").stdout), ["in-sync"]);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        assert.match(run(env, "status").stdout, /^drift \/etc\/docker\/daemon.json [0-9a-f]{64}$/m);
    });

    it("status also says what the last verified apply wrote: its reload digest and each file's mode and digest", () => {
        const env = mkEnv();
        const files = [daemon({ labels: ["a=1"] }), { path: PROXY, mode: "0644" }];
        assert.strictEqual(run(env, "apply", { public: files, args: ["--reload-digest", "d1"] }).code, 0);
        const sha = createHash("sha256").update(files[0].content!).digest("hex");
        assert.deepStrictEqual(run(env, "status").stdout.trim().split("\n").sort(), [
            `applied 644 ${sha} /etc/docker/daemon.json`,
            `applied absent absent ${PROXY}`,
            "in-sync",
            "reload-digest d1",
        ]);
        // a failed apply rolls back and forgets the digest: the host's next change is a restart
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: ["--reload-digest", "d2"] }).code, 1);
        assert.doesNotMatch(run(env, "status").stdout, /^reload-digest/m);
    });

    it("rejects a bundle with a relative path or a path given twice", () => {
        const env = mkEnv();
        assert.match(run(env, "apply", { public: [{ path: "etc/x", mode: "0644", content: "x" }] }).stderr, /path must be absolute/);
        assert.match(run(env, "apply", { public: [daemon(), daemon()] }).stderr, /names a path twice/);
    });

    it("the rendered remote command line runs as-is under sh (base64 script + fd 3 here-document)", () => {
        const env = mkEnv();
        const cmd = renderApplyCommand("apply", { host: "viacmd", restartTimeoutSeconds: 10 }, renderBundle([daemon({ "labels": ["it's=quoted"] })]));
        const r = spawnSync("sh", ["-c", cmd], {
            input: renderBundle([{ path: PROXY, mode: "0644", content: "[Service]\n" }]),
            env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake },
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /dockfleet\[viacmd\]: applied/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["it's=quoted"]);
        assert.ok(exists(env, PROXY));
    });
    // --- issue 12: smoke before the task wait, zero-restart adoption, rollback faults ---

    it("a node with a swarm task whose smoke container fails: fails fast with the smoke error, no task wait", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--smoke-image", "local/busybox:1"] }).code, 0);
        const good = read(env, DJ);
        // poll 0: one healthy task before the restart; after it the task never comes back
        fs.rmSync(path.join(env.fake, "tasks"), { recursive: true, force: true });
        swarmTasks(env, [{ node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" }, { node: "t1 Running Starting 1 second ago", ps: "" }]);
        const t0 = Date.now();
        const r = run(env, "apply", { public: [daemon({ labels: ["BAD_CONTAINER"] })], args: ["--smoke-image", "local/busybox:1"], extraEnv: FAST_POLL });
        const took = Date.now() - t0;
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host testhost at step 'smoke container': docker: Error response from daemon: failed to initialize logging driver: invalid size: 'ten'\./);
        assert.doesNotMatch(r.stderr, /swarm tasks/);
        assert.ok(took < 8000, `took ${took} ms; the task wait (10 s) must not run before the smoke container`);
        assert.strictEqual(read(env, DJ), good);
        assert.ok(exists(env, "../fake/up"));
    });

    it("after the restart the units that need docker, the smoke container and the task wait run side by side", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.fake, "dependents"), "heartbeat.service\n");
        fs.writeFileSync(path.join(env.fake, "dep-heartbeat.service"), "");
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--smoke-image", "local/busybox:1"] }).code, 0);
        fs.rmSync(path.join(env.fake, "tasks"), { recursive: true, force: true });
        fs.rmSync(path.join(env.fake, "events"), { force: true });
        // the task comes back healthy after a few polls; the smoke run and the unit start take 1 s each
        swarmTasks(env, [
            { node: "t1 Running Running 5 minutes ago", ps: "t1 Up 5 minutes (healthy)" },
            { node: "t2 Running Starting 1 second ago", ps: "" },
            { node: "t2 Running Starting 1 second ago", ps: "t2 Up 1 second (health: starting)" },
            { node: "t2 Running Running 1 second ago", ps: "t2 Up 2 seconds (healthy)" },
        ]);
        const r = run(env, "apply", { public: [daemon({ labels: ["new=1"] })], args: ["--smoke-image", "local/busybox:1"], extraEnv: { ...FAST_POLL, FAKE_RUN_SECONDS: "1", FAKE_DEP_SECONDS: "1" } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm tasks back: 1 running and healthy \(before the restart: 1\)/);
        assert.match(r.stderr, /started again what needs docker.service: heartbeat.service/);
        const ev = fs.readFileSync(path.join(env.fake, "events"), "utf8").split("\n").filter(Boolean);
        // the first poll is the count before the restart; the task wait's polls come after it
        const polls = ev.map((e, i) => (e === "poll" ? i : -1)).filter((i) => i > ev.indexOf("poll"));
        for (const [b, e] of [["run-begin", "run-end"], ["dep-begin", "dep-end"]]) {
            const [i, j] = [ev.indexOf(b), ev.indexOf(e)];
            assert.ok(i >= 0 && j > i, `${b}/${e} missing: ${ev.join(" ")}`);
            assert.ok(polls.some((p) => p > i && p < j), `the task wait must poll while ${b.split("-")[0]} runs: ${ev.join(" ")}`);
        }
        assert.match(fs.readFileSync(path.join(env.root, "var/lib/dockfleet/daemon-config/apply.log"), "utf8"), /^\S+T\d\d:\d\d:\d\d\.\d{3}Z serving: dependents, smoke container and swarm tasks done$/m);
    });

    it("adoption: an operator-formatted daemon.json and proxy drop-in with the same settings are rewritten, no restart, no reload", () => {
        const env = mkEnv();
        const want = daemon({ labels: ["b=2", "a=1"], "log-opts": { "max-size": "10m", "max-file": "3" } });
        fs.writeFileSync(path.join(env.root, DJ), '{"log-opts":{"max-file":"3","max-size":"10m"},\n\t"labels": ["a=1","b=2"], "debug": false}');
        const proxyWant = "# Managed by dockfleet. Proxy for dockerd (image pulls, pushes).\n[Service]\nEnvironment=\"HTTP_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment=\"HTTPS_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment=\"NO_PROXY=localhost,127.0.0.1,.corp.example\"\n";
        fs.mkdirSync(path.dirname(path.join(env.root, PROXY)), { recursive: true });
        fs.writeFileSync(path.join(env.root, PROXY), "[Service]\n# the operator's own\nEnvironment=HTTPS_PROXY=http://u:p%%25@proxy:3128 \"HTTP_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment='NO_PROXY=.corp.example,127.0.0.1,localhost'\n");
        const r = run(env, "apply", { public: [want], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.match(r.stderr, /http-proxy\.conf rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 0);
        assert.strictEqual(count(env, "reloads"), 0);
        assert.doesNotMatch(calls(env), /systemctl (stop|start|restart|reload) docker/);
        assert.match(calls(env), /systemctl daemon-reload/); // the drop-in's bytes changed
        assert.strictEqual(read(env, DJ), want.content);
        assert.strictEqual(read(env, PROXY), proxyWant);
        assert.doesNotMatch(r.stderr, /u:p/);
        // recorded as verified: the next identical apply does nothing, a reloadable change reloads
        assert.match(run(env, "apply", { public: [want], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] }).stderr, /unchanged; nothing to do/);
        assert.match(run(env, "apply", { public: [daemon({ labels: ["a=1"], "log-opts": { "max-size": "10m", "max-file": "3" } })], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] }).stderr, /applied \(reload\)/);
        // restore puts the operator's own bytes back
        assert.match(run(env, "restore").stderr, /restored the pre-dockfleet files/);
        assert.match(read(env, PROXY), /the operator's own/);
    });

    it("adoption: keys dockfleet always writes, at their default, equal absent keys (no restart); the script's list is the key table's", () => {
        const text = fs.readFileSync(APPLY_SCRIPT_FILE, "utf8");
        const defs = JSON.parse(/^ALWAYS_DEFAULTS='(.*)'$/m.exec(text)![1]);
        assert.deepStrictEqual(defs, SAME_AS_ABSENT);
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{ "log-driver": "local" }\n');
        const want = { path: DJ, mode: "0644", content: renderDaemonJson({ logDriver: "local" }) };
        const r = run(env, "apply", { public: [want] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 0);
        assert.strictEqual(read(env, DJ), want.content);
    });

    it("adoption: a real difference (a value, or a NO_PROXY entry) restarts as before", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"labels":["a=1"],"debug":true}');
        const r = run(env, "apply", { public: [daemon({ labels: ["a=1"] })] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 1);
        const env2 = mkEnv();
        fs.writeFileSync(path.join(env2.root, DJ), daemon().content!);
        fs.mkdirSync(path.dirname(path.join(env2.root, PROXY)), { recursive: true });
        fs.writeFileSync(path.join(env2.root, PROXY), '[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128" "NO_PROXY=localhost,127.0.0.1,.extra"\n');
        const r2 = run(env2, "apply", { public: [daemon()], secret: [{ path: PROXY, mode: "0644", content: '[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128"\nEnvironment="NO_PROXY=localhost,127.0.0.1"\n' }] });
        assert.strictEqual(r2.code, 0, r2.stderr);
        assert.match(r2.stderr, /will change \/etc\/systemd\/system\/docker.service.d\/http-proxy.conf/);
        assert.strictEqual(count(env2, "starts"), 1);
    });

    it("adoption: same settings but written after dockerd started (maybe not loaded) restarts", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug":false}');
        fs.writeFileSync(path.join(env.fake, "active-since"), "Wed 2020-01-01 00:00:00 UTC\n");
        const r = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 1);
    });

    // Faults (issue 12, part 5). Each ends with the previous files in place and dockerd active.
    const FAST = ["--restart-timeout", "3"];
    function assertPrevious(env: Env, good: string) {
        assert.strictEqual(read(env, DJ), good);
        assert.ok(exists(env, "../fake/up"), "dockerd must be active");
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/in-progress"));
    }
    function goodEnv(): { env: Env; good: string } {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["good=1"] })] }).code, 0);
        return { env, good: read(env, DJ) };
    }

    it("fault: the bad dockerd stops slowly (deactivating 2 s): the rollback waits it out, no SIGKILL", () => {
        const { env, good } = goodEnv();
        fs.writeFileSync(path.join(env.fake, "slow-stop"), "2");
        const r = run(env, "apply", { public: [daemon({ labels: ["HANG_API", "SLOW_STOP"] })], args: FAST });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host testhost at step 'wait for the Docker API'.*previous config restored, dockerd running/);
        assert.doesNotMatch(calls(env), /systemctl kill/);
        assertPrevious(env, good);
    });

    it("fault: the bad dockerd never stops (deactivating until killed): SIGKILL after the restart timeout, then the known-good start", () => {
        const { env, good } = goodEnv();
        const r = run(env, "apply", { public: [daemon({ labels: ["HANG_API", "SLOW_STOP"] })], args: FAST });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /docker\.service still deactivating after 3s; sending SIGKILL/);
        assert.match(calls(env), /systemctl kill --signal=SIGKILL docker\.service\n(.*\n)*systemctl reset-failed docker\.service docker\.socket/);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assertPrevious(env, good);
    });

    it("fault: containerd went down during the restart: the rollback starts containerd first", () => {
        const { env, good } = goodEnv();
        const r = run(env, "apply", { public: [daemon({ labels: ["KILL_CONTAINERD"] })], args: FAST });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /containerd\.service is inactive; starting it first/);
        assert.match(calls(env), /systemctl start containerd\.service/);
        assert.ok(!exists(env, "../fake/containerd-down"));
        assertPrevious(env, good);
    });

    // Root ignores file modes: an immutable directory (chattr +i) stands in for a read-only or full one.
    const freeze = (dir: string) => spawnSync("sh", ["-c", `chattr +i "$1" 2>/dev/null || chmod 0555 "$1"`, "x", dir]);
    const thaw = (dir: string) => spawnSync("sh", ["-c", `chattr -i "$1" 2>/dev/null; chmod 0755 "$1"`, "x", dir]);
    // Said out loud, never a silent skip: the test proves nothing where a directory cannot be frozen.
    function skipLoudly(ctx: Mocha.Context): never {
        console.log("      SKIPPED: this machine cannot make a directory read-only for root (no chattr +i, and root ignores chmod 0555); the read-only fault runs on real hosts in test/contract/faults.test.ts");
        ctx.skip();
    }
    function canFreeze(): boolean {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-ro-"));
        freeze(d);
        let blocked = false;
        try { fs.writeFileSync(path.join(d, "x"), ""); } catch { blocked = true; }
        thaw(d);
        fs.rmSync(d, { recursive: true, force: true });
        return blocked;
    }

    it("fault: /etc/docker read-only: the write fails before anything changed, naming the path; dockerd untouched", function () {
        if (!canFreeze()) skipLoudly(this);
        const { env, good } = goodEnv();
        const etc = path.join(env.root, "etc/docker");
        const starts = count(env, "starts");
        const before = calls(env).length;
        freeze(etc);
        try {
            const r = run(env, "apply", { public: [daemon({ labels: ["new=1"] })], args: FAST });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /ERROR: cannot write \/etc\/docker\/daemon\.json: (Operation not permitted|Permission denied|Read-only file system); nothing changed, dockerd untouched/);
            assert.strictEqual(count(env, "starts"), starts);
            assert.doesNotMatch(calls(env).slice(before), /systemd-run|systemctl (stop|start|restart)/);
        } finally {
            thaw(etc);
        }
        assertPrevious(env, good);
        assert.deepStrictEqual(fs.readdirSync(etc).filter((f) => f.includes("dockfleet-tmp")), []);
    });

    it("fault: the rollback's own restore write fails: CRITICAL names the file; once writable, recover brings the known-good back", function () {
        if (!canFreeze()) skipLoudly(this);
        const { env, good } = goodEnv();
        const etc = path.join(env.root, "etc/docker");
        try {
            const r = run(env, "apply", { public: [daemon({ labels: ["FREEZE_ETC"] })], args: FAST });
            assert.strictEqual(r.code, 3, r.stderr);
            assert.match(r.stderr, /CRITICAL on host testhost: .*\(restore the known-good files: cannot write \/etc\/docker\/daemon\.json: (Operation not permitted|Permission denied|Read-only file system)\)/);
        } finally {
            thaw(etc);
        }
        const rec = run(env, "recover", { args: FAST });
        assert.strictEqual(rec.code, 0, rec.stderr);
        assertPrevious(env, good);
    });

    it("fault: a smoke image that must be present (--smoke-pull never) and is not: refused before the restart, naming the image", () => {
        const { env, good } = goodEnv();
        fs.writeFileSync(path.join(env.fake, "no-image"), "");
        const starts = count(env, "starts");
        const r = run(env, "apply", { public: [daemon({ labels: ["new=1"] })], args: [...FAST, "--smoke-image", "10.0.0.5:5000/library/busybox:1.36", "--smoke-pull", "never"] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /ERROR: smoke image 10\.0\.0\.5:5000\/library\/busybox:1\.36 is not on this host and the smoke pull policy is never/);
        assert.strictEqual(count(env, "starts"), starts);
        assertPrevious(env, good);
        assert.match(run(env, "apply", { args: ["--smoke-pull", "sometimes"] }).stderr, /--smoke-pull must be missing or never/);
    });

    it("fault: the apply is killed during its rollback: the guard's recover restores the known-good files and dockerd", async () => {
        const { env, good } = goodEnv();
        const pubFile = path.join(env.fake, "pub-kill");
        fs.writeFileSync(pubFile, renderBundle([daemon({ labels: ["HANG_API", "SLOW_STOP"] })]));
        const p = spawn("bash", ["-c", `exec bash "$@" 3<"$PUBFILE"`, "x", APPLY_SCRIPT_FILE, "apply", "--host", "testhost", ...FAST], {
            env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake, PUBFILE: pubFile },
            stdio: ["ignore", "ignore", "pipe"],
            detached: true,
        });
        let stderr = "";
        const exited = new Promise<void>((resolve) => p.on("close", () => resolve()));
        await new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`no rollback within 20 s: ${stderr}`)), 20000);
            p.stderr!.on("data", (d) => {
                stderr += d;
                // killed while the rollback waits for the bad dockerd to stop
                if (/rolling back/.test(stderr)) setTimeout(() => { clearTimeout(t); process.kill(-p.pid!, "SIGKILL"); resolve(); }, 500);
            });
        });
        await exited;
        assert.doesNotMatch(stderr, /FAILED|CRITICAL|restored/, stderr);
        assert.ok(exists(env, "var/lib/dockfleet/daemon-config/in-progress"), "the kill leaves the apply in progress");
        // the guard armed before the first write runs exactly this
        assert.match(calls(env), /systemd-run .* \/bin\/bash \S+\/apply-docker-config\.sh recover --host testhost --restart-timeout 3/);
        const rec = run(env, "recover", { args: FAST, script: path.join(env.root, "var/lib/dockfleet/daemon-config/apply-docker-config.sh") });
        assert.strictEqual(rec.code, 0, rec.stderr);
        assert.match(rec.stderr, /recovered: last known-good files restored, dockerd running/);
        assertPrevious(env, good);
    });
});

// Checks that need the host (issue 12): refused before anything is written, dockerd untouched.
describe("apply-docker-config.sh host checks: userns-remap user, runtime binaries, cgroup driver", function () {
    this.timeout(60000);
    const put = (env: Env, p: string, text: string, mode = 0o644) => {
        fs.mkdirSync(path.dirname(path.join(env.root, p)), { recursive: true });
        fs.writeFileSync(path.join(env.root, p), text, { mode });
    };
    /** Applies `extra` on a host whose daemon.json is `{}`; on refusal asserts nothing was touched. */
    const attempt = (env: Env, extra: Record<string, unknown>) => {
        if (!exists(env, DJ)) put(env, DJ, "{}\n");
        const before = count(env, "starts");
        fs.rmSync(path.join(env.fake, "calls"), { force: true });
        const r = run(env, "apply", { public: [daemon(extra)] });
        if (r.code !== 0) {
            assert.strictEqual(r.code, 1, r.stderr);
            assert.strictEqual(read(env, DJ), "{}\n", "nothing may be written");
            assert.strictEqual(count(env, "starts"), before, "dockerd must not restart");
            assert.doesNotMatch(calls(env), /systemctl (restart|stop|start) docker/);
        }
        return r;
    };

    it("userns-remap: a user that does not exist, then one without subordinate ranges, is refused; with both it applies", () => {
        const env = mkEnv();
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        put(env, "etc/group", "root:x:0:\n");
        let r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /ERROR: \/etc\/docker\/daemon.json: userns-remap user 'remapper' does not exist on this host/);
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nremapper:x:1500:1500::/nonexistent:/usr/sbin/nologin\n");
        r = attempt(env, { "userns-remap": "remapper:nogroup" });
        assert.match(r.stderr, /userns-remap group 'nogroup' does not exist/);
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /userns-remap user 'remapper' has no range in \/etc\/subuid/);
        put(env, "etc/subuid", "remapper:100000:65536\n");
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /has no range in \/etc\/subgid/);
        put(env, "etc/subgid", "1500:100000:65536\n"); // by uid: newer engines accept it
        // on a swarm node, switching remapping on moves dockerd's state: the node would leave the swarm
        fs.writeFileSync(path.join(env.fake, "swarm"), "");
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /enabling userns-remap on a swarm node: dockerd would keep its state in another directory \(<data-root>\/UID.GID\) and this node would leave the swarm/);
        fs.rmSync(path.join(env.fake, "swarm"));
        r = attempt(env, { "userns-remap": "remapper" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(JSON.parse(read(env, DJ))["userns-remap"], "remapper");
    });

    it("userns-remap default: needs dockremap, or useradd/adduser for dockerd to create it", () => {
        const env = mkEnv();
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        let r = attempt(env, { "userns-remap": "default" });
        assert.match(r.stderr, /userns-remap default needs the dockremap user, or useradd\/adduser/);
        put(env, "usr/sbin/useradd", "", 0o755);
        r = attempt(env, { "userns-remap": "default" });
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("runtimes: a missing binary (absolute or on PATH) and a missing containerd shim are refused; present ones apply", () => {
        const env = mkEnv();
        let r = attempt(env, { runtimes: { crun: { path: "/usr/local/bin/crun" } } });
        assert.match(r.stderr, /runtimes.crun: binary '\/usr\/local\/bin\/crun' is not an executable on this host \(containers/);
        r = attempt(env, { runtimes: { kata: { path: "kata-runtime" } } });
        assert.match(r.stderr, /runtimes.kata: binary 'kata-runtime' is not an executable on this host's PATH/);
        r = attempt(env, { runtimes: { gvisor: { runtimeType: "io.containerd.runsc.v1" } } });
        assert.match(r.stderr, /runtimes.gvisor: runtimeType io.containerd.runsc.v1 needs the shim 'containerd-shim-runsc-v1'/);
        put(env, "usr/local/bin/crun", "", 0o755);
        put(env, "usr/bin/kata-runtime", "", 0o755);
        put(env, "usr/bin/containerd-shim-runsc-v1", "", 0o755);
        put(env, "usr/bin/not-executable", "", 0o644);
        r = attempt(env, { runtimes: { crun: { path: "/usr/local/bin/crun" }, kata: { path: "kata-runtime" }, gvisor: { runtimeType: "io.containerd.runsc.v1" } }, "default-runtime": "crun" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(Object.keys(JSON.parse(read(env, DJ)).runtimes).sort(), ["crun", "gvisor", "kata"]);
        put(env, DJ, "{}\n");
        r = attempt(env, { runtimes: { x: { path: "/usr/bin/not-executable" } } });
        assert.match(r.stderr, /runtimes.x: binary '\/usr\/bin\/not-executable' is not an executable/);
    });

    it("exec-opts native.cgroupdriver=systemd is refused where systemd is not the init; accepted where it is", () => {
        const env = mkEnv();
        let r = attempt(env, { "exec-opts": ["native.cgroupdriver=systemd"] });
        assert.match(r.stderr, /exec-opts native.cgroupdriver=systemd, but systemd is not this host's init \(no \/run\/systemd\/system\)/);
        fs.mkdirSync(path.join(env.root, "run/systemd/system"), { recursive: true });
        r = attempt(env, { "exec-opts": ["native.cgroupdriver=systemd"] });
        assert.strictEqual(r.code, 0, r.stderr);
        put(env, DJ, "{}\n");
        put(env, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
        r = attempt(env, { "exec-opts": ["native.cgroupdriver=cgroupfs"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /note: .*native.cgroupdriver=cgroupfs on a cgroup v2 host run by systemd/);
    });

    describe("devicemapper direct-lvm on a host whose thin pool exists (issue 11)", () => {
        const lvm = (device: string, percent: number, extra: Record<string, unknown> = {}) => ({
            "storage-driver": "devicemapper",
            "storage-opts": [`dm.directlvm_device=${device}`, `dm.thinp_percent=${percent}`, "dm.thinp_metapercent=1", "dm.thinp_autoextend_threshold=80", "dm.thinp_autoextend_percent=20"],
            ...extra,
        });
        /** A host running devicemapper with `current`; `poolAt`: the data-root whose devicemapper/ exists. */
        const host = (current: Record<string, unknown>, poolAt: string | null = "var/lib/docker") => {
            const env = mkEnv();
            put(env, DJ, daemon(current).content!);
            if (poolAt) fs.mkdirSync(path.join(env.root, poolAt, "devicemapper"), { recursive: true });
            return env;
        };
        /** Applies `want`; asserts a refusal touched nothing (file, dockerd) and returns the result. */
        const refused = (env: Env, want: Record<string, unknown>) => {
            const before = read(env, DJ);
            fs.rmSync(path.join(env.fake, "calls"), { force: true });
            const r = run(env, "apply", { public: [daemon(want)] });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.strictEqual(read(env, DJ), before, "daemon.json must be unchanged");
            assert.strictEqual(count(env, "starts"), 0, "dockerd must not restart");
            assert.doesNotMatch(calls(env), /systemctl (restart|stop|start) docker/);
            return r;
        };

        it("a changed direct-lvm value (thinp_percent, device, or dropping the options) is refused before anything is written", () => {
            const env = host(lvm("/dev/vdc", 95));
            let r = refused(env, lvm("/dev/vdc", 90));
            assert.match(r.stderr, /ERROR: \/etc\/docker\/daemon.json: changes the direct-lvm settings of this host's devicemapper thin pool \(device=\/dev\/vdc thinp_percent=95 .* -> device=\/dev\/vdc thinp_percent=90 /);
            assert.match(r.stderr, /dockerd cannot change direct-lvm settings of an existing pool \(it would refuse to start: changing direct-lvm config is not supported\)/);
            assert.match(r.stderr, /A migration takes either moving the host off devicemapper \(storage-driver overlay2, then remove the pool: vgremove docker, pvremove the device, rm -r \/var\/lib\/docker\/devicemapper\) or a new empty device/);
            r = refused(env, lvm("/dev/vdd", 95));
            assert.match(r.stderr, /device=\/dev\/vdc .* -> device=\/dev\/vdd /);
            r = refused(env, { "storage-driver": "devicemapper" });
            assert.match(r.stderr, /-> no direct-lvm\)/);
        });

        it("the same values apply: re-applied unchanged, written with dockerd's defaults omitted, or with force added", () => {
            const env = host(lvm("/dev/vdc", 95));
            let r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 95))] });
            assert.strictEqual(r.code, 0, r.stderr);
            r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 95))] });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stderr, /unchanged; nothing to do/);
            // thinp_percent=95 etc. are dockerd's defaults: the pool's stored settings are the same
            r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/vdc", "dm.directlvm_device_force=false"] })] });
            assert.strictEqual(r.code, 0, r.stderr);
        });

        it("without pool state (no <data-root>/devicemapper), or when the host is not on devicemapper, the change is dockerd's to judge", () => {
            let env = host(lvm("/dev/vdc", 95), null);
            let r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90))] });
            assert.strictEqual(r.code, 0, r.stderr);
            env = host({ "storage-driver": "overlay2" });
            r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90))] });
            assert.strictEqual(r.code, 0, r.stderr);
        });

        it("the pool is looked for in the configured data-root", () => {
            let env = host(lvm("/dev/vdc", 95, { "data-root": "/srv/docker" }), "srv/docker");
            const r = refused(env, lvm("/dev/vdc", 90, { "data-root": "/srv/docker" }));
            assert.match(r.stderr, /rm -r \/srv\/docker\/devicemapper/);
            env = host(lvm("/dev/vdc", 95, { "data-root": "/srv/docker" }), "var/lib/docker");
            assert.strictEqual(run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90, { "data-root": "/srv/docker" }))] }).code, 0);
        });

        it("a failed start into devicemapper from a config without a storage driver: the state it left is moved aside and the rollback starts dockerd", () => {
            const env = mkEnv();
            fs.mkdirSync(path.join(env.root, "var/lib/docker/overlay2"), { recursive: true });
            put(env, DJ, '{"debug": false}\n');
            const r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/vdz"], "labels": ["BAD_START"] })] });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /moved \/var\/lib\/docker\/devicemapper \(left by the failed devicemapper start\) aside to \S+failed-graph-state-\d+/);
            assert.match(r.stderr, /previous config restored, dockerd running/);
            assert.ok(!exists(env, "var/lib/docker/devicemapper"));
            assert.deepStrictEqual(JSON.parse(read(env, DJ)), { debug: false });
            // state that was there before the apply is not the apply's to move
            const env2 = host(lvm("/dev/vdc", 95), null);
            fs.mkdirSync(path.join(env2.root, "var/lib/docker/devicemapper"), { recursive: true });
            put(env2, DJ, '{"storage-driver": "overlay2"}\n');
            const r2 = run(env2, "apply", { public: [daemon({ ...lvm("/dev/vdz", 95), "labels": ["BAD_START"] })] });
            assert.strictEqual(r2.code, 1, r2.stderr);
            assert.doesNotMatch(r2.stderr, /moved .* aside/);
            assert.ok(exists(env2, "var/lib/docker/devicemapper"));
        });

        it("dropping devicemapper without naming a storage driver is refused; overlay2 named explicitly applies", () => {
            const env = host(lvm("/dev/vdc", 95));
            const r = refused(env, { "log-driver": "json-file" });
            assert.match(r.stderr, /no longer sets storage-driver devicemapper but names no other storage driver, while \/var\/lib\/docker\/devicemapper exists: .*contains several valid graphdrivers.*storageDriver overlay2 to move off devicemapper/);
            const ok = run(env, "apply", { public: [daemon({ "storage-driver": "overlay2" })] });
            assert.strictEqual(ok.code, 0, ok.stderr);
            assert.strictEqual(JSON.parse(read(env, DJ))["storage-driver"], "overlay2");
        });
    });
});
