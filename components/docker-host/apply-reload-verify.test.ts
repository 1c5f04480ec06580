// A reload verified (issue 32, point 4): `systemctl reload` succeeds whatever dockerd does with the
// SIGHUP, so the apply waits for dockerd's daemon `reload` event. A refused reload (the fakes'
// BAD_RELOAD marker: no event, an error in the log) fails the apply, puts the known-good files back
// and does not restart dockerd, which never left its old config. On a real host:
// test/contract/reload-refused.test.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DJ, calls, count, daemon, exists, mkEnv, read, run } from "../../test/support/apply-host";



describe("apply script: a reload is verified by dockerd's reload event", function () {
    this.timeout(60000);

    it("a reload dockerd took: applied, one reload, the event asked for since the SIGHUP", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        const r = run(env, "apply", { public: [daemon({ labels: ["a=2"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        assert.strictEqual(count(env, "reloads"), 1);
        // streamed from the SIGHUP on (no --until: read as dockerd emits it)
        assert.match(calls(env), /^docker events --since \d+\.\d+ --filter type=daemon --filter event=reload --format \{\{\.Action\}\}$/m);
    });

    it("the event is read from an open stream the moment it comes (a real `docker events` never ends), and the stream is stopped after it", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        fs.writeFileSync(path.join(env.fake, "events-stay-open"), "");
        const t = Date.now();
        const r = run(env, "apply", { public: [daemon({ labels: ["a=2"] })], args: ["--reload-digest", "d1", "--restart-timeout", "30"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        // the stream would hold it 40 s, the wait up to 20, a 10 s bounded poll (the old way) 10: it ended on the event
        assert.ok(Date.now() - t < 6000, `the apply waited for the stream to end (${Date.now() - t} ms)`);
        const left = spawnSync("pgrep", ["-f", "^sleep 40$"], { encoding: "utf8" }).stdout.trim();
        assert.strictEqual(left, "", "the events stream was stopped");
    });

    it("a reload dockerd refused: FAILED with dockerd's error, known-good files back, no restart", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        const good = read(env, DJ);
        const r = run(env, "apply", { public: [daemon({ labels: ["a=1", "BAD_RELOAD"] })], args: ["--reload-digest", "d1", "--restart-timeout", "3"] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host testhost at step 'reload dockerd': .*Error reconfiguring the daemon: conflict labels for a=2 and a=1.*dockerd did not take the new config \(no reload event\).*previous files restored, dockerd still running on its previous config \(not restarted\)/);
        assert.strictEqual(read(env, DJ), good);
        assert.strictEqual(count(env, "starts"), 1, "dockerd was not restarted");
        assert.strictEqual(count(env, "reloads"), 1);
        assert.ok(!exists(env, "/var/lib/dockfleet/daemon-config/in-progress"), "no apply left in progress");
        // the next apply of the same good config changes nothing
        const again = run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(again.code, 0, again.stderr);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(count(env, "reloads"), 1);
    });

    it("the fake's refusal is real to the script: the running config stayed the old one", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        run(env, "apply", { public: [daemon({ labels: ["a=1", "BAD_RELOAD"] })], args: ["--reload-digest", "d1", "--restart-timeout", "3"] });
        assert.doesNotMatch(fs.readFileSync(path.join(env.fake, "running.json"), "utf8"), /BAD_RELOAD/);
    });

    it("a reload stops no container: no swarm task count before it or wait after it; the smoke container only when a reloaded key changes how containers start", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.fake, "swarm"), ""); // a manager with a task here
        fs.mkdirSync(path.join(env.fake, "tasks"), { recursive: true });
        fs.writeFileSync(path.join(env.fake, "tasks", "0.node"), "t1 web.1 Running\n");
        fs.writeFileSync(path.join(env.fake, "tasks", "0.ps"), "c1 web.1.t1 healthy\n");
        const smoke = ["--smoke-image", "local/busybox:1"];
        const apply = (d: Record<string, unknown>) => run(env, "apply", { public: [daemon(d)], args: ["--reload-digest", "d1", ...smoke] });
        assert.strictEqual(apply({ labels: ["a=1"], "default-shm-size": "64M" }).code, 0);
        const callsBefore = calls(env).length;
        const log0 = read(env, "/var/lib/dockfleet/daemon-config/apply.log").length;
        // labels only: nothing that changes how a container starts
        const r = apply({ labels: ["a=2"], "default-shm-size": "64M" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        const since = calls(env).slice(callsBefore);
        assert.doesNotMatch(since, /^docker run /m, "no smoke container after a labels-only reload");
        assert.doesNotMatch(since, /^docker (ps|node ps) /m, "no task counted or waited for");
        assert.match(read(env, "/var/lib/dockfleet/daemon-config/apply.log").slice(log0), /no smoke container: no reloaded key changes how containers start/);
        // default-shm-size changes how new containers start: the smoke container runs
        const mark = calls(env).length;
        const s = apply({ labels: ["a=2"], "default-shm-size": "128M" });
        assert.strictEqual(s.code, 0, s.stderr);
        assert.match(s.stderr, /applied \(reload\)/);
        assert.match(calls(env).slice(mark), /^docker run --rm --network none local\/busybox:1 true$/m);
        assert.strictEqual(count(env, "starts"), 1, "reloads only");
    });

    it("no reload event and an API that no longer answers: not a refusal, the full rollback restarts dockerd on the known-good files", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        const good = read(env, DJ);
        const r = run(env, "apply", { public: [daemon({ labels: ["a=1", "HANG_ON_RELOAD"] })], args: ["--reload-digest", "d1", "--restart-timeout", "3"] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host testhost at step '[^']+': .*previous config restored, dockerd running/);
        assert.doesNotMatch(r.stderr, /not restarted/);
        assert.strictEqual(read(env, DJ), good);
        assert.strictEqual(count(env, "starts"), 2, "the rollback restarted dockerd");
    });
});
