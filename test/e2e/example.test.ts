// End-to-end: examples/single-host as a user runs it — @dockfleet/components installed from the
// packed tarball into a copy of the example outside the repository, compiled with tsc, then
// `pulumi up` / `preview` / `destroy` on the real engine and the upstream plugins against host3.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HOST_STATE_DIR } from "../../components/docker-host/drift";
import { eventually, health, sandbox, sh, ssh } from "../contract/lib";
import { installExample, packComponents, run } from "../support/example-install";
import { cleanHosts, loadEngineEnv } from "./lib";

const HOST = "host3";
const DJ = "/etc/docker/daemon.json";

describe("e2e: examples/single-host from the packed package, on a sandbox host", function () {
    this.timeout(900000);
    let tmp = "";
    let stack: Stack | undefined;
    const outputs: string[] = [];
    const collect = (s: string) => outputs.push(s);

    before(async () => {
        const sb = sandbox();
        loadEngineEnv();
        cleanHosts(ssh);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-example-e2e-"));
        const dir = installExample(tmp, packComponents(tmp).tarball, "single-host");
        run("npm", ["run", "build", "--silent"], dir);
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "e2e", workDir: dir }, { envVars: {} });
        await stack.setAllConfig({
            host: { value: sb.hosts.find((h) => h.name === HOST)!.address },
            hostKey: { value: sb.hosts.find((h) => h.name === HOST)!.hostKey! },
            sshPrivateKeyPath: { value: sb.sshKeyPath },
            swarm: { value: "true" },
            engineVersion: { value: "20.10" },
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

    it("pulumi up applies its daemon.json on the host with a verified restart; the next preview changes nothing", async () => {
        assert.strictEqual(ssh(HOST, `test -e ${DJ}`).code, 1, "host3 starts without daemon.json");
        const res = await stack!.up({ onOutput: collect });
        assert.strictEqual(res.summary.result, "succeeded");
        assert.strictEqual(res.summary.resourceChanges?.create, 3, `stack, DockerHost, its apply command: ${JSON.stringify(res.summary.resourceChanges)}`);
        const info = JSON.parse(sh(HOST, "docker info --format '{{json .}}'"));
        assert.ok(info.Labels.includes("dockfleet.example=single-host"), `dockerd runs the example's config: ${info.Labels}`);
        assert.deepStrictEqual(info.RegistryConfig.Mirrors, ["https://registry-mirror.corp.example/"]);
        assert.match(sh(HOST, `tail -3 ${HOST_STATE_DIR}/apply.log`), /applied \(restart\)/);
        // the claim is named for the consumer's own project, stack and resource
        assert.strictEqual(sh(HOST, `cat ${HOST_STATE_DIR}/claims/dockfleet-example-single-host.e2e.docker01`), "1");
        assert.match(String(res.outputs.daemonJson?.value), /"dockfleet.example=single-host"/);
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
        const again = await stack!.preview({ onOutput: collect });
        assert.deepStrictEqual(Object.keys(again.changeSummary), ["same"]);
    });

    it("pulumi destroy puts the host's pre-dockfleet files back (no daemon.json) and dockerd runs", async () => {
        await stack!.destroy({ onOutput: collect });
        assert.strictEqual(ssh(HOST, `test -e ${DJ}`).code, 1);
        assert.ok(!JSON.parse(sh(HOST, "docker info --format '{{json .Labels}}'")).includes("dockfleet.example=single-host"));
        await eventually(() => JSON.stringify(health(HOST)) === JSON.stringify({ active: "active", swarm: "active", ready: "ready" }), 60000, `${HOST} active and Ready`);
    });
});
