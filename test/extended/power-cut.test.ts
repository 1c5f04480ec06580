// Named group `extended` (npm run test:extended; not in `npm test`: each case
// boots a host again, ~1 min). A power cut in the middle of an apply (issue 30, point 1): every
// process of the nspawn host SIGKILLed at once (sandbox.sh powercut), then the host booted with its
// files as they were (sandbox.sh boot, which never wipes it). The transient guard timer dies with
// the host; the boot guard (dockfleet-boot-guard.service, scripts/apply/boot-guard.sh) must put the
// known-good files back before dockerd first reads them. Not a real power loss: the kernel's page
// cache survives a container's death, so unsynced writes are not lost here.
import * as assert from "assert";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { DaemonConfig } from "../../components/docker-host/daemon-config";
import { dj, json } from "../contract/bad-configs-lib";
import { eventually, fileSha, health, push, restore, sandbox, sandboxCmd, settledSwarm, sh, ssh, sshAsync } from "../contract/lib";
import { HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH } from "../../components/docker-host/dropins";

const HOST = "host3";
const DJ = "/etc/docker/daemon.json";
const STATE = "/var/lib/dockfleet/daemon-config";
const SLOW_STOP = "/etc/systemd/system/docker.service.d/99-test-slow-stop.conf";
const T = 20;


/** The apply of `files` started in a child ssh; cut the power once `moment` shows in apply.log, boot again. */
async function cutDuring(moment: RegExp): Promise<void> {
    sh(HOST, `mkdir -p /etc/systemd/system/docker.service.d && printf '[Service]\\nExecStop=/bin/sleep 300\\nTimeoutStopSec=600\\n' > ${SLOW_STOP} && systemctl daemon-reload`);
    const logLines = Number(sh(HOST, `wc -l < ${STATE}/apply.log 2>/dev/null || echo 0`));
    const files = [dj(json({ foo: 1 })), { path: HOSTS_DROPIN_PATH, mode: "0644" }, { path: PROXY_DROPIN_PATH, mode: "0644" }];
    const apply = sshAsync(HOST, renderApplyCommand("apply", { host: HOST, restartTimeoutSeconds: T, smokeImage: sandbox().images.busybox }, renderBundle(files)));
    try {
        await eventually(() => moment.test(ssh(HOST, `tail -n +${logLines + 1} ${STATE}/apply.log`).stdout), 180000, `${moment} in apply.log`);
        sandboxCmd(["powercut", HOST]);
    } finally {
        apply.kill();
        await apply.done;
    }
    sandboxCmd(["boot", HOST]);
    sh(HOST, `rm -f ${SLOW_STOP} && systemctl daemon-reload`);
}

describe(`extended: a power cut during an apply on a real host (${HOST}) boots on the known-good files (named group, not in npm test)`, function () {
    this.timeout(900000);
    const good: DaemonConfig = { logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.test": "power-good" } };
    let goodSha = "";

    before(() => {
        settledSwarm();
        sandbox();
        const r = push(HOST, good, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DJ);
        assert.strictEqual(ssh(HOST, "systemctl is-enabled dockfleet-boot-guard.service").stdout.trim(), "enabled");
    });

    after(() => {
        ssh(HOST, `rm -f ${SLOW_STOP}; systemctl daemon-reload; systemctl is-active -q docker || systemctl start docker`);
        settledSwarm();
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(ssh(HOST, "test -e /etc/systemd/system/dockfleet-boot-guard.service").code, 1, "restore takes the boot guard away");
    });

    async function bootedOnKnownGood(): Promise<void> {
        assert.strictEqual(fileSha(HOST, DJ), goodSha, "daemon.json must be the known-good one after the boot");
        assert.strictEqual(ssh(HOST, `test -e ${STATE}/in-progress`).code, 1, "no apply left in progress");
        assert.match(sh(HOST, "journalctl -b -u dockfleet-boot-guard.service -o cat --no-pager"), /boot: recovered: last known-good files restored/);
        await eventually(() => ssh(HOST, "systemctl is-active docker.service").stdout.trim() === "active", 120000, "docker.service active after the boot");
        await eventually(() => {
            const h = health(HOST);
            return h.swarm === "active" && h.ready === "ready";
        }, 180000, `${HOST} Ready in the swarm again`);
        // the next `pulumi up` converges: the product's apply of a new config succeeds
        const r = push(HOST, { ...good, labels: { "dockfleet.test": "power-next" } }, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(sh(HOST, "docker info --format '{{json .Labels}}'"), /power-next/);
        const back = push(HOST, good, { restartTimeoutSeconds: T });
        assert.strictEqual(back.code, 0, back.stderr);
    }

    it("cut during the restart, with the new (broken) daemon.json written: the boot restores the known-good one before dockerd starts", async () => {
        await cutDuring(/restarting dockerd/);
        await bootedOnKnownGood();
    });

    it("cut during the rollback: the boot finishes it (known-good files, no apply left in progress)", async () => {
        await cutDuring(/rolling back/);
        await bootedOnKnownGood();
    });
});
