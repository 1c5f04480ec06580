import * as assert from "assert";
import * as path from "path";
import { DockfleetConfigError } from "../components/common/issues";
import { loadStackConfig } from "./load";
import { testHostKey } from "../test/support/host-key-fixtures";

const ROOT = path.resolve(__dirname, "..");
const SECRETS = ["dockfleet:sshPrivateKey", "dockfleet:httpProxy", "dockfleet:httpsProxy", "dockfleet:swiftPassword", "dockfleet:s3SecretKey", "dockfleet:registryHttpSecret"];

/** A valid config; each case breaks one thing. */
function base(): Record<string, unknown> {
    return {
        "dockfleet:hosts": [
            { name: "mgr1", address: "10.1.0.21", role: "manager", hostKey: testHostKey("mgr1") },
            { name: "wrk1", address: "10.1.0.31", role: "worker", hostKey: testHostKey("wrk1") },
        ],
        "dockfleet:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n",
        "dockfleet:engineVersion": "20.10",
        "dockfleet:daemon": { registryMirrors: ["https://mirror.example"], insecureRegistries: ["10.1.0.21:5000"], metricsAddr: "0.0.0.0:9323", logDriver: "json-file", logOpts: { "max-size": "10m" } },
        "dockfleet:httpProxy": "http://user:pw@proxy.example:3128",
        "dockfleet:rollout": { batchSize: 1 },
        "dockfleet:registry": { onHost: "mgr1", image: "registry:2.8.3", storage: { kind: "swift", authUrl: "https://keystone.example:5000/v3", username: "svc", container: "reg" } },
        "dockfleet:swiftPassword": "s3cret-pw",
        "dockfleet:registryHttpSecret": "0123456789abcdef",
        "dockfleet:stacks": {
            web: {
                services: {
                    nginx: {
                        image: "nginx:1.24", replicas: 2,
                        healthcheck: { test: ["CMD", "curl", "-f", "http://127.0.0.1/"], interval: "10s", timeout: "5s", retries: 3 },
                        update: { failureAction: "rollback" },
                        mounts: [{ type: "nfs", source: "data", target: "/data" }],
                    },
                },
                nfsVolumes: { data: { server: "10.1.0.40", path: "/export/data" } },
            },
        },
    };
}

function load(raw: Record<string, unknown>, secret = new Set(SECRETS)) {
    return loadStackConfig("test", raw, secret, ROOT);
}

function errorsOf(mutate: (c: Record<string, unknown>) => void, secret?: Set<string>): string {
    const c = base();
    mutate(c);
    try {
        load(c, secret);
    } catch (e) {
        assert.ok(e instanceof DockfleetConfigError, String(e));
        return (e as Error).message;
    }
    assert.fail("expected a DockfleetConfigError");
}

const daemon = (c: Record<string, unknown>) => c["dockfleet:daemon"] as Record<string, unknown>;
const hosts = (c: Record<string, unknown>) => c["dockfleet:hosts"] as Record<string, unknown>[];
const registry = (c: Record<string, unknown>) => c["dockfleet:registry"] as Record<string, unknown>;
const storage = (c: Record<string, unknown>) => registry(c).storage as Record<string, unknown>;
const nginx = (c: Record<string, unknown>) => ((c["dockfleet:stacks"] as any).web.services.nginx) as Record<string, unknown>;

