// Contract: settings dockerd accepts but this host cannot run (issue 12, "checks that need the
// host"), pushed to a real sandbox node. Each is refused by the apply script before anything is
// written: same daemon.json, same dockerd process, node Ready. Then the same keys with what the host
// needs in place are applied for real.
import * as assert from "assert";
import { DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH } from "../../components/docker-host/dropins";
import { ManagedFile } from "../../components/docker-host/bundle";
import { dockerInfo, fileSha, health, push, pushFiles, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOST = "host2";
const GOOD = { logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.contract": "host-checks" } };
const USER = "dfremap"; // a system user: useradd -r gives it no /etc/subuid range

const json = (o: object) => JSON.stringify(o, null, 2) + "\n";
const pid = () => sh(HOST, "systemctl show -p MainPID --value docker.service");
/** The raw daemon.json (GOOD's keys plus `extra`), the other managed files absent. */
const files = (extra: object): ManagedFile[] => [
    { path: DAEMON_JSON_PATH, mode: "0644", content: json({ "log-driver": "json-file", "log-opts": { "max-size": "10m" }, labels: ["dockfleet.contract=host-checks"], ...extra }) },
    { path: HOSTS_DROPIN_PATH, mode: "0644" },
    { path: PROXY_DROPIN_PATH, mode: "0644" },
];

// [name, extra daemon.json keys, the script's error]
const REFUSED: [string, object, RegExp][] = [
    ["userns-remap user that does not exist", { "userns-remap": "dfnosuchuser" }, /userns-remap user 'dfnosuchuser' does not exist on this host/],
    ["userns-remap group that does not exist", { "userns-remap": `${USER}:dfnosuchgroup` }, /userns-remap group 'dfnosuchgroup' does not exist/],
    ["userns-remap user without a subordinate uid range", { "userns-remap": USER }, new RegExp(`userns-remap user '${USER}' has no range in /etc/subuid`)],
    ["runtime binary that is not installed", { runtimes: { crun: { path: "/usr/local/bin/crun" } } }, /runtimes.crun: binary '\/usr\/local\/bin\/crun' is not an executable on this host/],
    ["runtime name not on PATH", { runtimes: { kata: { path: "kata-runtime" } } }, /runtimes.kata: binary 'kata-runtime' is not an executable on this host's PATH/],
    ["containerd shim that is not installed", { runtimes: { gvisor: { runtimeType: "io.containerd.runsc.v1" } } }, /needs the shim 'containerd-shim-runsc-v1'/],
];

describe(`contract: host checks on a real node (${HOST}): refused before writing, dockerd untouched`, function () {
    this.timeout(900000);
    let goodSha = "";

    before(() => {
        settledSwarm();
        sandbox();
        sh(HOST, `id ${USER} >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin ${USER}; sed -i '/^${USER}:/d' /etc/subuid /etc/subgid`);
        const r = push(HOST, GOOD);
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DAEMON_JSON_PATH);
    });
    after(() => {
        const r = restore(HOST);
        sh(HOST, `sed -i '/^${USER}:/d' /etc/subuid /etc/subgid; rm -f /usr/local/bin/crun; userdel ${USER} 2>/dev/null || true`);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    for (const [name, extra, expected] of REFUSED) {
        it(`${name}: refused, nothing written, same dockerd`, () => {
            const before = pid();
            const r = pushFiles(HOST, files(extra));
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, new RegExp(`dockfleet\\[${HOST}\\]: ERROR: /etc/docker/daemon.json: `));
            assert.match(r.stderr, expected);
            assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha, "daemon.json must be untouched");
            assert.strictEqual(pid(), before, "dockerd must not restart");
            assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        });
    }

    it("userns-remap with user and ranges in place, on this swarm node: refused (dockerd would leave the swarm), same dockerd", () => {
        // Without this check the restart goes through and the node comes back outside the swarm
        // (state in /var/lib/docker/UID.GID): seen on the sandbox, where the rollback then caught it.
        sh(HOST, `echo ${USER}:300000:65536 >> /etc/subuid; echo ${USER}:300000:65536 >> /etc/subgid`);
        const before = pid();
        const r = pushFiles(HOST, files({ "userns-remap": USER }));
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /enabling userns-remap on a swarm node: .* this node would leave the swarm/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha);
        assert.strictEqual(pid(), before, "dockerd must not restart");
    });

    it("native.cgroupdriver=systemd on this systemd host: accepted, dockerd runs with the systemd driver", () => {
        const r = pushFiles(HOST, files({ "exec-opts": ["native.cgroupdriver=systemd"] }), [], { restartTimeoutSeconds: 60 });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(dockerInfo(HOST).CgroupDriver, "systemd");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("a runtime binary that is installed: accepted, dockerd lists the runtime", () => {
        // crun is not packaged on the sandbox: a wrapper around runc is a real OCI runtime binary
        sh(HOST, "printf '#!/bin/sh\\nexec runc \"$@\"\\n' > /usr/local/bin/crun && chmod 0755 /usr/local/bin/crun");
        const r = pushFiles(HOST, files({ runtimes: { crun: { path: "/usr/local/bin/crun" } } }), [], { restartTimeoutSeconds: 60 });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok("crun" in dockerInfo(HOST).Runtimes, JSON.stringify(dockerInfo(HOST).Runtimes));
        const run = ssh(HOST, `docker run --rm --runtime crun ${sandbox().images.busybox} true`);
        assert.strictEqual(run.code, 0, run.stderr);
    });
});
