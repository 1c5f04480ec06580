// VM tier (issue 11): devicemapper direct-lvm on a real Debian kernel (qemu VM dm1, see
// test/vm/README.md), through the product's real apply path (push() = the rendered apply command
// over ssh). The nspawn sandbox's shared kernel has no device-mapper, so this is the only place
// where the seed's direct-lvm config is seen working.
//
// dm1's disks: vda root, vdb a small disk with an ext4 filesystem, vdc an empty 20 GiB disk.
// The cases run in order; before() resets dm1 to a known state (no daemon.json, overlay2, vdc
// wiped, no dockfleet state), and every case first asserts the state it starts from.
import * as assert from "assert";
import { DaemonConfig, DirectLvmOptions } from "../../components/docker-host/daemon-config";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { dockerInfo, fileSha, push, sandbox, sh, ssh } from "../contract/lib";

const HOST = process.env.DOCKFLEET_VM_DM_HOST ?? "dm1";
// TCG: dockerd's first start into a new thin pool takes ~30 s; the rollback another restart.
const RT = 300;

// The seed's direct-lvm settings.
const SEED_LVM: DirectLvmOptions = { device: "/dev/vdc", thinpPercent: 95, thinpMetaPercent: 1, thinpAutoextendThreshold: 80, thinpAutoextendPercent: 20 };
const lvm = (o: Partial<DirectLvmOptions> = {}): DaemonConfig => ({ storageDriver: "devicemapper", directLvm: { ...SEED_LVM, ...o } });
const OVERLAY2: DaemonConfig = { storageDriver: "overlay2" };

const RESET = `set -e
docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
systemctl stop docker.service docker.socket
rm -f /etc/docker/daemon.json
rm -rf /etc/systemd/system/docker.service.d /var/lib/dockfleet
systemctl daemon-reload
if vgs docker >/dev/null 2>&1; then vgremove -f docker >/dev/null; fi
pvremove -y /dev/vdc >/dev/null 2>&1 || true
wipefs -a /dev/vdc >/dev/null
rm -rf /var/lib/docker/devicemapper /var/lib/docker/image/devicemapper /etc/lvm/profile/docker-thinpool.profile
systemctl reset-failed docker.service docker.socket 2>/dev/null || true
systemctl start docker.service
`;

// The busybox test image for the current graph driver's image store (each driver has its own;
// no registry is reachable): built from the VM's busybox-static, as vm.sh does for overlay2.
const importBusybox = (tag: string) =>
    sh(HOST, `set -e; d=$(mktemp -d); mkdir -p $d/bin $d/tmp; cp /bin/busybox $d/bin/; for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $d/bin/$a; done
tar -C $d -c . | docker import --change 'CMD ["sh"]' - ${tag} >/dev/null; rm -rf $d; docker image inspect -f '{{.Id}}' ${tag}`);

const mainPid = () => sh(HOST, "systemctl show -p MainPID --value docker.service");
const startedAt = () => sh(HOST, "systemctl show -p ActiveEnterTimestamp --value docker.service");
const active = () => ssh(HOST, "systemctl is-active docker.service").stdout.trim();
const driverStatus = (info: any): Record<string, string> => Object.fromEntries((info.DriverStatus ?? []) as [string, string][]);
const lastLines = (s: string, n = 4) => s.trim().split("\n").slice(-n).map((l) => `        | ${l}`).join("\n");

