// The guard that survives a reboot (scripts/apply/boot-guard.sh), with the fakes of
// test/support/apply-host.ts: the unit the apply installs, and `boot-recover` as that unit runs it at
// boot, before dockerd. The power cuts on a real host: test/extended/power-cut.test.ts.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { calls, daemon, exists, mkEnv, read, run } from "../../test/support/apply-host";

const UNIT = "/etc/systemd/system/dockfleet-boot-guard.service";
const STATE = "/var/lib/dockfleet/daemon-config";
const DJ = "/etc/docker/daemon.json";

const EXPECTED_UNIT = `# Written by dockfleet's apply (apply-docker-config.sh): restores the last known-good Docker files
# when the host boots with an apply a reboot cut off. Does nothing otherwise.
[Unit]
Description=dockfleet: restore the known-good Docker files after an apply a reboot cut off
DefaultDependencies=no
Requires=local-fs.target
After=local-fs.target
Before=containerd.service docker.socket docker.service sysinit.target shutdown.target
Conflicts=shutdown.target
ConditionPathExists=/var/lib/dockfleet/daemon-config/in-progress

[Service]
Type=oneshot
ExecStart=/bin/bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh boot-recover --host testhost

[Install]
WantedBy=sysinit.target
`;

describe("apply script: the boot guard (an apply a reboot cuts off)", function () {
    this.timeout(60000);

    it("an apply that writes files installs and enables the unit, ordered before containerd and dockerd", () => {
        const env = mkEnv();
        const r = run(env, "apply", { public: [daemon({ labels: ["a=1"] })] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(read(env, UNIT), EXPECTED_UNIT);
        assert.match(calls(env), /^systemctl enable --quiet dockfleet-boot-guard.service$/m);
        // the unit is in place before the files are written: its line comes before the restart
        const c = calls(env);
        assert.ok(c.indexOf("enable --quiet dockfleet-boot-guard") < c.indexOf("start docker.service"), c);
    });

    it("boot-recover with an apply in progress: the known-good files back, systemd reloaded, dockerd neither started nor stopped", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["good=1"] })] }).code, 0);
        const good = read(env, DJ);
        // what a power cut during the restart leaves: the new (broken) file, the in-progress record
        fs.writeFileSync(path.join(env.root, DJ), '{"foo": 1}\n');
        fs.writeFileSync(path.join(env.root, STATE, "in-progress"), "active\n");
        fs.rmSync(path.join(env.fake, "up"));
        fs.rmSync(path.join(env.fake, "calls"));
        const r = run(env, "boot-recover");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(read(env, DJ), good);
        assert.ok(!exists(env, `${STATE}/in-progress`));
        assert.match(r.stderr, /boot: an apply was cut off by a reboot or power loss/);
        assert.match(r.stderr, /boot: recovered: last known-good files restored/);
        assert.match(calls(env), /^systemctl daemon-reload$/m);
        assert.doesNotMatch(calls(env), /(start|stop|restart) docker/);
        assert.match(read(env, `${STATE}/apply.log`), /boot: recovered/);
    });

    it("boot-recover without one does nothing", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["good=1"] })] }).code, 0);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n'); // a hand edit: not the guard's business
        fs.rmSync(path.join(env.fake, "calls"));
        const r = run(env, "boot-recover");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stderr, "");
        assert.strictEqual(read(env, DJ), '{"debug": true}\n');
        assert.strictEqual(calls(env), "");
    });

    it("restore and forget take the unit away", () => {
        for (const action of ["restore", "forget"]) {
            const env = mkEnv();
            assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["a=1"] })] }).code, 0);
            assert.ok(exists(env, UNIT));
            const r = run(env, action);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.ok(!exists(env, UNIT), `${action} leaves ${UNIT}`);
            assert.match(calls(env), /^systemctl disable --quiet dockfleet-boot-guard.service$/m);
        }
    });
});