describe("stack config loading", () => {
    it("accepts the valid base config", () => {
        const l = load(base());
        assert.deepStrictEqual([...l.parts].sort(), ["daemon", "registry", "stacks", "swarm"]);
        assert.strictEqual(l.secrets.swiftPassword, "s3cret-pw");
    });

    // [description, mutation, expected resource, expected field, expected message fragment]
    const cases: [string, (c: Record<string, unknown>) => void, string, string, RegExp][] = [
        ["unknown top-level key", (c) => { c["dockfleet:deamon"] = {}; }, 'DockerFleet "fleet"', "dockfleet:deamon", /unknown config key/],
        ["unknown daemon key", (c) => { daemon(c)["registry-mirrors"] = []; }, 'DockerFleet "fleet"', "dockfleet:daemon", /unknown key\(s\) "registry-mirrors"/],
        ["mirror without scheme", (c) => { daemon(c).registryMirrors = ["10.1.0.21:5000"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.registryMirrors[0]", /needs a scheme/],
        ["bad insecure-registry CIDR", (c) => { daemon(c).insecureRegistries = ["10.0.0.0/33"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.insecureRegistries[0]", /not a valid CIDR/],
        ["bad insecure-registry IP", (c) => { daemon(c).insecureRegistries = ["300.1.1.1:5000"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.insecureRegistries[0]", /not a valid IPv4/],
        ["metrics-addr without port", (c) => { daemon(c).metricsAddr = "0.0.0.0"; }, 'DockerFleet "fleet"', "dockfleet:daemon.metricsAddr", /ip:port/],
        ["metrics-addr with host name", (c) => { daemon(c).metricsAddr = "localhost:9323"; }, 'DockerFleet "fleet"', "dockfleet:daemon.metricsAddr", /ip:port/],
        ["unknown log driver", (c) => { daemon(c).logDriver = "fluentbit"; }, 'DockerFleet "fleet"', "dockfleet:daemon.logDriver", /unknown log driver "fluentbit"; valid: json-file/],
        ["bad log-opt size", (c) => { daemon(c).logOpts = { "max-size": "ten" }; }, 'DockerFleet "fleet"', "dockfleet:daemon.logOpts.max-size", /not a size/],
        ["log-opt as number", (c) => { daemon(c).logOpts = { "max-file": 3 }; }, 'DockerFleet "fleet"', "dockfleet:daemon.logOpts.max-file", /expected string, got number/],
        ["unknown storage driver", (c) => { daemon(c).storageDriver = "aufs"; }, 'DockerFleet "fleet"', "dockfleet:daemon.storageDriver", /unknown storage driver "aufs"/],
        ["devicemapper on Engine 25", (c) => { c["dockfleet:engineVersion"] = "25.0"; daemon(c).storageDriver = "devicemapper"; }, 'DockerFleet "fleet"', "dockfleet:daemon.storageDriver", /removed in Docker Engine 25/],
        ["direct-lvm without devicemapper", (c) => { daemon(c).directLvm = { device: "/dev/xvdf" }; }, 'DockerFleet "fleet"', "dockfleet:daemon.directLvm", /need storageDriver "devicemapper"/],
        ["direct-lvm percent out of range", (c) => { daemon(c).storageDriver = "devicemapper"; daemon(c).directLvm = { device: "/dev/xvdf", thinpPercent: 150 }; }, 'DockerFleet "fleet"', "dockfleet:daemon.directLvm.thinpPercent", /between 1 and 100/],
        ["overlay2 option on devicemapper", (c) => { daemon(c).storageDriver = "devicemapper"; daemon(c).storageOpts = ["overlay2.size=10G"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.storageOpts[0]", /not an option of storage driver devicemapper/],
        ["relative data-root", (c) => { daemon(c).dataRoot = "data/docker"; }, 'DockerFleet "fleet"', "dockfleet:daemon.dataRoot", /absolute path/],
        ["graph and dataRoot disagree", (c) => { daemon(c).graph = "/a"; daemon(c).dataRoot = "/b"; }, 'DockerFleet "fleet"', "dockfleet:daemon.graph", /old name of data-root/],
        ["live-restore on swarm nodes", (c) => { daemon(c).liveRestore = true; }, 'DockerFleet "fleet"', "dockfleet:daemon.liveRestore", /incompatible with swarm mode/],
        ["TLS without client verification off loopback", (c) => { daemon(c).hosts = ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"]; daemon(c).tls = { caCert: "/etc/docker/ca.pem", cert: "/etc/docker/cert.pem", key: "/etc/docker/key.pem", verify: false }; }, 'DockerFleet "fleet"', "dockfleet:daemon.hosts[1]", /with TLS but without client verification \(tlsverify\)/],
        ["allowPlainTcp withdrawn", (c) => { daemon(c).allowPlainTcp = true; }, 'DockerFleet "fleet"', "dockfleet:daemon.allowPlainTcp", /withdrawn/],
        ["autolock without its key", (c) => { c["dockfleet:swarm"] = { autolock: true }; }, 'SwarmCluster "swarm"', "dockfleet:swarmUnlockKey", /pulumi config set --secret dockfleet:swarmUnlockKey --stack test$/],
        ["plain TCP listen off loopback", (c) => { daemon(c).hosts = ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.hosts[1]", /exposes the Docker API without TLS off loopback/],
        ["TLS port without certs", (c) => { daemon(c).hosts = ["tcp://10.1.0.21:2376"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.hosts[0]", /set daemon.tls/],
        ["bad listen scheme", (c) => { daemon(c).hosts = ["http://0.0.0.0:2375"]; }, 'DockerFleet "fleet"', "dockfleet:daemon.hosts[0]", /unix:\/\/\/path, fd:\/\/ or tcp:\/\/ip:port/],
        ["bad bip", (c) => { daemon(c).bip = "300.1.1.1/24"; }, 'DockerFleet "fleet"', "dockfleet:daemon.bip", /IPv4 address with prefix/],
        ["bad engine version", (c) => { c["dockfleet:engineVersion"] = "latest"; }, 'DockerFleet "fleet"', "dockfleet:engineVersion", /not a Docker Engine version/],
        ["host with bad address", (c) => { hosts(c)[1].address = "10.1.0.300"; }, 'DockerFleet "fleet"', "dockfleet:hosts[1].address", /not an IP address or DNS name/],
        ["duplicate host names", (c) => { hosts(c)[1].name = "mgr1"; }, 'DockerFleet "fleet"', "dockfleet:hosts[1].name", /duplicate host name "mgr1"/],
        ["bad host role", (c) => { hosts(c)[1].role = "leader"; }, 'DockerFleet "fleet"', "dockfleet:hosts[1].role", /"leader" is not valid; valid: manager, worker, none/],
        ["per-host override breaks a value", (c) => { hosts(c)[0].daemon = { metricsAddr: "nope" }; }, 'DockerFleet "fleet"', "dockfleet:hosts[0].daemon.metricsAddr", /ip:port/],
        ["batch size zero", (c) => { c["dockfleet:rollout"] = { batchSize: 0 }; }, 'DockerFleet "fleet"', "dockfleet:rollout.batchSize", /≥ 1/],
        ["maxUnavailable negative", (c) => { c["dockfleet:rollout"] = { maxUnavailable: -1 }; }, 'DockerFleet "fleet"', "dockfleet:rollout.maxUnavailable", /whole number ≥ 0/],
        ["a stack's maxUnavailable fractional", (c) => { (c["dockfleet:stacks"] as any).web.maxUnavailable = 1.5; }, 'SwarmStack "web"', "dockfleet:stacks.web.maxUnavailable", /whole number ≥ 0/],
        ["probe concurrency zero", (c) => { c["dockfleet:rollout"] = { probeConcurrency: 0 }; }, 'DockerFleet "fleet"', "dockfleet:rollout.probeConcurrency", /must be a whole number ≥ 1 \(SSH sessions the probe opens at once\)/],
        ["probe concurrency fractional", (c) => { c["dockfleet:rollout"] = { probeConcurrency: 2.5 }; }, 'DockerFleet "fleet"', "dockfleet:rollout.probeConcurrency", /expected integer, got float/],
        ["probe concurrency as text", (c) => { c["dockfleet:rollout"] = { probeConcurrency: "10" }; }, 'DockerFleet "fleet"', "dockfleet:rollout.probeConcurrency", /expected number, got string/],
        ["restart timeout too short", (c) => { c["dockfleet:rollout"] = { restartTimeoutSeconds: 2 }; }, 'DockerFleet "fleet"', "dockfleet:rollout.restartTimeoutSeconds", /between 10 and 900/],
        ["proxy URL garbage (value hidden)", (c) => { c["dockfleet:httpProxy"] = "proxy.example:3128 user:pw"; }, 'DockerFleet "fleet"', "dockfleet:httpProxy", /not a proxy URL .*value hidden/],
        ["proxy secret stored in plain text", (c) => { void c; }, 'DockerFleet "fleet"', "dockfleet:httpProxy", /stored in plain text; run: pulumi config set --secret dockfleet:httpProxy <value> --stack test/],
        ["SSH key file missing", (c) => { delete c["dockfleet:sshPrivateKey"]; c["dockfleet:ssh"] = { privateKeyPath: "/nonexistent/id_ed25519" }; }, 'DockerFleet "fleet"', "dockfleet:ssh.privateKeyPath", /does not exist on this machine/],
        ["no SSH key at all", (c) => { delete c["dockfleet:sshPrivateKey"]; }, 'DockerFleet "fleet"', "dockfleet:sshPrivateKey", /pulumi config set --secret dockfleet:sshPrivateKey/],
        ["registry:3 with swift", (c) => { registry(c).image = "registry:3.0.0"; }, 'Registry "registry"', "dockfleet:registry.image", /registry 3, which has no swift storage driver/],
        ["floating registry tag with swift", (c) => { registry(c).image = "registry:2"; }, 'Registry "registry"', "dockfleet:registry.image", /pinned to a 2.8.x tag/],
        ["unknown storage kind", (c) => { storage(c).kind = "gcs"; }, 'Registry "registry"', "dockfleet:registry.storage.kind", /must be one of "swift", "s3", "filesystem"/],
        ["swift auth URL without version", (c) => { storage(c).authUrl = "https://keystone.example:5000/"; }, 'Registry "registry"', "dockfleet:registry.storage.authVersion", /does not show the auth version/],
        ["missing swift password", (c) => { delete c["dockfleet:swiftPassword"]; }, 'Registry "registry"', "dockfleet:swiftPassword", /is required .* pulumi config set --secret dockfleet:swiftPassword <value> --stack test/],
        ["missing registry http secret", (c) => { delete c["dockfleet:registryHttpSecret"]; }, 'Registry "registry"', "dockfleet:registryHttpSecret", /is required/],
        ["registry on an unknown host", (c) => { registry(c).onHost = "nosuch"; }, 'Registry "registry"', "dockfleet:registry.onHost", /not a host in dockfleet:hosts/],
        ["NFS server by host name", (c) => { (c["dockfleet:stacks"] as any).web.nfsVolumes.data.server = "nfs.example"; }, 'SwarmStack "web"', "dockfleet:stacks.web.nfsVolumes.data.server", /must be an IP address/],
        ["healthcheck duration in words", (c) => { (nginx(c).healthcheck as any).interval = "5 seconds"; }, 'SwarmStack "web"', "dockfleet:stacks.web.services.nginx.healthcheck.interval", /Go duration/],
        ["healthcheck without test", (c) => { nginx(c).healthcheck = { interval: "5s" }; }, 'SwarmStack "web"', "dockfleet:stacks.web.services.nginx.healthcheck.test", /./],
        ["negative replicas", (c) => { nginx(c).replicas = -1; }, 'SwarmStack "web"', "dockfleet:stacks.web.services.nginx.replicas", /./],
        ["compose file missing", (c) => { (c["dockfleet:stacks"] as any).kafka = { composeFile: "stacks/compose/nope.yml" }; }, 'SwarmStack "kafka"', "dockfleet:stacks.kafka.composeFile", /does not exist/],
        ["unit with bad name", (c) => { c["dockfleet:containerUnits"] = [{ name: "my unit", image: "x:1" }]; }, 'ContainerUnit "my unit"', "dockfleet:containerUnits[0].name", /container\/unit name/],
        ["unit on an unknown host", (c) => { c["dockfleet:containerUnits"] = [{ name: "mco", image: "x:1", onHosts: ["ghost"] }]; }, 'ContainerUnit "mco"', "dockfleet:containerUnits[0].onHosts[0]", /not a host/],
        ["unknown part", (c) => { c["dockfleet:parts"] = ["daemon", "volume"]; }, 'DockerFleet "fleet"', "dockfleet:parts[1]", /valid: daemon, swarm, containerUnits, registry, images, stacks, volumes, hostCleanup/],
        // host cleanup (components/host-cleanup): the policy's own checks, named by config key
        ["cleanup age in days", (c) => { c["dockfleet:hostCleanup"] = { age: "7d" }; }, 'HostCleanup "*"', "dockfleet:hostCleanup.age", /^.*"7d" is not an age docker's until filter takes: a Go duration such as "168h" \(7 days\)/],
        ["cleanup on an unknown host", (c) => { c["dockfleet:hostCleanup"] = { onHosts: ["mgr1", "ghost"] }; }, 'HostCleanup "*"', "dockfleet:hostCleanup.onHosts[1]", /"ghost" is not a host in dockfleet:hosts/],
        ["cleanup of all volumes", (c) => { c["dockfleet:hostCleanup"] = { volumes: "all" }; }, 'HostCleanup "*"', "dockfleet:hostCleanup.volumes", /expected boolean, got string/],
        ["cleanup key misspelt", (c) => { c["dockfleet:hostCleanup"] = { keepLabels: ["a"] }; }, 'HostCleanup "*"', "dockfleet:hostCleanup", /unknown key\(s\) "keepLabels"/],
        // swarm membership (components/swarm): refused before any host is asked
        ["two hosts claim swarm init", (c) => { hosts(c)[0].swarmInit = true; hosts(c).push({ name: "mgr2", address: "10.1.0.22", role: "manager", swarmInit: true }); }, 'SwarmCluster "swarm"', "dockfleet:hosts[2].swarmInit", /only one host may init the swarm; "mgr1" and "mgr2" both claim it/],
        ["a worker claims swarm init", (c) => { hosts(c)[1].swarmInit = true; }, 'SwarmCluster "swarm"', "dockfleet:hosts[1].swarmInit", /only a manager can init the swarm/],
        ["unknown swarm role", (c) => { hosts(c)[1].role = "leader"; }, 'DockerFleet "fleet"', "dockfleet:hosts[1].role", /"leader" is not valid; valid: manager, worker, none/],
        ["unknown node availability", (c) => { hosts(c)[1].availability = "off"; }, 'DockerFleet "fleet"', "dockfleet:hosts[1].availability", /"off" is not valid; valid: active, pause, drain/],
        ["workers without a manager", (c) => { hosts(c)[0].role = "worker"; }, 'SwarmCluster "swarm"', "dockfleet:hosts", /at least one manager/],
        ["node label with a space", (c) => { hosts(c)[1].labels = { zone: "eu west" }; }, 'SwarmCluster "swarm"', "dockfleet:hosts[1].labels.zone", /without whitespace/],
        ["node labels on a host outside the swarm", (c) => { hosts(c).push({ name: "solo", address: "10.1.0.40", role: "none", labels: { a: "b" } }); }, 'SwarmCluster "swarm"', "dockfleet:hosts[2].labels", /role none/],
        ["unknown swarm key", (c) => { c["dockfleet:swarm"] = { removeNode: true }; }, 'SwarmCluster "swarm"', "dockfleet:swarm", /unknown key\(s\) "removeNode"/],
    ];

    for (const [desc, mutate, resource, field, msg] of cases) {
        it(`rejects: ${desc}`, () => {
            const secret = desc === "proxy secret stored in plain text" ? new Set(SECRETS.filter((k) => k !== "dockfleet:httpProxy")) : undefined;
            const m = errorsOf(mutate, secret);
            const line = m.split("\n").find((l) => l.includes(`field ${field}:`));
            assert.ok(line, `no error for field ${field} in:\n${m}`);
            assert.ok(line!.includes('stack "test"'), line);
            assert.ok(line!.includes(resource), `expected ${resource} in: ${line}`);
            assert.match(line!, msg);
        });
    }

    it("never echoes a secret in an error", () => {
        const m = errorsOf((c) => { c["dockfleet:httpProxy"] = "ftp://user:topsecretpw@proxy"; });
        assert.doesNotMatch(m, /topsecretpw/);
    });

    it("collects every error of a config in one message", () => {
        const m = errorsOf((c) => { daemon(c).logDriver = "x"; daemon(c).metricsAddr = "y"; registry(c).image = "registry:3"; });
        assert.match(m, /3 errors/);
    });

    it("does not ask for secrets of a part the stack does not manage", () => {
        const c = base();
        delete c["dockfleet:swiftPassword"];
        delete c["dockfleet:registryHttpSecret"];
        c["dockfleet:parts"] = ["daemon", "stacks"];
        assert.deepStrictEqual([...load(c).parts].sort(), ["daemon", "stacks"]);
    });
});

describe("host cleanup in the stack config", () => {
    it("off unless set: not a part, nothing to validate", () => {
        assert.ok(!load(base()).parts.has("hostCleanup"));
    });

    it("{} turns it on with the default policy; a listed parts without it leaves it unmanaged", () => {
        const c = base();
        c["dockfleet:hostCleanup"] = {};
        assert.ok(load(c).parts.has("hostCleanup"));
        c["dockfleet:parts"] = ["daemon"];
        assert.ok(!load(c).parts.has("hostCleanup"));
    });
});

describe("stand-alone NFS volumes in the stack config", () => {
    it("rejects an NFS server given by name and an unknown host, naming the volume", () => {
        const c = base();
        c["dockfleet:volumes"] = [{ onHost: "ghost", name: "data", server: "nfs.example", path: "/x" }];
        let m = "";
        try { load(c); } catch (e) { m = (e as Error).message; }
        assert.match(m, /stack "test", NfsVolume "data", field dockfleet:volumes\[0\]\.server: "nfs.example" must be an IP address/);
        assert.match(m, /NfsVolume "data", field dockfleet:volumes\[0\]\.onHost: "ghost" is not a host/);
    });
});
