// The apply script's rollback and recover (fake dockerd/systemctl; harness in
// test/support/apply-host.ts): a config dockerd or the smoke container refuses, an interrupted
// apply, the guard timer. Injected faults are in apply-script-faults.test.ts.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { mkEnv, DJ, daemon, run, read, exists, count, calls } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

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
});
