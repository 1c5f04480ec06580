// End-to-end: the dockfleet component package (packages/pulumi-plugin) from a Python program, as a
// user runs it — examples/python-fleet copied outside the repository, `pulumi package add <plugin
// dir>` (generates the pulumi_dockfleet SDK, creates the program's venv and pip-installs
// pulumi==3.248.0 and the SDK from the machine's configured index), then `pulumi up` / `preview` /
// `destroy` on the real engine (pulumi-language-python v3.248.0 built from the release tarball,
// the Node.js host running the plugin, pulumi-resource-command) against sandbox host3.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HOST_STATE_DIR } from "../../components/docker-host/drift";
import { eventually, health, sandbox, sh, ssh } from "../contract/lib";
import { ROOT, cleanHosts, loadEngineEnv } from "./lib";

const HOST = "host3";
const DJ = "/etc/docker/daemon.json";
const PLUGIN = path.join(ROOT, "packages/pulumi-plugin");
const PROJECT = "dockfleet-example-python-fleet";

const dockerFiles = () => sh(HOST, `cd / && for f in ${DJ} /etc/systemd/system/docker.service.d/*.conf; do [ -e "$f" ] && sha256sum "$f"; done; true`);

describe("e2e: the dockfleet component package from a Python program, on a sandbox host", function () {
    this.timeout(1200000);
    let tmp = "";
    let dir = "";
    let stack: Stack | undefined;
    let key = "";
    let before0 = "";
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);

    before(async () => {
        const sb = sandbox();
        loadEngineEnv(); // builds pulumi-language-python too (beside the CLI) unless Pulumi is installed
        cleanHosts(ssh);
        before0 = dockerFiles();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-python-e2e-"));
        dir = path.join(tmp, "python-fleet");
        fs.cpSync(path.join(ROOT, "examples/python-fleet"), dir, { recursive: true, filter: (src) => !/\/(sdks|venv|__pycache__|Pulumi\.[^/]+\.yaml)$/.test(src) });
        // the packages: entry points at the clone's plugin (the copy is outside the repository)
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8").replace(/\n {2}dockfleet: \.\.\/\.\.\/packages\/pulumi-plugin\n/, `\n  dockfleet: ${PLUGIN}\n`));
        key = fs.readFileSync(sb.sshKeyPath, "utf8");
        // pulumi package add first: until it ran, requirements.txt names an SDK that does not exist yet
        const add = spawnSync("pulumi", ["package", "add", PLUGIN, "--non-interactive"], { cwd: dir, encoding: "utf8", env: process.env, timeout: 900000 });
        assert.strictEqual(add.status, 0, `pulumi package add: ${add.stdout}\n${add.stderr}`);
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "e2e", workDir: dir }, { envVars: {} });
        await stack.setAllConfig({
            host: { value: sb.hosts.find((h) => h.name === HOST)!.address },
            hostKey: { value: sb.hosts.find((h) => h.name === HOST)!.hostKey! },
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

    it("pulumi package add generated the Python SDK and installed it with pulumi 3.248.0 into the program's venv", () => {
        assert.ok(fs.existsSync(path.join(dir, "sdks/dockfleet/pulumi_dockfleet/docker_fleet.py")), "generated SDK");
        const r = spawnSync(path.join(dir, "venv/bin/python"), ["-c", "import pulumi, pulumi_dockfleet; print(pulumi.__version__ if hasattr(pulumi, '__version__') else '')"], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        const pip = spawnSync(path.join(dir, "venv/bin/python"), ["-m", "pip", "show", "pulumi"], { encoding: "utf8" });
        assert.match(pip.stdout, /^Version: 3\.248\.0$/m);
    });

    it("pulumi up applies the program's daemon.json with a verified restart; no plaintext key in state; the next preview changes nothing", async () => {
        assert.strictEqual(ssh(HOST, `test -e ${DJ}`).code, 1, "host3 starts without daemon.json");
        const res = await stack!.up({ onOutput: collect });
        assert.strictEqual(res.summary.result, "succeeded");
        // stack, dockfleet:index:DockerFleet, dockfleet:dockerhost:DockerFleet, DockerHost, its apply command
        assert.strictEqual(res.summary.resourceChanges?.create, 5, JSON.stringify(res.summary.resourceChanges));
        const info = JSON.parse(sh(HOST, "docker info --format '{{json .}}'"));
        assert.ok(info.Labels.includes("dockfleet.example=python-fleet"), `dockerd runs the program's config: ${info.Labels}`);
        assert.match(sh(HOST, `tail -3 ${HOST_STATE_DIR}/apply.log`), /applied \(restart\)/);
        assert.strictEqual(sh(HOST, `cat ${HOST_STATE_DIR}/claims/${PROJECT}.e2e.docker01`), "1");
        assert.deepStrictEqual(res.outputs.restartBatches?.value, [["docker01"]]);
        // the CLI's export, as an operator runs it (the Automation API's adds --show-secrets)
        const ex = spawnSync("pulumi", ["stack", "export", "--stack", "e2e", "--non-interactive"], { cwd: dir, encoding: "utf8", env: process.env, timeout: 120000 });
        assert.strictEqual(ex.status, 0, ex.stderr);
        const keyBody = key.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
        assert.ok(keyBody.length > 40 && !ex.stdout.replace(/\\n/g, "").includes(keyBody.slice(0, 40)), "no plaintext SSH key in state");
        assert.ok(!outputs.join("").includes(keyBody.slice(0, 40)), "no plaintext SSH key in the engine's output");
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
        const again = await stack!.preview({ onOutput: collect });
        assert.deepStrictEqual(Object.keys(again.changeSummary), ["same"]);
        assert.strictEqual(again.changeSummary.same, 5);
    });

    it("pulumi destroy puts the host's pre-dockfleet files back and dockerd runs", async () => {
        await stack!.destroy({ onOutput: collect });
        assert.strictEqual(dockerFiles(), before0, "daemon.json and drop-ins as before the up");
        assert.strictEqual(ssh(HOST, `test -e ${HOST_STATE_DIR}/claims/${PROJECT}.e2e.docker01`).code, 1, "claim dropped");
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
    });
});