describe(`vm: devicemapper direct-lvm on ${HOST} (qemu, Debian kernel), through the product's apply path`, function () {
    this.timeout(1800000);
    let img = "";
    let overlaySha = "";

    before(() => {
        const sb = sandbox();
        img = sb.images.busybox;
        assert.ok(sb.hosts.some((h) => h.name === HOST), `${HOST} is not in ${JSON.stringify(sb.hosts)}: run DOCKFLEET_VM_HOSTS=${HOST} bash test/vm/vm.sh up`);
        console.log(`      ${HOST}: kernel ${sh(HOST, "uname -r")}, docker ${sb.dockerVersion}`);
        console.log(`      disks:\n${sh(HOST, "lsblk -n -o NAME,SIZE,TYPE,FSTYPE /dev/vda /dev/vdb /dev/vdc").split("\n").map((l) => `        ${l}`).join("\n")}`);
        assert.strictEqual(sh(HOST, "blkid -o value -s TYPE /dev/vdb"), "ext4", "vdb must carry a filesystem");
        const t = Date.now();
        sh(HOST, RESET);
        console.log(`      reset (no daemon.json, vdc wiped, dockerd restarted) in ${((Date.now() - t) / 1000).toFixed(1)}s`);
        assert.strictEqual(active(), "active");
        assert.strictEqual(sh(HOST, "wipefs -n /dev/vdc | wc -l"), "0", "vdc must be empty");
    });

    after(() => {
        const t = Date.now();
        const r = ssh(HOST, RESET);
        console.log(`      after: reset ${HOST} (exit ${r.code}) in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    });

    it("from a host whose config names no storage driver, a failed devicemapper apply (/dev/vdz) rolls back: the state dockerd left is moved aside", () => {
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), "absent");
        const t = Date.now();
        const r = push(HOST, lvm({ device: "/dev/vdz" }), { restartTimeoutSeconds: RT, smokeImage: "" });
        console.log(`      exit ${r.code} in ${((Date.now() - t) / 1000).toFixed(1)}s:\n${lastLines(r.stderr, 3)}`);
        // without the set-aside, dockerd refused the rollback's start (several valid graphdrivers): exit 3
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /moved \/var\/lib\/docker\/devicemapper \(left by the failed devicemapper start\) aside/);
        assert.match(r.stderr, /\/dev\/vdz is not available for use with devicemapper/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), "absent", "the previous state (no daemon.json) must be back");
        assert.strictEqual(active(), "active");
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
    });

    it("baseline: overlay2 named explicitly applies (the config the failing cases roll back to)", () => {
        const r = push(HOST, OVERLAY2, { restartTimeoutSeconds: RT, smokeImage: img });
        assert.strictEqual(r.code, 0, r.stderr);
        overlaySha = fileSha(HOST, DAEMON_JSON_PATH);
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
        console.log(`      ${lastLines(r.stderr, 1).trim()}`);
    });

    it("a device that does not exist (/dev/vdz): the apply fails with dockerd's reason and rolls back to overlay2", () => {
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), overlaySha);
        const t = Date.now();
        const r = push(HOST, lvm({ device: "/dev/vdz" }), { restartTimeoutSeconds: RT, smokeImage: "" });
        console.log(`      exit ${r.code} in ${((Date.now() - t) / 1000).toFixed(1)}s:\n${lastLines(r.stderr)}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`dockfleet\\[${HOST}\\]`));
        assert.match(r.stderr, /\/dev\/vdz is not available for use with devicemapper/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), overlaySha, "previous daemon.json must be back");
        assert.strictEqual(active(), "active");
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
    });

    it("a device with a filesystem (/dev/vdb, force false): fails with dockerd's reason and rolls back; the filesystem is untouched", () => {
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), overlaySha);
        const t = Date.now();
        const r = push(HOST, lvm({ device: "/dev/vdb" }), { restartTimeoutSeconds: RT, smokeImage: "" });
        console.log(`      exit ${r.code} in ${((Date.now() - t) / 1000).toFixed(1)}s:\n${lastLines(r.stderr)}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /\/dev\/vdb.*(filesystem|in use|not available)/i);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), overlaySha);
        assert.strictEqual(active(), "active");
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
        assert.strictEqual(sh(HOST, "blkid -o value -s TYPE /dev/vdb"), "ext4");
    });

    it("the seed's config (direct-lvm on /dev/vdc): applied, docker info shows devicemapper + docker-thinpool, the pool is on vdc, a container runs", () => {
        const t = Date.now();
        // The devicemapper image store starts empty and no registry is reachable: no smoke image
        // for this first start; the container below is the proof.
        const r = push(HOST, lvm(), { restartTimeoutSeconds: RT, smokeImage: "" });
        console.log(`      exit ${r.code} in ${((Date.now() - t) / 1000).toFixed(1)}s: ${lastLines(r.stderr, 1).trim()}`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        const info = dockerInfo(HOST);
        const ds = driverStatus(info);
        console.log(`      docker info: Driver ${info.Driver}, Pool Name ${ds["Pool Name"]}, Data Space Total ${ds["Data Space Total"]}, Metadata Space Total ${ds["Metadata Space Total"]}, Backing Filesystem ${ds["Backing Filesystem"]}`);
        assert.strictEqual(info.Driver, "devicemapper");
        assert.strictEqual(ds["Pool Name"], "docker-thinpool");
        const lsblk = sh(HOST, "lsblk -n -o NAME,SIZE,TYPE /dev/vdc");
        const dm = sh(HOST, "dmsetup ls");
        console.log(`      lsblk /dev/vdc:\n${lsblk.split("\n").map((l) => `        ${l}`).join("\n")}\n      dmsetup ls:\n${dm.split("\n").map((l) => `        ${l}`).join("\n")}`);
        assert.match(lsblk, /docker-thinpool_tdata/);
        assert.match(lsblk, /docker-thinpool_tmeta/);
        assert.match(dm, /^docker-thinpool\s/m);
        const lvs = sh(HOST, "lvs --noheadings -o lv_name,vg_name,lv_attr,devices docker");
        console.log(`      lvs: ${lvs.trim()}`);
        assert.match(lvs, /thinpool\s+docker\s+twi/);
        assert.match(sh(HOST, "cat /etc/lvm/profile/docker-thinpool.profile"), /thin_pool_autoextend_threshold\s*=\s*80[\s\S]*thin_pool_autoextend_percent\s*=\s*20/);
        console.log(`      ${img} imported into the devicemapper image store: ${importBusybox(img).slice(0, 19)}`);
        const out = sh(HOST, `docker run --rm ${img} sh -c 'echo container-ok; grep " / " /proc/mounts'`);
        console.log(`      container: ${out.replace(/\n/g, " | ")}`);
        assert.match(out, /^container-ok/);
        assert.match(out, /^\/dev\/mapper\/docker-\S+ \/ xfs/m, "the container's root must be a thin device");
    });

    it("re-applying the same config restarts nothing (reported unchanged; dockerd PID and start time unchanged)", () => {
        assert.strictEqual(dockerInfo(HOST).Driver, "devicemapper");
        const pid = mainPid();
        const since = startedAt();
        const r = push(HOST, lvm(), { restartTimeoutSeconds: RT, smokeImage: img });
        console.log(`      exit ${r.code}: ${lastLines(r.stderr, 1).trim()}; dockerd pid ${pid} -> ${mainPid()}`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /unchanged; nothing to do/);
        assert.strictEqual(mainPid(), pid, "dockerd must not restart");
        assert.strictEqual(startedAt(), since);
    });

    it("a changed direct-lvm value (thinpPercent 95 -> 90) is refused before anything is written; dockerd is not restarted", () => {
        const sha = fileSha(HOST, DAEMON_JSON_PATH);
        const pid = mainPid();
        const since = startedAt();
        const r = push(HOST, lvm({ thinpPercent: 90 }), { restartTimeoutSeconds: RT, smokeImage: img });
        console.log(`      exit ${r.code}:\n${lastLines(r.stderr, 2)}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /dockerd cannot change direct-lvm settings of an existing pool/);
        assert.match(r.stderr, /thinp_percent=95 .* -> .*thinp_percent=90/);
        assert.match(r.stderr, /storage-driver overlay2, then remove the pool/);
        assert.doesNotMatch(r.stderr, /applied|rolled back/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), sha, "daemon.json must be unchanged");
        assert.strictEqual(mainPid(), pid, "dockerd must not restart");
        assert.strictEqual(startedAt(), since);
        assert.strictEqual(dockerInfo(HOST).Driver, "devicemapper");
    });

    it("dropping devicemapper without naming a storage driver is refused (dockerd would refuse: several valid graphdrivers)", () => {
        const sha = fileSha(HOST, DAEMON_JSON_PATH);
        const pid = mainPid();
        const r = push(HOST, { logDriver: "json-file" }, { restartTimeoutSeconds: RT, smokeImage: img });
        console.log(`      exit ${r.code}:\n${lastLines(r.stderr, 1)}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /names no other storage driver, while \/var\/lib\/docker\/devicemapper exists/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), sha);
        assert.strictEqual(mainPid(), pid);
    });

    it("moving off devicemapper with storageDriver overlay2 named explicitly works; docker info shows overlay2 and a container runs", () => {
        const t = Date.now();
        const r = push(HOST, OVERLAY2, { restartTimeoutSeconds: RT, smokeImage: img });
        console.log(`      exit ${r.code} in ${((Date.now() - t) / 1000).toFixed(1)}s: ${lastLines(r.stderr, 1).trim()}`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
        const out = sh(HOST, `docker run --rm ${img} echo container-ok`);
        assert.strictEqual(out, "container-ok");
        // dockerd leaves the pool in place: removing it is the operator's step (after() does it here)
        console.log(`      left behind: ${sh(HOST, "lvs --noheadings -o lv_name,vg_name docker 2>/dev/null || true").trim() || "no pool"}, ${sh(HOST, "ls -d /var/lib/docker/devicemapper 2>/dev/null || echo no-state")}`);
    });
});
