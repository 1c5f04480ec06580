// Contract: every daemon.json setting DockerHost renders, pushed with the product's apply script to
// a real Debian host (systemd, docker.io 20.10), and its effect proved from the host.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { DaemonConfig } from "../../components/docker-host/daemon-config";
import { DEBIAN_EXEC_START, dockerInfo, fileSha, health, push, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOST = "host2";

describe(`contract: daemon.json settings on a real host (${HOST})`, function () {
    this.timeout(600000);
    const base: DaemonConfig = { logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3" } };

    before(() => {
        settledSwarm();
        sandbox();
        assert.strictEqual(health(HOST).active, "active");
    });
    after(() => {
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(health(HOST).active, "active");
    });

    it("registry-mirrors, insecure-registries, labels, debug, experimental show in docker info", () => {
        const r = push(HOST, {
            ...base,
            registryMirrors: ["http://10.232.0.11:5000"],
            insecureRegistries: ["10.232.0.11:5000", "10.99.0.0/16"],
            labels: { "dockfleet.test": "mirrors" },
            debug: true,
            experimental: true,
        });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`dockfleet\\[${HOST}\\]: applied \\(restart\\)`));
        const info = dockerInfo(HOST);
        assert.deepStrictEqual(info.RegistryConfig.Mirrors, ["http://10.232.0.11:5000/"]);
        assert.ok(info.RegistryConfig.IndexConfigs["10.232.0.11:5000"].Secure === false);
        assert.ok(info.RegistryConfig.InsecureRegistryCIDRs.includes("10.99.0.0/16"));
        assert.ok(info.Labels.includes("dockfleet.test=mirrors"));
        assert.strictEqual(info.Debug, true);
        assert.strictEqual(info.ExperimentalBuild, true);
    });

    it("a change of hot-reloadable keys only reloads dockerd (same PID), and removing a label resets it", () => {
        const pid = sh(HOST, "systemctl show -p MainPID --value docker");
        const r = push(HOST, { ...base, registryMirrors: ["http://10.232.0.11:5000"], insecureRegistries: ["10.232.0.11:5000"], labels: {}, debug: false, experimental: true });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        assert.strictEqual(sh(HOST, "systemctl show -p MainPID --value docker"), pid, "dockerd must not restart");
        const info = dockerInfo(HOST);
        assert.ok(!info.Labels.includes("dockfleet.test=mirrors"), JSON.stringify(info.Labels));
        assert.strictEqual(info.Debug, false);
        assert.ok(!info.RegistryConfig.InsecureRegistryCIDRs.includes("10.99.0.0/16"));
    });

    it("re-applying the same config touches nothing", () => {
        const pid = sh(HOST, "systemctl show -p MainPID --value docker");
        const r = push(HOST, { ...base, registryMirrors: ["http://10.232.0.11:5000"], insecureRegistries: ["10.232.0.11:5000"], labels: {}, debug: false, experimental: true });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /unchanged; nothing to do/);
        assert.strictEqual(sh(HOST, "systemctl show -p MainPID --value docker"), pid);
    });

    it("metrics-addr: the Prometheus endpoint answers from outside the host", () => {
        const r = push(HOST, { ...base, metricsAddr: "0.0.0.0:9323" });
        assert.strictEqual(r.code, 0, r.stderr);
        const addr = sandbox().hosts.find((h) => h.name === HOST)!.address;
        const c = spawnSync("curl", ["-sf", "--max-time", "5", `http://${addr}:9323/metrics`], { encoding: "utf8" });
        assert.strictEqual(c.status, 0, c.stderr);
        assert.match(c.stdout, /^engine_daemon_engine_info/m);
    });

    it("log-driver + log-opts: a new container gets them (fluentd-style tag template kept verbatim)", () => {
        const r = push(HOST, { logDriver: "local", logOpts: { "max-size": "5m", "max-file": "2" } });
        assert.strictEqual(r.code, 0, r.stderr);
        const img = sandbox().images.busybox;
        const id = sh(HOST, `docker run -d ${img} sleep 30`);
        const cfg = JSON.parse(sh(HOST, `docker inspect --format '{{json .HostConfig.LogConfig}}' ${id}`));
        sh(HOST, `docker rm -f ${id}`);
        assert.deepStrictEqual(cfg, { Type: "local", Config: { "max-file": "2", "max-size": "5m" } });
        // json-file accepts a tag template; it must reach dockerd unchanged
        const r2 = push(HOST, { logDriver: "json-file", logOpts: { tag: "{{.ImageName}}/{{.Name}}/{{.ID}}" } });
        assert.strictEqual(r2.code, 0, r2.stderr);
        const id2 = sh(HOST, `docker run -d ${img} sleep 30`);
        const cfg2 = JSON.parse(sh(HOST, `docker inspect --format '{{json .HostConfig.LogConfig}}' ${id2}`));
        sh(HOST, `docker rm -f ${id2}`);
        assert.strictEqual(cfg2.Config.tag, "{{.ImageName}}/{{.Name}}/{{.ID}}");
    });

    it("storage-driver overlay2 (explicit) is in use", () => {
        const r = push(HOST, { ...base, storageDriver: "overlay2" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(dockerInfo(HOST).Driver, "overlay2");
    });

    it("hosts: dockerd listens on the sockets from daemon.json (ExecStart reset by the drop-in)", () => {
        const r = push(HOST, { ...base, hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"] }, { execStart: DEBIAN_EXEC_START });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(sh(HOST, "curl -sf http://127.0.0.1:2375/_ping"), /^OK$/);
        assert.match(sh(HOST, "systemctl show docker -p DropInPaths"), /10-dockfleet-hosts.conf/);
        // and back: removing hosts removes the drop-in and the TCP listener
        const back = push(HOST, base);
        assert.strictEqual(back.code, 0, back.stderr);
        assert.strictEqual(fileSha(HOST, "/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf"), "absent");
        assert.notStrictEqual(ssh(HOST, "curl -sf --max-time 2 http://127.0.0.1:2375/_ping").code, 0);
    });

    it("live-restore on a swarm node: refused before anything is written (a reload would accept it and the next restart fail)", () => {
        const before = fileSha(HOST, "/etc/docker/daemon.json");
        const r = push(HOST, { ...base, liveRestore: true });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /live-restore is incompatible with swarm mode/);
        assert.strictEqual(fileSha(HOST, "/etc/docker/daemon.json"), before);
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("data-root: on a swarm node the swarm state lives in data-root, so a move is rolled back, not half-done", () => {
        const r = push(HOST, { ...base, dataRoot: "/var/lib/docker/alt-root" }, { restartTimeoutSeconds: 20 });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /wait for the swarm node to be Ready/);
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        assert.match(dockerInfo(HOST).DockerRootDir, /^\/var\/lib\/docker$/);
    });
});

describe("contract: data-root in use (host3 taken off the swarm for the test)", function () {
    this.timeout(600000);
    const H = "host3";
    let token = "";

    before(() => {
        settledSwarm();
        token = sh("host1", "docker swarm join-token -q manager");
        sh("host1", `docker node demote ${H} >/dev/null`);
        sh(H, "docker swarm leave --force >/dev/null");
        sh("host1", `for i in $(seq 30); do docker node inspect ${H} --format '{{.Status.State}}' | grep -q down && break; sleep 1; done; docker node rm --force ${H} >/dev/null`);
    });
    after(() => {
        const r = restore(H);
        assert.strictEqual(r.code, 0, r.stderr);
        sh(H, `docker swarm join --token ${token} 10.232.0.11:2377 >/dev/null`);
        assert.strictEqual(health(H).ready, "ready");
    });

    it("dockerd runs from the new data-root", () => {
        // a new data-root starts without images, so the smoke image would be missing: no smoke test here
        const r = push(H, { logDriver: "json-file", dataRoot: "/var/lib/docker/alt-root" }, { smokeImage: "" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(dockerInfo(H).DockerRootDir, "/var/lib/docker/alt-root");
        assert.strictEqual(ssh(H, "test -d /var/lib/docker/alt-root/overlay2").code, 0);
    });
});
