// Named group `extended` (npm run test:extended). A full disk (issue 30, point 2)
// on a real host, made with a small tmpfs inside the nspawn host: /etc/docker full during the
// write, and a data root on a full file system during the restart. Each ends with nothing
// half-written, the previous config active, dockerd running, and a message naming what is full.
import * as assert from "assert";
import { DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH } from "../../components/docker-host/dropins";
import { dj, json } from "../contract/bad-configs-lib";
import { fileSha, health, push, pushFiles, restore, sandbox, settledSwarm, sh, ssh } from "../contract/lib";

const HOST = "host3";
const FULL = "/mnt/dockfleet-full";
const others = [{ path: HOSTS_DROPIN_PATH, mode: "0644" }, { path: PROXY_DROPIN_PATH, mode: "0644" }];

describe(`extended: a full disk during an apply on a real host (${HOST}) (named group, not in npm test)`, function () {
    this.timeout(900000);
    const good = { logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.test": "disk-good" } };
    let goodSha = "";

    before(() => {
        settledSwarm();
        sandbox();
        const r = push(HOST, good);
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DAEMON_JSON_PATH);
    });
    afterEach(() => {
        // the test's mounts go whatever happened (the files under /etc/docker were never touched)
        ssh(HOST, `umount /etc/docker 2>/dev/null; umount ${FULL} 2>/dev/null; rmdir ${FULL} 2>/dev/null; true`);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha, "the previous daemon.json");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });
    after(() => {
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("/etc/docker full during the write: refused before any file changed, naming the full file system; no temp file left; dockerd untouched", () => {
        const pid = sh(HOST, "systemctl show -p MainPID --value docker.service");
        // a 256 KiB tmpfs over /etc/docker holding the same files, then filled
        sh(HOST, "d=$(mktemp -d) && cp -a /etc/docker/. $d/ && mount -t tmpfs -o size=256k tmpfs /etc/docker && cp -a $d/. /etc/docker/ && rm -rf $d && (dd if=/dev/zero of=/etc/docker/.fill bs=4k 2>/dev/null || true)");
        const r = pushFiles(HOST, [dj(json({ ...{ "log-driver": "json-file" }, labels: ["dockfleet.test=disk-new"] })), ...others]);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /cannot write \/etc\/docker\/daemon.json: No space left on device \(the file system at \/etc\/docker is full: 0 KiB free\); nothing changed, dockerd untouched/);
        assert.strictEqual(sh(HOST, "ls -a /etc/docker | grep -c dockfleet-tmp || true"), "0");
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha);
        assert.strictEqual(sh(HOST, "systemctl show -p MainPID --value docker.service"), pid, "dockerd was not restarted");
    });

    it("a data root on a full file system during the restart: dockerd's own error, rolled back, dockerd running on the previous data root", () => {
        sh(HOST, `mkdir -p ${FULL} && mount -t tmpfs -o size=64k,nr_inodes=32 tmpfs ${FULL} && (dd if=/dev/zero of=${FULL}/.fill bs=4k 2>/dev/null || true) && (for i in $(seq 40); do mkdir ${FULL}/d$i 2>/dev/null || break; done)`);
        const r = pushFiles(HOST, [dj(json({ "data-root": FULL, labels: ["dockfleet.test=disk-new"] })), ...others], [], { restartTimeoutSeconds: 30 });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host host3 at step 'restart dockerd': .*no space left on device.*previous config restored, dockerd running/i);
        assert.strictEqual(sh(HOST, "docker info --format '{{.DockerRootDir}}'"), "/var/lib/docker");
    });
});
