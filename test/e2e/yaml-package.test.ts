// End-to-end: the dockfleet component package (packages/pulumi-plugin) from a Pulumi YAML program,
// as a user runs it — examples/yaml-fleet copied outside the repository (its DockerFleet of one host
// and its SwarmStack, adapted to the sandbox by yamlFleetProgram), `pulumi package add <plugin dir>`,
// then `pulumi up` / `preview` / `destroy` on the real engine (pulumi-language-yaml, the Node.js
// host running the plugin, pulumi-resource-command, pulumi-resource-docker) against host3.
// NOTE: pulumi-language-yaml here is upstream pulumi-yaml v1.25.0 started from dockfleet's own
// main.go (tools/pulumi-language-yaml: a no-op Link and the engine's schema loader, as upstream's
// later releases do); a user's CLI ships a newer upstream host.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HOST_STATE_DIR } from "../../components/docker-host/drift";
import { eventually, health, sandbox, sh, ssh } from "../contract/lib";
import { ROOT, cleanHosts, loadEngineEnv, yamlFleetProgram } from "./lib";

const HOST = "host3";
const DJ = "/etc/docker/daemon.json";
const PLUGIN = path.join(ROOT, "packages/pulumi-plugin");
const PROJECT = "dockfleet-example-yaml-fleet";

/** What dockfleet may touch on the host: daemon.json and the docker.service drop-ins, by content hash. */
const dockerFiles = () => sh(HOST, `cd / && for f in ${DJ} /etc/systemd/system/docker.service.d/*.conf; do [ -e "$f" ] && sha256sum "$f"; done; true`);

