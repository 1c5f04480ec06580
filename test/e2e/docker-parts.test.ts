// End-to-end for the parts that go through the docker provider plugin: the registry on Swift,
// the swarm stack with healthchecks, the stand-alone NFS volume — real `pulumi up` on the sandbox.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { onTestEnd } from "../contract/leaks";
import { eventually, sandbox, sh, sleep, ssh } from "../contract/lib";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiCli, useLocalStack } from "./lib";
import { REGISTRY_PASSWORD, registrySecretNeedles } from "./registry-secrets";

const REG = "10.232.0.11:5000";

function swiftList(container: string): string {
    const s = sandbox().swift;
    const r = spawnSync("swift", ["-A", s.authUrl, "-U", s.username, "-K", s.password, "list", container], { encoding: "utf8" });
    return r.stdout;
}

function healthyWeb(): number {
    return ["host1", "host2", "host3"].reduce((n, h) => n + Number(ssh(h, "docker ps -q --filter label=com.docker.swarm.service.name=web_httpd --filter health=healthy | wc -l").stdout.trim() || 0), 0);
}

describe("e2e: registry, swarm stack and NFS volume through the docker provider", function () {
    this.timeout(1800000);
    const log: string[] = [];
    const collect = (s: string) => log.push(s);
    before(() => sandbox());
    const local = useLocalStack(ssh, collect);

    it("up creates the registry, the stack's services and the volume; the outputs say where", async () => {
        const t = Date.now();
        const res = await local.stack.up({ onOutput: collect });
        console.log(`      up from nothing (all parts): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.strictEqual(res.summary.result, "succeeded");
        assert.strictEqual(res.outputs.registryEndpoint.value, REG);
        // web, and hello running the image the stack builds (stacks/Pulumi.local.yaml)
        assert.deepStrictEqual(res.outputs.swarmServices.value, ["hello_web", "web_httpd"]);
        assert.match(res.outputs.nfsVolumes.value[0], /^shared-[0-9a-f]{8}$/);
    });

    it("docker push through the registry (TLS + auth, hosts logged in by the stack) lands in Swift; /v2/_catalog lists it; a pull elsewhere gets the same image", async () => {
        const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-e2e-")), "ca.crt");
        fs.writeFileSync(ca, sh("host2", `cat /etc/docker/certs.d/${REG}/ca.crt`) + "\n");
        const curl = (...a: string[]) => spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--cacert", ca, ...a], { encoding: "utf8" }).stdout;
        await eventually(() => curl(`https://${REG}/v2/`) === "401", 60000, "registry /v2/ over TLS (401 without credentials)");
        const ref = `${REG}/e2e/busybox:1`;
        sh("host2", `docker tag local/busybox:1 ${ref} && docker push ${ref} >/dev/null`);
        const id = sh("host2", `docker image inspect -f '{{.Id}}' ${ref}`);
        assert.match(swiftList("registry"), /docker\/registry\/v2\/repositories\/e2e\/busybox/);
        const catalog = JSON.parse(spawnSync("curl", ["-sf", "--cacert", ca, "-u", `fleet:${REGISTRY_PASSWORD}`, `https://${REG}/v2/_catalog`], { encoding: "utf8" }).stdout);
        assert.ok(catalog.repositories.includes("e2e/busybox"));
        ssh("host3", `docker rmi -f ${ref} >/dev/null 2>&1`);
        sh("host3", `docker pull ${ref} >/dev/null`);
        assert.strictEqual(sh("host3", `docker image inspect -f '{{.Id}}' ${ref}`), id);
        assert.strictEqual(sh("host1", "docker inspect -f '{{.State.Health.Status}}' registry"), "healthy");
        // no login, no pull
        const anon = ssh("host3", `DOCKER_CONFIG=$(mktemp -d) docker pull ${ref} 2>&1`);
        assert.notStrictEqual(anon.code, 0);
        assert.match(anon.stdout, /no basic auth credentials|unauthorized/);
        for (const h of ["host1", "host2", "host3"]) {
            assert.strictEqual(sh(h, "stat -c %a /root/.docker/config.json"), "600");
            assert.deepStrictEqual(JSON.parse(sh(h, "docker info --format '{{json .RegistryConfig.InsecureRegistryCIDRs}}'")), ["127.0.0.0/8"]);
        }
    });

    it("secrets: the CA key, the server key and the registry password appear in no stack export, output or up/preview output", () => {
        const needles = registrySecretNeedles();
        const haystacks: [string, string][] = [["stack export", pulumiCli(["stack", "export"]).out], ["stack outputs", pulumiCli(["stack", "output", "--json"]).out], ["up/preview output", log.join("\n")]];
        const hits = haystacks.flatMap(([where, text]) => needles.filter((n) => text.includes(n)).map((n) => `${where}: ${n.slice(0, 12)}…`));
        assert.deepStrictEqual(hits, []);
    });

    it("the stack's service is healthy on every node and `docker stack ps web` lists it", async () => {
        await eventually(() => healthyWeb() === 3, 120000, "3 healthy web tasks");
        const ps = sh("host1", "docker stack ps web --filter desired-state=running --format '{{.Name}} {{.CurrentState}}'");
        assert.strictEqual(ps.split("\n").filter((l) => /^web_httpd\.\d+ Running/.test(l)).length, 3, ps);
    });

    it("the NFS volume exists with its options (creation only: this kernel has no NFS client to mount it)", () => {
        const name = sh("host1", "docker volume ls -q --filter name=shared-");
        const opts = JSON.parse(sh("host1", `docker volume inspect ${name} --format '{{json .Options}}'`));
        assert.deepStrictEqual(opts, { device: ":/export/shared", o: "addr=10.232.0.1,nfsvers=4,rw,soft", type: "nfs" });
    });

    it("a no-op up shows zero changes (no perpetual diffs in durations or restart-policy defaults)", async () => {
        const pv = await local.stack.preview({ onOutput: collect, diff: true });
        assert.deepStrictEqual(Object.keys(pv.changeSummary), ["same"], pv.stdout.split("\n").filter((l) => /^\s+[~+-]/.test(l)).slice(0, 40).join("\n"));
    });

    it("a healthcheck change rolls the service with its update config, keeping >= 2 of 3 tasks healthy", async () => {
        await local.stack.setConfig("dockfleet:stacks.web.services.httpd.healthcheck.interval", { value: "3s" }, true);
        const samples: number[] = [];
        let sampling = true;
        onTestEnd(() => (sampling = false)); // also when up or the wait below throws
        const sampler = (async () => { while (sampling) { samples.push(healthyWeb()); await sleep(500); } })();
        const res = await local.stack.up({ onOutput: collect });
        await eventually(() => healthyWeb() === 3, 120000, "3 healthy web tasks after the update");
        sampling = false;
        await sampler;
        assert.strictEqual(res.summary.resourceChanges?.update, 1, JSON.stringify(res.summary.resourceChanges));
        const spec = JSON.parse(sh("host1", "docker service inspect web_httpd --format '{{json .Spec}}'"));
        assert.strictEqual(spec.TaskTemplate.ContainerSpec.Healthcheck.Interval, 3e9);
        assert.strictEqual(spec.UpdateConfig.Parallelism, 1);
        assert.strictEqual(spec.UpdateConfig.FailureAction, "rollback");
        console.log(`      rolling update: ${samples.length} samples, min healthy ${Math.min(...samples)}`);
        assert.ok(Math.min(...samples) >= 2, samples.join(","));
    });

    it("destroy removes the registry, services, network and volume", async () => {
        await local.stack.destroy({ onOutput: collect });
        assert.notStrictEqual(ssh("host1", "docker inspect registry").code, 0);
        assert.strictEqual(sh("host1", "docker service ls -q --filter name=web_"), "");
        assert.strictEqual(sh("host1", "docker network ls -q --filter name=web_"), "");
        assert.strictEqual(sh("host1", "docker volume ls -q --filter name=shared-"), "");
    });
});
