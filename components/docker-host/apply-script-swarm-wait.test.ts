// The apply script's wait for swarm tasks and services after a restart (fake dockerd/systemctl;
// harness in test/support/apply-host.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Env, mkEnv, DJ, daemon, run, read, exists, count } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

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
});
