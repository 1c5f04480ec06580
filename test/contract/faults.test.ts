// Contract: the apply script's rollback under real faults on a real host (issue 12, part 5): a slow
// stop waited out, a stop that never ends (SIGKILL), containerd down during the restart, a
// read-only /etc/docker, a smoke image that must be present and is not, and the apply killed
// during its own rollback (the guard's recover). Every test ends with the previous files in
// place, docker.service active and the swarm node Ready; every drop-in a test adds is removed.
// The unit versions (fake systemctl/docker) are in components/docker-host/apply-script-faults.test.ts.
import * as assert from "assert";
import { DaemonConfig } from "../../components/docker-host/daemon-config";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { eventually, fileSha, health, hostFiles, push, restore, sandbox, settledSwarm, sh, sleep, ssh, sshAsync } from "./lib";

const HOST = "host2";
const DJ = "/etc/docker/daemon.json";
const DROPIN_DIR = "/etc/systemd/system/docker.service.d";
const STATE = "/var/lib/dockfleet/daemon-config";
const T = 20; // restart timeout of these tests (seconds)

/** A test-only docker.service drop-in (never one dockfleet manages), active after daemon-reload. */
function addDropIn(name: string, text: string): void {
    sh(HOST, `mkdir -p ${DROPIN_DIR} && printf '%s' '${text.replace(/'/g, "'\\''")}' > ${DROPIN_DIR}/${name} && systemctl daemon-reload`);
}
function removeDropIns(): void {
    sh(HOST, `rm -f ${DROPIN_DIR}/99-test-*.conf && systemctl daemon-reload`);
}

/** Brings dockerd back whatever a failed test left behind (a stop hanging on a test drop-in). */
function heal(): void {
    removeDropIns();
    ssh(HOST, "systemctl is-active -q docker.service || { systemctl kill --signal=SIGKILL docker.service; sleep 2; systemctl reset-failed docker.service docker.socket; systemctl start containerd.service docker.service; }");
}

const pid = () => sh(HOST, "systemctl show -p MainPID --value docker.service");

/** PIDs of processes holding the apply script's lock (the script and its children), from /proc. */
const LOCK_HOLDERS = `for p in /proc/[0-9]*; do ls -l "$p/fd" 2>/dev/null | grep -q '${STATE}/lock' && echo "\${p#/proc/}"; done`;

