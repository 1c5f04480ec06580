// Named group `extended` (npm run test:extended; not in `npm test`: the host boots again, ~1 min).
// A power cut in the middle of a ContainerUnit's install (issue 30, point 1, "the same for a
// ContainerUnit's install"): the new unit written, its start still running (an ExecStartPre that
// sleeps), then every process of the host SIGKILLed (sandbox.sh powercut) and the host booted
// (sandbox.sh boot). dockfleet-unit-guard.service must put the previous unit back before
// docker.service, so the host boots running the previous container. Also on the real host: an
// install whose container does not stay up is rolled back to the previous unit, still running.
import * as assert from "assert";
import { renderUnitCommand } from "../../components/container-unit/container-unit";
import { renderContainerUnit } from "../../components/container-unit/unit";
import { eventually, sandbox, sandboxCmd, settledSwarm, sh, ssh, sshAsync } from "../contract/lib";

const HOST = "host3";
const NAME = "dockfleet-cut";
const UNIT = `/etc/systemd/system/${NAME}.service`;


describe(`extended: a ContainerUnit install cut by a power loss, and one that does not start, on a real host (${HOST}) (named group, not in npm test)`, function () {
    this.timeout(900000);
    const v1 = () => renderContainerUnit({ name: NAME, image: sandbox().images.busybox, command: ["sh", "-c", "echo v1; while true; do sleep 5; done"] });

    before(() => {
        settledSwarm();
        const r = ssh(HOST, renderUnitCommand("install", NAME, v1(), { owner: "ext", op: "create" }));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(sh(HOST, `systemctl is-active ${NAME}.service`), "active");
        assert.strictEqual(sh(HOST, "systemctl is-enabled dockfleet-unit-guard.service"), "enabled");
    });
    after(() => {
        const r = ssh(HOST, renderUnitCommand("remove", NAME, undefined, { owner: "ext" }));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(ssh(HOST, `test -e ${UNIT}`).code, 1);
    });

    it("a unit whose container exits at once: FAILED naming it, the previous unit back and running", () => {
        const bad = renderContainerUnit({ name: NAME, image: "local/no-such-image:1" });
        const r = ssh(HOST, renderUnitCommand("install", NAME, bad, { owner: "ext", op: "update" }));
        console.log(`      failed install: exit ${r.code} — ${r.stderr.trim().split("\n").slice(-1)[0]}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED: dockfleet-cut\.service did not stay running .*; the previous unit is back and restarted/);
        assert.strictEqual(sh(HOST, `cat ${UNIT}`) + "\n", v1());
        assert.strictEqual(sh(HOST, `systemctl is-active ${NAME}.service`), "active");
    });

    it("power cut while the new unit starts: the host boots with the previous unit back, running, and no install in progress", async () => {
        // v2's start blocks in ExecStartPre long enough to cut the power during the install
        const v2 = v1().replace(/^ExecStart=/m, "ExecStartPre=/bin/sleep 120\nExecStart=").replace("echo v1", "echo v2");
        const install = sshAsync(HOST, renderUnitCommand("install", NAME, v2, { owner: "ext", op: "update" }));
        try {
            await eventually(() => ssh(HOST, `grep -q 'sleep 120' ${UNIT} && systemctl is-active ${NAME}.service`).stdout.trim() === "activating", 60000, "v2 starting");
            sandboxCmd(["powercut", HOST]);
        } finally {
            install.kill();
            await install.done;
        }
        sandboxCmd(["boot", HOST]);
        await eventually(() => ssh(HOST, "systemctl is-active docker.service").stdout.trim() === "active", 120000, "docker.service active after the boot");
        assert.strictEqual(sh(HOST, `cat ${UNIT}`) + "\n", v1(), "the previous unit is back");
        assert.strictEqual(ssh(HOST, `test -e /var/lib/dockfleet/units/${NAME}/in-progress`).code, 1, "no install left in progress");
        assert.match(sh(HOST, "journalctl -b -u dockfleet-unit-guard.service -o cat --no-pager"), /dockfleet-cut\.service: an install a reboot cut off; the previous unit is back/);
        await eventually(() => ssh(HOST, `systemctl is-active ${NAME}.service`).stdout.trim() === "active", 120000, "the previous unit running after the boot");
        await eventually(() => /v1/.test(ssh(HOST, `journalctl -b -u ${NAME}.service -o cat --no-pager`).stdout), 60000, "v1's output");
        settledSwarm();
    });
});
