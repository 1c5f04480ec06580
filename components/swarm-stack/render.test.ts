import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { composeVariables, renderCompose, renderNetwork, renderService } from "./render";
import { yumRepoStack } from "./fixtures";
import { SwarmStackArgs } from "./spec";
import { memoryBytes, normalizeDuration } from "./units";

const NS = { label: "com.docker.stack.namespace", value: "yum_repo" };

describe("swarm-stack renderer", () => {
    it("renders the yum_repo nginx service exactly (golden)", () => {
        assert.deepStrictEqual(renderService(yumRepoStack(), "nginx"), {
            name: "yum_repo_nginx",
            labels: [NS],
            mode: { replicated: { replicas: 2 } },
            taskSpec: {
                containerSpec: {
                    image: "nginx:1.25-alpine",
                    env: { TZ: "Europe/Berlin" },
                    healthcheck: { tests: ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "1m30s" },
                    mounts: [
                        {
                            type: "volume", source: "yum_repo_repodata-f274a860", target: "/usr/share/nginx/html", readOnly: true,
                            volumeOptions: {
                                driverName: "local",
                                driverOptions: { type: "nfs", o: "addr=10.20.0.10,nfsvers=4,ro,hard,timeo=600", device: ":/export/yum" },
                                labels: [NS],
                            },
                        },
                        { type: "bind", source: "/etc/localtime", target: "/etc/localtime", readOnly: true },
                    ],
                    labels: [NS],
                },
                restartPolicy: { condition: "any", delay: "5s", maxAttempts: 0, window: "0s" },
                placement: { constraints: ["node.labels.zone == a"] },
                resources: { limits: { nanoCpus: 500000000, memoryBytes: 268435456 } },
                networksAdvanceds: [{ id: "yum_repo_web", aliases: ["nginx"] }],
            },
            updateConfig: { parallelism: 1, delay: "10s", failureAction: "rollback", monitor: "30s", order: "start-first" },
            rollbackConfig: { parallelism: 1, delay: "10s", failureAction: "pause", monitor: "30s", order: "stop-first" },
            endpointSpec: { mode: "vip", ports: [{ targetPort: 80, publishedPort: 8080, protocol: "tcp", publishMode: "ingress" }] },
            convergeConfig: { delay: "2s", timeout: "3m" },
        });
    });

    it("applies defaults for a minimal service: default network, update/rollback/restart policy, no TZ", () => {
        const r = renderService({ name: "s", services: { api: { image: "api:1" } } }, "api") as any;
        assert.deepStrictEqual(r.taskSpec.networksAdvanceds, [{ id: "s_default", aliases: ["api"] }]);
        assert.deepStrictEqual(r.updateConfig, { parallelism: 1, delay: "10s", failureAction: "rollback", monitor: "30s", order: "stop-first" });
        assert.deepStrictEqual(r.rollbackConfig.failureAction, "pause");
        assert.deepStrictEqual(r.taskSpec.restartPolicy, { condition: "any", delay: "5s", maxAttempts: 0, window: "0s" });
        assert.deepStrictEqual(r.taskSpec.containerSpec.env, {});
        assert.deepStrictEqual(r.taskSpec.containerSpec.mounts, []);
        assert.deepStrictEqual(r.mode, { replicated: { replicas: 1 } });
        assert.deepStrictEqual(renderNetwork({ name: "s", services: { api: { image: "api:1" } } }, "default"), {
            name: "s_default", driver: "overlay", attachable: false, labels: [{ label: "com.docker.stack.namespace", value: "s" }],
        });
    });

    it("global services have no replicas and no convergence wait; a service's own TZ wins", () => {
        const a: SwarmStackArgs = { name: "mon", tz: "UTC", services: { node_exporter: { image: "prom/node-exporter:v1.8.0", mode: "global", env: { TZ: "Europe/Paris" } } } };
        const r = renderService(a, "node_exporter") as any;
        assert.deepStrictEqual(r.mode, { global: true });
        assert.strictEqual(r.convergeConfig, undefined);
        assert.strictEqual(r.taskSpec.containerSpec.env.TZ, "Europe/Paris");
    });

    it("normalises durations to the provider's read-back form (no perpetual diffs)", () => {
        assert.deepStrictEqual(["10s", "90s", "60s", "3600s", "1h30m", "500ms", "1.5s", "0", "2m3s"].map(normalizeDuration), ["10s", "1m30s", "1m", "1h", "1h30m", "500ms", "1.5s", "0s", "2m3s"]);
        const r = renderService({ name: "s", convergeTimeout: "300s", services: { a: { image: "a:1", stopGracePeriod: "120s", restartPolicy: { delay: "60s" } } } }, "a") as any;
        assert.deepStrictEqual([r.convergeConfig.timeout, r.taskSpec.containerSpec.stopGracePeriod, r.taskSpec.restartPolicy.delay], ["5m", "2m", "1m"]);
    });

    it("parses docker memory sizes with binary multiples", () => {
        assert.deepStrictEqual(["512M", "1g", "256mb", "1GiB", "1048576", "1.5G", "5 seconds"].map((m) => memoryBytes(m)), [536870912, 1073741824, 268435456, 1073741824, 1048576, 1610612736, undefined]);
    });

    it("renders plain volumes with the stack prefix, bind mounts as given, host ports and dnsrr", () => {
        const r = renderService({ name: "db", services: { pg: { image: "postgres:16", endpointMode: "dnsrr", ports: [{ target: 5432, published: 5432, mode: "host" }], mounts: [{ type: "volume", source: "data", target: "/var/lib/postgresql/data" }, { type: "bind", source: "/srv/conf", target: "/conf", readOnly: true }] } } }, "pg") as any;
        assert.deepStrictEqual(r.taskSpec.containerSpec.mounts, [
            { type: "volume", source: "db_data", target: "/var/lib/postgresql/data", readOnly: false, volumeOptions: { labels: [{ label: "com.docker.stack.namespace", value: "db" }] } },
            { type: "bind", source: "/srv/conf", target: "/conf", readOnly: true },
        ]);
        assert.deepStrictEqual(r.endpointSpec, { mode: "dnsrr", ports: [{ targetPort: 5432, publishedPort: 5432, protocol: "tcp", publishMode: "host" }] });
    });

    it("NFS option changes give the volume a new name", () => {
        const a = yumRepoStack();
        const b = yumRepoStack();
        b.nfsVolumes!.repodata.options = ["ro", "soft"];
        const src = (x: SwarmStackArgs) => ((renderService(x, "nginx") as any).taskSpec.containerSpec.mounts[0].source as string);
        assert.match(src(a), /^yum_repo_repodata-[0-9a-f]{8}$/);
        assert.notStrictEqual(src(a), src(b));
    });
});

