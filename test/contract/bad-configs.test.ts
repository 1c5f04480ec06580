// Contract: broken daemon.json / drop-in variants pushed to a real swarm node; each ends in a
// verified rollback or a refusal before anything is written (bad-configs-lib.ts). More variants run
// in the named group test/extended (npm run test:extended; docs/testing.md).
import * as assert from "assert";
import { DAEMON_JSON_PATH, HOSTS_DROPIN_PATH } from "../../components/docker-host/dropins";
import { badConfigVariants, dj, dropIn, GOOD, json, Variant } from "./bad-configs-lib";
import { health, push, sh, ssh } from "./lib";

const HOST = "host3";

const VARIANTS: Variant[] = [
    ["unknown key", [dj(json({ foo: 1 }))], /the following directives don't match any configuration option: foo/],
    ["wrong type (insecure-registries as string)", [dj(json({ "insecure-registries": "10.232.0.11:5000" }))], /cannot unmarshal string into Go struct field Config.insecure-registries of type \[\]string/],
    ["invalid JSON (trailing comma)", [dj('{"debug": false,}\n')], /is not a JSON object|invalid character/],
    ["empty file", [dj("")], /would be empty/],
    ["flag/file conflict (hosts while the unit passes -H fd://)", [dj(json({ hosts: ["unix:///var/run/docker.sock"] }))], /specified both as a flag and in the configuration file: hosts/],
    ["mirror without scheme", [dj(json({ "registry-mirrors": ["10.232.0.11:5000"] }))], /invalid mirror: "10.232.0.11:5000" is not a valid URI/],
    ["bad bip", [dj(json({ bip: "300.1.1.1/24" }))], /invalid CIDR address: 300.1.1.1\/24/],
    ["metrics-addr port in use (sshd's 22)", [dj(json({ "metrics-addr": "0.0.0.0:22" }))], /bind: address already in use/],
    // refused before writing: a reload would accept it and the next restart would fail
    ["live-restore on a swarm node", [dj(json({ "live-restore": true }))], /live-restore is incompatible with swarm mode/],
    ["unknown log driver (dockerd starts; containers fail)", [dj(json({ "log-driver": "nosuchdriver" }))], /smoke container.*(logging plugin nosuchdriver|plugin "nosuchdriver" not found)/],
    ["bad log-opt size (dockerd starts; containers fail)", [dj(json({ "log-driver": "json-file", "log-opts": { "max-size": "ten" } }))], /smoke container.*invalid size: 'ten'/],
    ["unknown log-opt", [dj(json({ "log-driver": "json-file", "log-opts": { "max-sise": "10m" } }))], /unknown log opt 'max-sise'/],
    ["devicemapper where unsupported", [dj(json({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/vdz"] }))], /error initializing graphdriver: driver not supported/],
    ["unknown storage driver", [dj(json({ "storage-driver": "nosuchfs" }))], /error initializing graphdriver|driver not supported/],
    ["overlay2.size on ext4", [dj(json({ "storage-driver": "overlay2", "storage-opts": ["overlay2.size=10G"] }))], /overlay2.size only supported for backingFS XFS/],
    ["bad default-address-pools", [dj(json({ "default-address-pools": [{ base: "10.300.0.0/16", size: 24 }] }))], /invalid|CIDR/],
    ["bad dns entry", [dj(json({ dns: ["not-an-ip"] }))], /not-an-ip is not an ip address|invalid/],
    ["data-root on a path dockerd cannot create (file in the way)", [dj(json({ "data-root": "/etc/hostname/docker" }))], /failed to canonicalise path for \/etc\/hostname\/docker: not a directory/],
    ["max-concurrent-downloads negative", [dj(json({ "max-concurrent-downloads": -1 }))], /invalid max concurrent downloads: -1/],
    ["tls without certs on a TCP socket", [dj(json({ tls: true, tlscert: "/nonexistent/cert.pem", tlskey: "/nonexistent/key.pem" })), dropIn(HOSTS_DROPIN_PATH, "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://127.0.0.1:2376\n")], /no such file or directory|could not load X509 key pair|open \/nonexistent|tlscert \/nonexistent\/cert.pem does not exist on this host/],
    ["duplicate ExecStart in a drop-in", [dj(json({ debug: false })), dropIn(HOSTS_DROPIN_PATH, "[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n")], /systemd-analyze verify rejects docker.service with this drop-in: .*more than one ExecStart/],
    ["ExecStart binary that does not exist", [dj(json({ debug: false })), dropIn(HOSTS_DROPIN_PATH, "[Service]\nExecStart=\nExecStart=/usr/local/bin/dockerd-typo -H fd://\n")], /ExecStart binary \/usr\/local\/bin\/dockerd-typo does not exist/],
    ["drop-in passing dockerd an unknown flag", [dj(json({ debug: false })), dropIn(HOSTS_DROPIN_PATH, "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --no-such-flag\n")], /unknown flag: --no-such-flag/],
];

describe(`contract: ${VARIANTS.length} bad configs on a real swarm node (${HOST}) all roll back`, function () {
    this.timeout(900000);
    badConfigVariants(HOST, VARIANTS);

    it("systemd's start-rate-limit trap: after a failed restart loop a plain restart is refused; the apply script recovers", () => {
        // Break dockerd by hand, the way an operator might, and let systemd hit StartLimitBurst.
        sh(HOST, `cp ${DAEMON_JSON_PATH} /root/daemon.json.good && echo '{"foo": 1}' > ${DAEMON_JSON_PATH}`);
        ssh(HOST, "systemctl restart docker; for i in 1 2 3 4; do systemctl start docker; sleep 0.3; done");
        assert.match(ssh(HOST, "systemctl show docker -p Result --value").stdout, /start-limit-hit|exit-code/);
        sh(HOST, `cp /root/daemon.json.good ${DAEMON_JSON_PATH}`);
        const plain = ssh(HOST, "systemctl start docker");
        assert.notStrictEqual(plain.code, 0, "without reset-failed systemd refuses to start docker again (the trap)");
        // The product's apply (which always reset-fails first) brings it back.
        const r = push(HOST, { ...GOOD, labels: { "dockfleet.contract": "good", trap: "1" } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });
});