describe(`contract: rollback under faults on a real host (${HOST})`, function () {
    this.timeout(900000);
    const good: DaemonConfig = { logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3" }, labels: { "dockfleet.test": "faults-good" } };
    let goodSha = "";

    before(() => {
        settledSwarm();
        sandbox();
        heal();
        const r = push(HOST, good, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DJ);
    });

    afterEach(() => {
        heal();
        // every fault ends on the previous config with dockerd active and the node Ready
        assert.strictEqual(fileSha(HOST, DJ), goodSha, "daemon.json must be the previous (known-good) one");
        assert.strictEqual(ssh(HOST, `test -e ${STATE}/in-progress`).code, 1, "no apply left in progress");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        assert.strictEqual(sh(HOST, `ls ${DROPIN_DIR} 2>/dev/null | grep -c '^99-test-' || true`), "0");
    });

    after(() => {
        heal();
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(health(HOST).active, "active");
    });

    it("a slow stop (8 s) during the rollback is waited out: no SIGKILL, previous config restored", () => {
        addDropIn("99-test-slow-stop.conf", "[Service]\nExecStop=/bin/sleep 8\nTimeoutStopSec=120\n");
        // data-root moved on a swarm node: dockerd starts, the node never gets Ready, so it rolls back
        const r = push(HOST, { ...good, dataRoot: "/var/lib/docker/alt-root" }, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host host2 at step 'wait for the swarm node to be Ready/);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.doesNotMatch(r.stderr, /SIGKILL/);
    });

    it("a stop that does not end (ExecStop sleeps 300 s): SIGKILL after the restart timeout, then the known-good start", () => {
        addDropIn("99-test-slow-stop.conf", "[Service]\nExecStop=/bin/sleep 300\nTimeoutStopSec=600\n");
        // the forward restart cannot stop dockerd within the timeout either: it fails and rolls back
        const r = push(HOST, { ...good, labels: { "dockfleet.test": "faults-new" } }, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /docker\.service still deactivating after 20s; sending SIGKILL/);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.doesNotMatch(r.stderr, /CRITICAL/);
    });

    it("containerd stopped with dockerd during a failed restart: the rollback starts containerd.service first", () => {
        // dockerd's stop takes containerd down with it; the new storage driver makes dockerd refuse to start
        addDropIn("99-test-containerd-down.conf", "[Service]\nExecStopPost=-/bin/systemctl stop --no-block containerd.service\n");
        const r = push(HOST, { ...good, storageDriver: "zfs" }, { restartTimeoutSeconds: T });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.strictEqual(sh(HOST, "systemctl is-active containerd.service"), "active");
    });

    it("/etc/docker read-only: the write fails before anything changed, naming the path; dockerd untouched", () => {
        const before = pid();
        // a read-only bind mount where the container may mount, else the immutable attribute
        sh(HOST, "{ mount --bind /etc/docker /etc/docker && mount -o remount,bind,ro /etc/docker; } 2>/dev/null || chattr +i /etc/docker");
        try {
            const r = push(HOST, { ...good, labels: { "dockfleet.test": "faults-ro" } }, { restartTimeoutSeconds: T });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /ERROR: cannot write \/etc\/docker\/daemon\.json: (Read-only file system|Operation not permitted); nothing changed, dockerd untouched/);
            assert.strictEqual(pid(), before, "dockerd must not restart");
        } finally {
            ssh(HOST, "umount /etc/docker 2>/dev/null; chattr -i /etc/docker 2>/dev/null; true");
        }
        assert.strictEqual(sh(HOST, "ls -a /etc/docker | grep -c dockfleet-tmp || true"), "0");
    });

    it("a smoke image that must be present (smokePull never) and is not: refused before the restart, naming the image", () => {
        const before = pid();
        const image = "10.232.0.11:5000/dockfleet/not-here:0";
        const r = push(HOST, { ...good, labels: { "dockfleet.test": "faults-smoke" } }, { restartTimeoutSeconds: T, smokeImage: image, smokePull: "never" });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`smoke image ${image.replace(/[.:/]/g, "\\$&")} is not on this host and the smoke pull policy is never`));
        assert.strictEqual(pid(), before, "dockerd must not restart");
    });

    it("the apply killed during its rollback: the guard's timer runs recover, known-good files back, dockerd active", async () => {
        addDropIn("99-test-slow-stop.conf", "[Service]\nExecStop=/bin/sleep 300\nTimeoutStopSec=600\n");
        const logLines = Number(sh(HOST, `wc -l < ${STATE}/apply.log 2>/dev/null || echo 0`));
        // the product's apply command in a child ssh, so this process can watch the host and kill it
        const [pub] = hostFiles({ ...good, labels: { "dockfleet.test": "faults-kill" } });
        const apply = sshAsync(HOST, renderApplyCommand("apply", { host: HOST, restartTimeoutSeconds: T, smokeImage: sandbox().images.busybox }, renderBundle(pub)));
        let res;
        try {
            await eventually(() => ssh(HOST, `tail -n +${logLines + 1} ${STATE}/apply.log | grep -q 'rolling back'`).code === 0, 180000, "the rollback to start");
            await sleep(1000); // inside the rollback: waiting for the stuck stop
            sh(HOST, `kill -KILL $(${LOCK_HOLDERS}) 2>/dev/null; true`);
        } finally {
            // also when the rollback never started: the child ssh must not outlive the test
            apply.kill();
            res = await apply.done;
        }
        assert.doesNotMatch(res.stderr, /FAILED|CRITICAL/);
        assert.strictEqual(ssh(HOST, `test -e ${STATE}/in-progress`).code, 0, "the kill leaves the apply in progress");
        assert.match(sh(HOST, "systemctl list-timers --all --no-legend 'dockfleet-rollback-guard-*' | wc -l"), /^[1-9]/, "the guard timer is still armed");
        // the guard fires RESTART_TIMEOUT*3+30 s after it was armed; its recover waits out the stop, SIGKILLs, restarts
        await eventually(() => ssh(HOST, `test -e ${STATE}/in-progress`).code === 1, 300000, "the guard's recover to finish");
        assert.match(sh(HOST, `tail -n +${logLines + 1} ${STATE}/apply.log`), /recovered: last known-good files restored, dockerd running/);
    });
});
