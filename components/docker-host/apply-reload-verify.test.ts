// A reload verified (issue 32, point 4): `systemctl reload` succeeds whatever dockerd does with the
// SIGHUP, so the apply waits for dockerd's daemon `reload` event. A refused reload (the fakes'
// BAD_RELOAD marker: no event, an error in the log) fails the apply, puts the known-good files back
// and does not restart dockerd, which never left its old config. On a real host:
// test/contract/reload-refused.test.ts.
import * as assert from "assert";
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
        assert.match(calls(env), /^docker events --since \d+\.\d+ --until \d+\.\d+ --filter type=daemon --filter event=reload --format \{\{\.Action\}\}$/m);
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
