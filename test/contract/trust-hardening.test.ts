// Contract (issue 28, CIS Docker Benchmark): the hardened default daemon.json (cis.ts: icc off,
// no-new-privileges, no userland proxy) is accepted by a real dockerd on a swarm manager, and the
// seed's kind of workload still runs with it: a swarm service on an overlay network with a
// published port, a container with a published port (busybox httpd), the registry image. The
// hardening is checked as an attacker would: a container on the default bridge cannot reach
// another, a setuid gains nothing, no docker-proxy listens.
import * as assert from "assert";
import { hardenedDaemon } from "../../components/docker-host/cis";
import { renderDaemonJson } from "../../components/docker-host/daemon-config";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { eventually, health, push, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOST = "host3";
const NET = "df-hardening-net";
const SVC = "df-hardening-svc";
const C1 = "df-hardening-web";
const C2 = "df-hardening-peer";
const REG = "df-hardening-registry";
const DAEMON = hardenedDaemon({ logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.contract": "hardening" } });

describe("contract: the CIS hardened default daemon.json on a real swarm manager", function () {
    this.timeout(600000);
    let address = "";

    before(() => {
        settledSwarm();
        address = sandbox().hosts.find((h) => h.name === HOST)!.address;
        const r = push(HOST, DAEMON);
        assert.strictEqual(r.code, 0, r.stderr);
    });
    after(() => {
        ssh("host1", `docker service rm ${SVC} >/dev/null 2>&1; for i in $(seq 1 30); do docker network rm ${NET} >/dev/null 2>&1 && break; sleep 1; done; true`);
        ssh(HOST, `docker rm -f ${C1} ${C2} ${REG} >/dev/null 2>&1; true`);
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("dockerd runs the hardened file and the node is Ready", () => {
        assert.strictEqual(sh(HOST, `cat ${DAEMON_JSON_PATH}`) + "\n", renderDaemonJson(DAEMON));
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        assert.strictEqual(sh(HOST, `stat -c '%U:%G %a' ${DAEMON_JSON_PATH}`), "root:root 644", "CIS 3.17/3.18");
        assert.strictEqual(sh(HOST, "stat -c '%U:%G %a' /etc/docker"), "root:root 755", "CIS 3.5/3.6");
    });

    it("a container with a published port serves from another host; no docker-proxy runs for it", async () => {
        sh(HOST, `docker run -d --name ${C1} -p 18091:8080 ${sandbox().images.busybox} sh -c 'mkdir -p /www && echo hardened > /www/index.html && httpd -f -p 8080 -h /www'`);
        await eventually(() => ssh("host1", `curl -fsS --max-time 2 http://${address}:18091/`).stdout.trim() === "hardened", 30000, "the published port from host1");
        // from the host itself (dockerd's OUTPUT DNAT, the path a userland proxy served before)
        await eventually(() => ssh(HOST, `curl -fsS --max-time 2 http://${address}:18091/`).stdout.trim() === "hardened", 30000, "the published port from the host");
        assert.strictEqual(ssh(HOST, "pgrep -c docker-proxy").stdout.trim(), "0", "userland-proxy false: no docker-proxy (CIS 2.16)");
    });

    it("icc off: a container on the default bridge cannot reach another one's port (CIS 2.2)", () => {
        const ip = sh(HOST, `docker inspect -f '{{.NetworkSettings.IPAddress}}' ${C1}`);
        const r = ssh(HOST, `docker run --rm --name ${C2} ${sandbox().images.busybox} wget -q -T 3 -O- http://${ip}:8080/`);
        assert.notStrictEqual(r.code, 0, `the peer reached ${ip}:8080: ${r.stdout}`);
    });

    it("no-new-privileges: every new container runs with NoNewPrivs set (CIS 2.14)", () => {
        assert.match(sh(HOST, `docker exec ${C1} grep NoNewPrivs /proc/1/status`), /^NoNewPrivs:\s+1$/);
    });

    it("the registry image runs under no-new-privileges and answers on its published port", async () => {
        // the sandbox's registry image has no storage in its config (test/sandbox/README.md): filesystem here
        sh(HOST, `docker run -d --name ${REG} -p 15099:5000 -e REGISTRY_STORAGE=filesystem -e REGISTRY_HTTP_ADDR=0.0.0.0:5000 ${sandbox().images.registry}`);
        await eventually(() => ssh("host1", `curl -fsS --max-time 2 -o /dev/null -w '%{http_code}' http://${address}:15099/v2/`).stdout.trim() === "200", 60000, "registry /v2/ from host1");
    });

    it("a swarm service on an overlay network with a published port runs on the hardened node", async () => {
        sh("host1", `docker network create -d overlay --attachable ${NET} >/dev/null && docker service create -d --name ${SVC} --network ${NET} --endpoint-mode dnsrr --constraint node.hostname==${sh(HOST, "hostname")} ` +
            `--publish mode=host,target=8080,published=18092 ${sandbox().images.busybox} sh -c 'mkdir -p /www && echo svc > /www/index.html && httpd -f -p 8080 -h /www' >/dev/null`);
        await eventually(() => ssh("host1", `curl -fsS --max-time 2 http://${address}:18092/`).stdout.trim() === "svc", 120000, "the service's published port");
        // Traffic between containers over the overlay is not asserted: on the sandbox a container
        // attached to the network did not reach the task (by name, the static busybox crashes; by
        // address, no answer) and whether that holds without the hardened keys is not yet measured.
    });
});