describe("e2e: the dockfleet component package from a Pulumi YAML program, on a sandbox host", function () {
    this.timeout(900000);
    let tmp = "";
    let dir = "";
    let stack: Stack | undefined;
    let key = "";
    let before0 = "";
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);

    before(async () => {
        const sb = sandbox();
        loadEngineEnv(); // builds pulumi-language-yaml too (beside the CLI) unless Pulumi is installed
        cleanHosts(ssh);
        before0 = dockerFiles();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-yaml-e2e-"));
        dir = path.join(tmp, "yaml-fleet");
        yamlFleetProgram(dir, { keyPath: sb.sshKeyPath, image: sb.images.busybox });
        console.log("      NOTE: the YAML language host is upstream pulumi-yaml v1.25.0 with dockfleet's own main.go (no-op Link, engine schema loader): see tools/pulumi-language-yaml/README.md");
        key = fs.readFileSync(sb.sshKeyPath, "utf8");
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "e2e", workDir: dir }, { envVars: {} });
        await stack.setAllConfig({
            host: { value: sb.hosts.find((h) => h.name === HOST)!.address },
            hostKey: { value: sb.hosts.find((h) => h.name === HOST)!.hostKey! },
            knownHostsFile: { value: path.join(path.dirname(sb.sshConfigPath), "ssh", "known_hosts") },
            sshPrivateKey: { value: key, secret: true },
            smokeImage: { value: sb.images.busybox },
        });
    });

    after(async () => {
        if (stack) {
            await stack.destroy({ onOutput: collect }).catch(() => undefined);
            await stack.workspace.removeStack("e2e").catch(() => undefined);
        }
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("pulumi package add <plugin dir> records the package in Pulumi.yaml", () => {
        const r = spawnSync("pulumi", ["package", "add", PLUGIN, "--non-interactive"], { cwd: dir, encoding: "utf8", env: process.env, timeout: 300000 });
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /Added package dockfleet/);
        const prog = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        assert.deepStrictEqual(prog.packages, { dockfleet: PLUGIN });
        assert.ok(fs.existsSync(path.join(dir, "sdks/dockfleet/dockfleet-0.1.0.yaml")), "the YAML package declaration");
        assert.deepStrictEqual(Object.keys(prog.resources), ["fleet", "manager", "web"]);
    });

    it("pulumi up applies the program's daemon.json with a verified restart; the next preview changes nothing", async () => {
        assert.strictEqual(ssh(HOST, `test -e ${DJ}`).code, 1, "host3 starts without daemon.json");
        const res = await stack!.up({ onOutput: collect });
        assert.strictEqual(res.summary.result, "succeeded");
        // stack, dockfleet:index:DockerFleet, dockfleet:dockerhost:DockerFleet, DockerHost, its apply
        // command; the docker provider, dockfleet:index:SwarmStack, dockfleet:swarm:SwarmStack, network, service
        assert.strictEqual(res.summary.resourceChanges?.create, 10, JSON.stringify(res.summary.resourceChanges));
        assert.deepStrictEqual(res.outputs.services?.value, ["yamlweb_httpd"]);
        await eventually(() => /^1\/1$/.test(sh(HOST, "docker service ls --filter name=yamlweb_httpd --format '{{.Replicas}}'")), 90000, "yamlweb_httpd 1/1");
        const env = sh(HOST, "docker service inspect yamlweb_httpd --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'");
        assert.match(env, /GREETING=hello/, "the secret env value reaches the service");
        const info = JSON.parse(sh(HOST, "docker info --format '{{json .}}'"));
        assert.ok(info.Labels.includes("dockfleet.example=yaml-fleet"), `dockerd runs the program's config: ${info.Labels}`);
        assert.deepStrictEqual(info.RegistryConfig.Mirrors, ["https://registry-mirror.corp.example/"]);
        assert.match(sh(HOST, `tail -3 ${HOST_STATE_DIR}/apply.log`), /applied \(restart\)/);
        // the claim is named for the YAML program's project and stack, and the host's resource
        assert.strictEqual(sh(HOST, `cat ${HOST_STATE_DIR}/claims/${PROJECT}.e2e.docker01`), "1");
        const dj = res.outputs.daemonJson?.value as Record<string, string>;
        assert.deepStrictEqual(Object.keys(dj), ["docker01"]);
        assert.ok(JSON.parse(dj.docker01).labels.includes("dockfleet.example=yaml-fleet"));
        assert.deepStrictEqual(res.outputs.restartBatches?.value, [["docker01"]]);
        // the SSH key is in state only encrypted
        // The CLI as an operator runs it (the Automation API's exportStack adds --show-secrets).
        const ex = spawnSync("pulumi", ["stack", "export", "--stack", "e2e", "--non-interactive"], { cwd: dir, encoding: "utf8", env: process.env, timeout: 120000 });
        assert.strictEqual(ex.status, 0, ex.stderr);
        const exported = JSON.parse(ex.stdout);
        const keyBody = key.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
        assert.ok(keyBody.length > 40);
        const holders = ((exported.deployment as { resources?: { urn: string }[] }).resources ?? [])
            .filter((r) => JSON.stringify(r).replace(/\\n/g, "").includes(keyBody.slice(0, 40)))
            .map((r) => r.urn);
        assert.deepStrictEqual(holders, [], "no plaintext SSH key in state");
        // the key and the secret env value are in state, encrypted
        const apply = exported.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::docker01-apply"));
        assert.ok(JSON.stringify(apply.inputs.connection).includes("ciphertext"), "the command's connection is an encrypted secret");
        assert.ok(!ex.stdout.includes('"hello"'), "the secret env value is not in plain text");
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
        const again = await stack!.preview({ onOutput: collect });
        assert.deepStrictEqual(Object.keys(again.changeSummary), ["same"]);
        assert.strictEqual(again.changeSummary.same, 10);
    });

    it("pulumi destroy puts the host's pre-dockfleet files back and dockerd runs", async () => {
        await stack!.destroy({ onOutput: collect });
        assert.strictEqual(sh(HOST, "docker service ls -q --filter name=yamlweb_httpd"), "", "the service is gone");
        assert.strictEqual(dockerFiles(), before0, "daemon.json and drop-ins as before the up");
        assert.strictEqual(ssh(HOST, `test -e ${DJ}`).code, 1);
        assert.ok(!JSON.parse(sh(HOST, "docker info --format '{{json .Labels}}'")).includes("dockfleet.example=yaml-fleet"));
        assert.strictEqual(ssh(HOST, `test -e ${HOST_STATE_DIR}/claims/${PROJECT}.e2e.docker01`).code, 1, "claim dropped");
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
    });
});
