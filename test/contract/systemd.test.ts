// Contract: the proxy drop-in reaches dockerd's environment, every unit/drop-in the product
// renders passes `systemd-analyze verify` with empty stderr on a real host, and the container
// unit behaves under systemd (starts, is restarted when the container dies, stops).
import * as assert from "assert";
import { renderHostsDropIn, renderProxyDropIn } from "../../components/docker-host/dropins";
import { renderContainerUnit } from "../../components/container-unit/unit";
import { renderUnitCommand } from "../../components/container-unit/container-unit";
import { DEBIAN_EXEC_START, dockerInfo, eventually, health, hostFiles, push, pushFiles, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOST = "host2";
const PROXY = "http://svc-docker:S3cr%40t-pw@10.232.0.1:3128";

describe(`contract: proxy drop-in on a real host (${HOST})`, function () {
    this.timeout(300000);
    before(settledSwarm);
    after(() => {
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("dockerd's environment and docker info have the proxy, systemctl show only the env file's path; the password never appears in the apply output", () => {
        const r = push(HOST, { logDriver: "json-file" }, { proxy: { httpProxy: PROXY, httpsProxy: PROXY, noProxy: [".corp.example"] }, fleetRegistries: ["10.232.0.11:5000"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, /S3cr/);
        // the variables reach dockerd exactly (the URL-encoded password, quotes and all) ...
        const env = sh(HOST, "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value docker)/environ");
        assert.ok(env.split("\n").includes(`HTTP_PROXY=${PROXY}`), env);
        assert.ok(env.split("\n").includes("NO_PROXY=localhost,127.0.0.1,10.232.0.11,.corp.example"), env);
        // ... while systemd shows a path, no value
        assert.strictEqual(sh(HOST, "systemctl show docker -p Environment"), "Environment=");
        // (Debian's unit also names -/etc/default/docker)
        assert.match(sh(HOST, "systemctl show docker -p EnvironmentFiles"), /^EnvironmentFiles=\/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env \(ignore_errors=no\)$/m);
        assert.strictEqual(sh(HOST, "stat -c '%a %U' /etc/systemd/system/docker.service.d/http-proxy.env"), "600 root");
    });

    it("a host applied with the previous layout (variables inline in a 0644 drop-in) moves to the env file without a restart", () => {
        const opts = { proxy: { httpProxy: PROXY, httpsProxy: PROXY, noProxy: [".corp.example"] }, fleetRegistries: ["10.232.0.11:5000"] };
        const [pub, secret] = hostFiles({ logDriver: "json-file", labels: { "dockfleet.test": "layout" } }, opts);
        // what main's DockerHost sent: the drop-in with Environment= lines, 0644, on stdin; no env file
        const inline = "# Managed by dockfleet. Proxy for dockerd (image pulls, pushes).\n\n[Service]\n" +
            `Environment="HTTP_PROXY=${PROXY.replace(/%/g, "%%")}"\nEnvironment="HTTPS_PROXY=${PROXY.replace(/%/g, "%%")}"\nEnvironment="NO_PROXY=localhost,127.0.0.1,10.232.0.11,.corp.example"\n`;
        const old = pushFiles(HOST, pub.filter((f) => !f.path.includes("http-proxy")), [{ path: "/etc/systemd/system/docker.service.d/http-proxy.conf", mode: "0644", content: inline }]);
        assert.strictEqual(old.code, 0, old.stderr);
        assert.match(sh(HOST, "systemctl show docker -p Environment"), /HTTP_PROXY=/);
        const pid = sh(HOST, "systemctl show -p MainPID --value docker");
        const r = pushFiles(HOST, pub, secret);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /http-proxy\.conf rewritten in canonical form; same settings: no restart/);
        assert.doesNotMatch(r.stderr, /rolling back|FAILED/);
        assert.strictEqual(sh(HOST, "systemctl show -p MainPID --value docker"), pid, "dockerd must not restart");
        assert.strictEqual(sh(HOST, "systemctl show docker -p Environment"), "Environment=");
        assert.strictEqual(sh(HOST, "stat -c '%a' /etc/systemd/system/docker.service.d/http-proxy.env"), "600");
        // the next restart (any later change) starts dockerd from the env file with the same proxy
        assert.strictEqual(ssh(HOST, "systemctl restart docker").code, 0);
        const env = sh(HOST, "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value docker)/environ");
        assert.ok(env.split("\n").includes(`HTTP_PROXY=${PROXY}`), env);
        assert.match(dockerInfo(HOST).HttpProxy, /^http:\/\/xxxxx:xxxxx@10.232.0.1:3128$/);
        const info = dockerInfo(HOST);
        assert.match(info.HttpProxy, /^http:\/\/xxxxx:xxxxx@10.232.0.1:3128$/);
        assert.strictEqual(info.NoProxy, "localhost,127.0.0.1,10.232.0.11,.corp.example");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("removing the proxy removes the drop-in, the env file and the environment", () => {
        const r = push(HOST, { logDriver: "json-file" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(ssh(HOST, "ls /etc/systemd/system/docker.service.d/http-proxy.conf /etc/systemd/system/docker.service.d/http-proxy.env").code, 2);
        assert.doesNotMatch(sh(HOST, "systemctl show docker -p Environment"), /HTTP_PROXY/);
        assert.strictEqual(dockerInfo(HOST).HttpProxy, "");
    });
});

describe("contract: systemd-analyze verify on a real host accepts every rendered unit and drop-in", function () {
    this.timeout(120000);
    before(settledSwarm);
    const units: [string, string][] = [
        ["docker.service.d/http-proxy.conf", renderProxyDropIn(true)!],
        ["docker.service.d/10-dockfleet-hosts.conf", renderHostsDropIn(["unix:///var/run/docker.sock"], DEBIAN_EXEC_START)!],
        ["mcollective.service", renderContainerUnit({ name: "mcollective", image: "local/busybox:1", runArgs: ["--net=host", "-v", "/etc:/host-etc:ro"], env: { TZ: "UTC" }, pullOnStart: true })],
        ["heartbeat.service", renderContainerUnit({ name: "heartbeat", image: "local/busybox:1", command: ["sh", "-c", "while true; do date +%s; sleep 5; done"] })],
    ];
    for (const [name, text] of units) {
        it(`${name}: exit 0, empty stderr`, () => {
            const dir = "/tmp/dockfleet-verify";
            const setup = `rm -rf ${dir} && mkdir -p ${dir}/docker.service.d && cp "$(systemctl show -p FragmentPath --value docker)" ${dir}/docker.service && cat > ${dir}/${name}`;
            sh(HOST, `${setup} <<'EOF'\n${text}EOF`);
            const target = name.startsWith("docker.service.d/") ? "docker.service" : name;
            const r = ssh(HOST, `cd ${dir} && systemd-analyze verify --man=no ${dir}/${target}`);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stderr.trim(), "", `systemd-analyze printed:\n${r.stderr}`);
        });
    }
});

describe("contract: a container wrapped in a systemd unit (ContainerUnit)", function () {
    this.timeout(300000);
    before(settledSwarm);
    const H = "host1";
    const spec = { name: "dfheartbeat", image: sandbox().images.busybox, command: ["sh", "-c", "while true; do date; sleep 2; done"], restartSec: "2s", stopTimeoutSeconds: 2 };

    after(() => {
        ssh(H, renderUnitCommand("remove", spec.name));
    });

    it("install starts the container; systemd restarts it when it dies; stop stops it; remove removes it", async () => {
        const r = ssh(H, renderUnitCommand("install", spec.name, renderContainerUnit(spec)));
        assert.strictEqual(r.code, 0, r.stderr);
        await eventually(() => ssh(H, `docker inspect -f '{{.State.Running}}' ${spec.name}`).stdout.trim() === "true", 30000, "container running");
        const firstId = sh(H, `docker inspect -f '{{.Id}}' ${spec.name}`);
        sh(H, `docker kill ${spec.name} >/dev/null`);
        await eventually(() => {
            const id = ssh(H, `docker inspect -f '{{.Id}} {{.State.Running}}' ${spec.name}`).stdout.trim();
            return id.endsWith("true") && !id.startsWith(firstId);
        }, 40000, "systemd to restart the container");
        assert.match(sh(H, `systemctl show ${spec.name} -p NRestarts`), /NRestarts=[1-9]/);
        sh(H, `systemctl stop ${spec.name}`);
        await eventually(() => ssh(H, `docker inspect ${spec.name}`).code !== 0, 30000, "container gone after stop");
        const rm = ssh(H, renderUnitCommand("remove", spec.name));
        assert.strictEqual(rm.code, 0, rm.stderr);
        assert.notStrictEqual(ssh(H, `test -e /etc/systemd/system/${spec.name}.service`).code, 0);
    });

    it("a daemon.json change that restarts dockerd leaves the unit running again (the stop of docker.service stopped it), and so does the restore", async () => {
        const r = ssh(H, renderUnitCommand("install", spec.name, renderContainerUnit(spec)));
        assert.strictEqual(r.code, 0, r.stderr);
        await eventually(() => ssh(H, `docker inspect -f '{{.State.Running}}' ${spec.name}`).stdout.trim() === "true", 30000, "container running");
        const running = async (what: string, notId: string) => {
            await eventually(() => {
                const id = ssh(H, `docker inspect -f '{{.Id}} {{.State.Running}}' ${spec.name}`).stdout.trim();
                return ssh(H, `systemctl is-active ${spec.name}`).stdout.trim() === "active" && id.endsWith("true") && !id.startsWith(notId);
            }, 30000, what);
        };
        try {
            const before = sh(H, `docker inspect -f '{{.Id}}' ${spec.name}`);
            const pid = sh(H, "systemctl show -p MainPID --value docker.service");
            const a = push(H, { logDriver: "json-file", labels: { "dockfleet.test": "dependents" } });
            assert.strictEqual(a.code, 0, a.stderr);
            assert.notStrictEqual(sh(H, "systemctl show -p MainPID --value docker.service"), pid, "dockerd restarted");
            assert.match(a.stderr, new RegExp(`started again what needs docker\\.service: .*${spec.name}\\.service`));
            await running("the unit active with a new container after the restart", before);
            const again = sh(H, `docker inspect -f '{{.Id}}' ${spec.name}`);
            const rs = restore(H);
            assert.strictEqual(rs.code, 0, rs.stderr);
            await running("the unit active with a new container after the restore", again);
        } finally {
            restore(H);
            ssh(H, renderUnitCommand("remove", spec.name));
        }
    });

    it("a unit systemd-analyze rejects is not installed", () => {
        const bad = renderContainerUnit(spec).replace("[Service]", "[Service]\nExecStart=/usr/bin/docker ps");
        const r = ssh(H, renderUnitCommand("install", "dfbadunit", bad));
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /rejected by systemd-analyze verify/);
        assert.notStrictEqual(ssh(H, "test -e /etc/systemd/system/dfbadunit.service").code, 0);
    });
});