describe("compose renderer", () => {
    it("renders an equivalent compose v3.8 file with NFS volume name and TZ", () => {
        const text = renderCompose(yumRepoStack());
        assert.match(text, /^# Generated by dockfleet for stack "yum_repo"/);
        const c = YAML.parse(text);
        assert.strictEqual(c.version, "3.8");
        assert.deepStrictEqual(c.volumes.repodata, { name: "yum_repo_repodata-f274a860", driver: "local", driver_opts: { type: "nfs", o: "addr=10.20.0.10,nfsvers=4,ro,hard,timeo=600", device: ":/export/yum" } });
        assert.deepStrictEqual(c.services.nginx.environment, { TZ: "Europe/Berlin" });
        assert.deepStrictEqual(c.services.nginx.deploy.resources, { limits: { cpus: "0.5", memory: "256M" } });
        assert.deepStrictEqual(c.networks, { web: { driver: "overlay", attachable: true } });
        assert.deepStrictEqual(c.services.nginx.volumes[1], { type: "bind", source: "/etc/localtime", target: "/etc/localtime", read_only: true });
    });

    it("renders secret env values as ${VAR} references and lists them, never the value", () => {
        const a: SwarmStackArgs = { name: "app", services: { "web-api": { image: "api:1", env: { DB_PASSWORD: pulumi.secret("hunter2"), PLAIN: "cost $5" } } } };
        const text = renderCompose(a);
        assert.ok(!text.includes("hunter2"));
        const c = YAML.parse(text);
        assert.deepStrictEqual(c.services["web-api"].environment, { DB_PASSWORD: "${WEB_API_DB_PASSWORD}", PLAIN: "cost $$5" });
        assert.deepStrictEqual(composeVariables(a), ["WEB_API_DB_PASSWORD"]);
        assert.match(text, /export before deploying: WEB_API_DB_PASSWORD/);
    });
});
