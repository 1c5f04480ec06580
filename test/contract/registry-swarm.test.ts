// Contract: the Registry component's environment against the sandbox's real Swift (swift driver
// and s3 driver on s3api), and SwarmStack's services deployed on the real swarm.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { renderRegistryEnv, RegistryStorage } from "../../components/registry/registry-config";
import { renderCompose, renderService } from "../../components/swarm-stack/render";
import { SwarmStackArgs } from "../../components/swarm-stack/spec";
import { durationNs } from "../../components/swarm-stack/units";
import { shQuote } from "../../components/common/shell";
import { eventually, push, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

function swift(...args: string[]) {
    const s = sandbox().swift;
    return spawnSync("swift", ["-A", s.authUrl, "-U", s.username, "-K", s.password, ...args], { encoding: "utf8", timeout: 60000 });
}

function curl(url: string): string {
    const r = spawnSync("curl", ["-sf", "--max-time", "10", url], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`curl ${url} failed: ${r.stderr}`);
    return r.stdout;
}

/** Starts the registry image on host1 with exactly the env the Registry component renders. */
function startRegistry(name: string, port: number, storage: RegistryStorage): void {
    const env = renderRegistryEnv(storage, { httpSecret: "contract-http-secret", deleteEnabled: true, port });
    const envArgs = Object.entries(env).map(([k, v]) => `-e ${shQuote(`${k}=${v}`)}`).join(" ");
    ssh("host1", `docker rm -f ${name} >/dev/null 2>&1`);
    sh("host1", `docker run -d --name ${name} -p ${port}:${port} ${envArgs} ${sandbox().images.registry}`);
}

describe("contract: registry on the sandbox's Swift", function () {
    this.timeout(600000);
    const REG = "10.232.0.11";

    before(() => {
        settledSwarm();
        sandbox();
        // every host trusts the sandbox registries over plain HTTP (pushed with the product)
        for (const h of ["host2", "host3"]) {
            const r = push(h, { insecureRegistries: [`${REG}:5000`, `${REG}:5001`] });
            assert.strictEqual(r.code, 0, r.stderr);
        }
    });
    after(() => {
        ssh("host1", "docker rm -f dfreg-swift dfreg-s3 dfreg-bad >/dev/null 2>&1");
        for (const h of ["host2", "host3"]) restore(h);
    });

    for (const mode of ["swift", "s3"] as const) {
        it(`${mode} driver: push from host2, objects in Swift, catalog and tags list it, pull on host3 gives the same image ID`, async () => {
            const s = sandbox().swift;
            const port = mode === "swift" ? 5000 : 5001;
            const container = mode === "swift" ? "dfreg-swift" : "dfreg-s3";
            const bucket = `contract-${mode}-${Date.now()}`;
            if (mode === "s3") assert.strictEqual(swift("post", bucket).status, 0, "create the bucket (the 2.8 s3 driver does not)");
            const storage: RegistryStorage = mode === "swift"
                ? { kind: "swift", authUrl: s.authUrl, username: s.username, password: s.password, container: bucket, authVersion: 1 }
                : { kind: "s3", region: s.s3Region, regionEndpoint: s.s3Endpoint, bucket, accessKey: s.username, secretKey: s.password };
            startRegistry(container, port, storage);
            await eventually(() => spawnSync("curl", ["-sf", "--max-time", "3", `http://${REG}:${port}/v2/`]).status === 0, 30000, "registry /v2/");
            const ref = `${REG}:${port}/contract/busybox:1`;
            sh("host2", `docker tag ${sandbox().images.busybox} ${ref} && docker push ${ref} >/dev/null`);
            const id = sh("host2", `docker image inspect -f '{{.Id}}' ${ref}`);
            const objects = swift("list", bucket);
            assert.strictEqual(objects.status, 0, objects.stderr);
            assert.match(objects.stdout, /docker\/registry\/v2\/repositories\/contract\/busybox/);
            assert.match(objects.stdout, /docker\/registry\/v2\/blobs\/sha256\//);
            assert.ok(JSON.parse(curl(`http://${REG}:${port}/v2/_catalog`)).repositories.includes("contract/busybox"));
            assert.deepStrictEqual(JSON.parse(curl(`http://${REG}:${port}/v2/contract/busybox/tags/list`)).tags, ["1"]);
            ssh("host3", `docker rmi -f ${ref} >/dev/null 2>&1`);
            sh("host3", `docker pull ${ref} >/dev/null`);
            assert.strictEqual(sh("host3", `docker image inspect -f '{{.Id}}' ${ref}`), id);
        });
    }

    it("a wrong Swift password: the registry exits and its log says why", async () => {
        const s = sandbox().swift;
        startRegistry("dfreg-bad", 5002, { kind: "swift", authUrl: s.authUrl, username: s.username, password: "wrong-password", container: "x", authVersion: 1 });
        await eventually(() => sh("host1", "docker inspect -f '{{.State.Running}}' dfreg-bad") === "false", 30000, "registry to exit");
        assert.match(ssh("host1", "docker logs dfreg-bad 2>&1").stdout, /swift authentication failed: Authorization Failed/);
    });

});

describe("contract: swarm stack on the sandbox swarm", function () {
    this.timeout(600000);
    const STACK = "dfcontract";
    const spec: SwarmStackArgs = {
        name: STACK,
        services: {
            web: {
                image: "local/busybox:1",
                args: ["httpd", "-f", "-p", "8080", "-h", "/www"],
                replicas: 3,
                endpointMode: "dnsrr",
                ports: [{ target: 8080, published: 18080, mode: "host" }],
                healthcheck: { test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"], interval: "2s", timeout: "1s", retries: 3, startPeriod: "1s" },
                update: { parallelism: 1, delay: "2s", failureAction: "rollback", monitor: "5s", order: "stop-first" },
                rollback: { parallelism: 1, delay: "1s", failureAction: "pause" },
                restartPolicy: { condition: "any", delay: "2s" },
                placement: { constraints: ["node.role == manager"], maxReplicasPerNode: 1 },
                stopGracePeriod: "2s",
                labels: { team: "ops" },
            },
            files: {
                image: "local/busybox:1",
                args: ["sleep", "3600"],
                replicas: 1,
                endpointMode: "dnsrr",
                mounts: [{ type: "nfs", source: "shared", target: "/data" }],
                restartPolicy: { condition: "none" },
            },
        },
        nfsVolumes: { shared: { server: "10.232.0.1", path: "/export/shared", nfsVersion: "4", options: ["rw", "soft"] } },
        tz: "UTC",
    };

    before(() => {
        settledSwarm();
        sandbox();
        sh("host1", `cat > /root/${STACK}.yml <<'EOF'\n${renderCompose(spec)}EOF`);
        sh("host1", `docker stack deploy --resolve-image never -c /root/${STACK}.yml ${STACK} >/dev/null`);
    });
    after(() => {
        ssh("host1", `docker stack rm ${STACK}`);
    });

    it("every task of the healthchecked service becomes healthy and `docker stack ps` lists them", async () => {
        await eventually(() => {
            const n = ["host1", "host2", "host3"].reduce((acc, h) => acc + Number(ssh(h, `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_web --filter health=healthy | wc -l`).stdout.trim() || 0), 0);
            return n === 3;
        }, 120000, "3 healthy web tasks");
        const ps = sh("host1", `docker stack ps ${STACK} --filter desired-state=running --format '{{.Name}} {{.CurrentState}}'`);
        assert.strictEqual(ps.split("\n").filter((l) => l.startsWith(`${STACK}_web.`) && / Running /.test(l + " ")).length, 3, ps);
        assert.match(sh("host1", `docker stack services ${STACK} --format '{{.Name}}'`), new RegExp(`${STACK}_web`));
    });

    it("the engine's spec equals what the component's docker.Service inputs say", () => {
        const want = renderService(spec, "web") as any;
        const got = JSON.parse(sh("host1", `docker service inspect ${STACK}_web --format '{{json .Spec}}'`));
        const hc = got.TaskTemplate.ContainerSpec.Healthcheck;
        const wantHc = want.taskSpec.containerSpec.healthcheck;
        assert.deepStrictEqual(hc.Test, wantHc.tests);
        assert.strictEqual(hc.Interval, durationNs(wantHc.interval));
        assert.strictEqual(hc.Timeout, durationNs(wantHc.timeout));
        assert.strictEqual(hc.Retries, wantHc.retries);
        assert.strictEqual(hc.StartPeriod, durationNs(wantHc.startPeriod));
        assert.strictEqual(got.UpdateConfig.Parallelism, want.updateConfig.parallelism);
        assert.strictEqual(got.UpdateConfig.Delay, durationNs(want.updateConfig.delay));
        assert.strictEqual(got.UpdateConfig.FailureAction, want.updateConfig.failureAction);
        assert.strictEqual(got.UpdateConfig.Monitor, durationNs(want.updateConfig.monitor));
        assert.strictEqual(got.UpdateConfig.Order, want.updateConfig.order);
        assert.strictEqual(got.RollbackConfig.FailureAction, want.rollbackConfig.failureAction);
        assert.strictEqual(got.TaskTemplate.RestartPolicy.Condition, want.taskSpec.restartPolicy.condition);
        assert.strictEqual(got.TaskTemplate.RestartPolicy.Delay, durationNs(want.taskSpec.restartPolicy.delay));
        assert.deepStrictEqual(got.TaskTemplate.Placement.Constraints, want.taskSpec.placement.constraints);
        assert.strictEqual(got.TaskTemplate.Placement.MaxReplicas, want.taskSpec.placement.maxReplicas);
        assert.strictEqual(got.Labels["com.docker.stack.namespace"], STACK);
        assert.strictEqual(got.Labels.team, "ops");
        assert.strictEqual(got.TaskTemplate.ContainerSpec.Labels["com.docker.stack.namespace"], STACK);
        assert.strictEqual(got.Mode.Replicated.Replicas, 3);
        assert.strictEqual(got.EndpointSpec.Mode, "dnsrr");
        assert.deepStrictEqual(got.EndpointSpec.Ports.map((p: any) => [p.TargetPort, p.PublishedPort, p.PublishMode]), [[8080, 18080, "host"]]);
        assert.ok(got.TaskTemplate.ContainerSpec.Env.includes("TZ=UTC"));
        assert.ok(got.TaskTemplate.ContainerSpec.Mounts.some((m: any) => m.Target === "/etc/localtime" && m.ReadOnly));
    });

    it("NFS volume options land in the mount on the node (this kernel has no NFS client: the start fails with ENODEV, proving the options reached mount)", async () => {
        const want = renderService(spec, "files") as any;
        const mount = want.taskSpec.containerSpec.mounts.find((m: any) => m.target === "/data");
        const got = JSON.parse(sh("host1", `docker service inspect ${STACK}_files --format '{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}'`));
        const m = got.find((x: any) => x.Target === "/data");
        assert.strictEqual(m.Source, mount.source);
        assert.deepStrictEqual(m.VolumeOptions.DriverConfig, { Name: "local", Options: { type: "nfs", o: "addr=10.232.0.1,nfsvers=4,rw,soft", device: ":/export/shared" } });
        let err = "";
        await eventually(() => {
            err = ssh("host1", `docker service ps ${STACK}_files --no-trunc --format '{{.Error}}'`).stdout;
            return /failed to mount local volume/.test(err);
        }, 120000, "the task's mount error");
        // rw is a mount flag, not data: the kernel's mount data is the rest of o=
        assert.match(err, /mount :\/export\/shared:.*data: addr=10\.232\.0\.1,nfsvers=4,soft: no such device/);
        assert.match(err, /no such device/);
        const node = ssh("host1", `docker service ps ${STACK}_files --format '{{.Node}}' | head -1`).stdout.trim();
        const vol = JSON.parse(sh(node, `docker volume inspect ${mount.source} --format '{{json .Options}}'`));
        assert.deepStrictEqual(vol, { device: ":/export/shared", o: "addr=10.232.0.1,nfsvers=4,rw,soft", type: "nfs" });
    });

    it("a healthcheck change rolls the service with its update config (one task at a time)", async () => {
        const before = sh("host1", `docker service inspect ${STACK}_web --format '{{.Version.Index}}'`);
        sh("host1", `docker service update -d --health-interval 3s ${STACK}_web >/dev/null`);
        await eventually(() => /completed/.test(ssh("host1", `docker service inspect ${STACK}_web --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'`).stdout), 180000, "update completed");
        assert.notStrictEqual(sh("host1", `docker service inspect ${STACK}_web --format '{{.Version.Index}}'`), before);
    });
});
