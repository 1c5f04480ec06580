// The production fleet of stacks/Pulumi.prod.yaml written directly in TypeScript with the
// components from the @dockfleet/components package: a registry host on Swift and a 4-node swarm
// (1 manager, 3 workers) behind the corporate proxy, an mcollective unit on every host, and three
// swarm stacks (two inline, kafka imported from a compose file).
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import {
    ContainerUnit, ContainerUnitSpec, DaemonConfig, DockerFleet, FleetHost, Registry, SwarmCluster, SwarmStack, SwarmStackArgs, hostKeySshOptions, importCompose,
} from "@dockfleet/components";

const config = new pulumi.Config();
// Secrets: pulumi config set --secret sshPrivateKey -- "$(cat deploy_key)"; likewise httpProxy,
// httpsProxy (URLs with credentials), swiftPassword and registryHttpSecret.
const sshPrivateKey = config.requireSecret("sshPrivateKey");
const sshUser = "root";
const sshPort = 22;

// Each host's SSH host key, pinned (ssh-keyscan -t ed25519 HOST, its fingerprint checked on the
// host): every connection verifies it before logging in.
const hosts: FleetHost[] = [
    { name: "registry01", address: "10.20.0.10", role: "none", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsdS6b7Q9a1Q6rbf7v5etrBK4xW6aa68zQNda4mRCmH" },
    { name: "swarm-mgr01", address: "10.20.0.21", role: "manager", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1uR6zdQRry5jM1d/bS/xUp1bf2zch2UibcMj7Agjqh" },
    { name: "swarm-wrk01", address: "10.20.0.31", role: "worker", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOigJaKL0DSPML/2hKOzoM7wS0zNObMJ2fSnV0eQYOZR" },
    { name: "swarm-wrk02", address: "10.20.0.32", role: "worker", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMvU6E6wapdVqnYTwNaCEutCsAbt4+PzSnTiWI975Hle" },
    { name: "swarm-wrk03", address: "10.20.0.33", role: "worker", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINDMVR9KH9v+tmfjnNPFa94uKoRgoDBDPcqwdEvc3Tty" },
];
const registryHost = hosts[0];
const registryAddress = `${registryHost.address}:5000`;

// devicemapper direct-lvm is refused on Engine >= 25; these hosts run the distribution's 20.10.
const daemon: DaemonConfig = {
    registryMirrors: ["https://mirror.corp.example"],
    insecureRegistries: [registryAddress],
    metricsAddr: "0.0.0.0:9323",
    experimental: false,
    logDriver: "fluentd",
    logOpts: { "fluentd-address": "10.20.0.5:24224", "fluentd-async": "true", "tag": "{{.ImageName}}/{{.Name}}/{{.ID}}" },
    storageDriver: "devicemapper",
    directLvm: { device: "/dev/xvdf", thinpPercent: 95, thinpMetaPercent: 1, thinpAutoextendThreshold: 80, thinpAutoextendPercent: 20 },
    dataRoot: "/data/docker",
    labels: { "dockfleet.env": "prod" },
};

// daemon.json and the proxy drop-in on every host, one host restarted at a time.
const fleet = new DockerFleet("fleet", {
    hosts,
    ssh: { user: sshUser, port: sshPort, privateKey: sshPrivateKey },
    daemon,
    proxy: {
        httpProxy: config.requireSecret("httpProxy"),
        httpsProxy: config.requireSecret("httpsProxy"),
        noProxy: [".corp.example", "10.20.0.0/16"],
    },
    fleetRegistries: [registryAddress],
    engineVersion: "20.10",
    batchSize: 1,
    restartTimeoutSeconds: 90,
    smokeImage: `${registryAddress}/library/busybox:1.36`,
    onDelete: "keep",
    // An SSH probe of every host on each preview, so hand edits show up as changes.
    driftCheck: config.getBoolean("driftCheck") ?? false,
});
// Everything below runs on dockerd as configured above.
const afterFleet = { dependsOn: [fleet] };

const mcollective: ContainerUnitSpec = {
    name: "mcollective",
    image: `${registryAddress}/ops/mcollective:2.12.5`,
    runArgs: ["--net=host", "-v", "/etc/mcollective:/etc/mcollective:ro", "-v", "/var/run/docker.sock:/var/run/docker.sock"],
    restart: "on-failure",
    restartSec: "10s",
    startLimitBurst: 5,
    startLimitInterval: "300s",
    pullOnStart: true,
};
for (const h of hosts) {
    new ContainerUnit(`${h.name}-${mcollective.name}`, {
        ...mcollective,
        connection: { host: h.address, port: sshPort, user: sshUser, privateKey: sshPrivateKey, hostKey: h.hostKey },
    }, afterFleet);
}

// The docker provider reaches a host through the system ssh client (key from ssh-agent or ~/.ssh),
// which checks the host strictly against a known_hosts file of its pinned key (hostKeySshOptions).
const dockerOn = (h: FleetHost) => new docker.Provider(`docker-${h.name}`, {
    host: `ssh://${sshUser}@${h.address}:${sshPort}`,
    sshOpts: [...hostKeySshOptions({ address: h.address, port: sshPort, hostKey: h.hostKey }), "-o", "LogLevel=ERROR"],
});

const registry = new Registry("registry", {
    host: registryHost.address,
    image: "registry:2.8.3",
    storage: {
        kind: "swift",
        authUrl: "https://keystone.corp.example:5000/v3",
        authVersion: 3,
        username: "svc-registry",
        password: config.requireSecret("swiftPassword"),
        tenant: "docker",
        domain: "Default",
        region: "RegionOne",
        container: "docker-registry",
        chunkSize: 20971520,
    },
    httpSecret: config.requireSecret("registryHttpSecret"),
    deleteEnabled: true,
}, { provider: dockerOn(registryHost), ...afterFleet });

const tz = "Europe/Berlin";
const stacks: SwarmStackArgs[] = [
    {
        name: "yum_repo",
        services: {
            nginx: {
                image: `${registryAddress}/library/nginx:1.24`,
                replicas: 2,
                ports: [{ target: 80, published: 8080 }],
                healthcheck: { test: ["CMD", "curl", "-fsS", "http://127.0.0.1/repodata/repomd.xml"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "20s" },
                update: { parallelism: 1, delay: "10s", failureAction: "rollback", monitor: "30s", order: "start-first" },
                rollback: { parallelism: 1, delay: "5s", failureAction: "pause" },
                restartPolicy: { condition: "any", delay: "5s" },
                placement: { constraints: ["node.role == worker"], maxReplicasPerNode: 1 },
                resources: { limits: { cpus: "1", memory: "512M" }, reservations: { memory: "128M" } },
                mounts: [{ type: "nfs", source: "repo", target: "/usr/share/nginx/html", readOnly: true }],
            },
        },
        nfsVolumes: { repo: { server: "10.20.0.40", path: "/export/yum", nfsVersion: "4.1", options: ["ro", "hard", "timeo=600"] } },
        tz,
    },
    // The compose file kafka ran from before (`docker stack deploy -c kafka.yml kafka`), imported
    // as-is; unsupported compose keys are errors naming their path. Paths are relative to the
    // project directory, which is where `pulumi` runs the program.
    { ...importCompose(fs.readFileSync("kafka.yml", "utf8"), "kafka"), tz },
    {
        name: "prometheus",
        services: {
            "prometheus": {
                image: `${registryAddress}/prom/prometheus:v2.45.0`,
                replicas: 1,
                ports: [{ target: 9090, published: 9090 }],
                healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/healthy"], interval: "15s", timeout: "5s", retries: 3, startPeriod: "30s" },
                update: { parallelism: 1, delay: "10s", failureAction: "rollback", monitor: "30s" },
                placement: { constraints: ["node.role == manager"] },
                mounts: [{ type: "nfs", source: "tsdb", target: "/prometheus" }],
            },
            "node-exporter": {
                image: `${registryAddress}/prom/node-exporter:v1.6.1`,
                mode: "global",
                ports: [{ target: 9100, published: 9100, mode: "host" }],
                healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9100/metrics"], interval: "30s", timeout: "5s", retries: 3 },
                update: { parallelism: 1, delay: "5s", failureAction: "rollback", monitor: "15s" },
            },
        },
        nfsVolumes: { tsdb: { server: "10.20.0.40", path: "/export/prometheus", nfsVersion: "4.1", options: ["rw", "hard"] } },
        tz,
    },
];
// Membership from the roles: swarm-mgr01 inits the swarm (or hands out tokens if it exists), the
// workers join, after every daemon apply. Pass `observed: await probeSwarm(...)` from an async
// program to see the plan in the preview and repair hand changes (dockfleet's own index.ts does).
const membership = new SwarmCluster("swarm", { hosts, ssh: { user: sshUser, port: sshPort, privateKey: sshPrivateKey } }, afterFleet);

// Services are created through the swarm manager, once the nodes are in.
const manager = dockerOn(hosts.find((h) => h.role === "manager")!);
const swarm = stacks.map((s) => new SwarmStack(s.name, s, { provider: manager, dependsOn: [membership] }));

export const restartBatches = fleet.batches;
export const daemonJson = pulumi.all(fleet.hosts.map((h) => h.daemonJson)).apply((texts) =>
    Object.fromEntries(texts.map((t, i) => [fleet.hosts[i].hostName, JSON.parse(t)])));
export const registryEndpoint = registry.endpoint;
export const registryCatalogUrl = registry.catalogUrl;
export const swarmServices = pulumi.all(swarm.map((s) => s.serviceNames)).apply((names) => names.flat());
