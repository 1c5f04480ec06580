// One host, one daemon.json: the smallest program using @dockfleet/components. DockerHost pushes
// /etc/docker/daemon.json over SSH and applies it safely (validate, back up, restart or reload,
// health checks, smoke container, roll back on failure).
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { DaemonConfig, DockerHost } from "@dockfleet/components";

const config = new pulumi.Config();

// The daemon.json model. Setting any `daemon` key (`pulumi config set --path daemon.debug true`)
// replaces this default model whole.
const daemon = config.getObject<DaemonConfig>("daemon") ?? {
    registryMirrors: ["https://registry-mirror.corp.example"],
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    metricsAddr: "127.0.0.1:9323",
    labels: { "dockfleet.example": "single-host" },
};

// The key as a secret (`pulumi config set --secret sshPrivateKey -- "$(cat key)"`) or a key file.
const privateKey = config.getSecret("sshPrivateKey") ?? pulumi.secret(fs.readFileSync(config.require("sshPrivateKeyPath"), "utf8"));

const host = new DockerHost("docker01", {
    connection: {
        host: config.require("host"),
        port: config.getNumber("sshPort") ?? 22,
        user: config.get("sshUser") ?? "root",
        privateKey,
        // the host's SSH host key (`ssh-keyscan -t ed25519 HOST`, its fingerprint checked on the
        // host): the command provider refuses a host presenting another one before logging in
        hostKey: config.require("hostKey"),
    },
    daemon,
    engineVersion: config.get("engineVersion"),
    swarm: config.getBoolean("swarm") ?? false,
    smokeImage: config.get("smokeImage"),
});

export const daemonJson = host.daemonJson;
export const applyLog = host.applyLog;
