// End-to-end: adopt the sandbox hosts as an operator left them (hand-formatted daemon.json, a
// proxy drop-in with credentials, one host different), then the first `pulumi up` of the adopted
// stack on the real engine restarts no dockerd, and no proxy credential is in the stack file.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { eventually, health, sandbox, sh, ssh } from "../contract/lib";
import { ROOT, cleanHosts, loadEngineEnv } from "./lib";

const HOSTS = ["host1", "host2", "host3"];
const ADDR: Record<string, string> = { host1: "10.232.0.11", host2: "10.232.0.12", host3: "10.232.0.13" };
const STACK = "adopted-e2e";
const FILE = path.join(ROOT, "stacks", `Pulumi.${STACK}.yaml`);
const PROXY_PW = "adopt-proxy-pw-5e7d";
// How an operator writes it: keys in their own order, two-space indent, a trailing newline missing.
const operatorJson = (debug: boolean) =>
    `{\n  "log-opts": { "max-size": "10m", "max-file": "3" },\n  "log-driver": "json-file",\n  "insecure-registries": ["10.232.0.11:5000"],\n  "labels": ["team=ops"],\n  "debug": ${debug}\n}`;
const operatorProxy = `# set up by hand, 2024\n[Service]\nEnvironment="HTTP_PROXY=http://ops:${PROXY_PW}@10.232.0.1:3128"\nEnvironment="NO_PROXY=localhost,127.0.0.1,10.232.0.0/24"\n`;
const started = (h: string) => sh(h, "systemctl show docker -p ExecMainStartTimestampMonotonic --value");

describe("e2e: adopt an existing fleet, then the first up restarts nothing", function () {
    this.timeout(1800000);
    let stack: Stack | undefined;
    const outputs: string[] = [];

    before(async () => {
        sandbox();
        loadEngineEnv();
        cleanHosts(ssh);
        for (const h of HOSTS) {
            const w = (p: string, text: string) => sh(h, `mkdir -p ${path.dirname(p)} && printf '%s' '${text.replace(/'/g, "'\\''")}' > ${p}`);
            w("/etc/docker/daemon.json", operatorJson(h === "host3"));
            w("/etc/systemd/system/docker.service.d/http-proxy.conf", operatorProxy);
            // one host at a time: the 3 managers keep quorum
            sh(h, "systemctl daemon-reload && systemctl restart docker");
            await eventually(() => { const x = health(h); return x.active === "active" && x.swarm === "active" && x.ready === "ready"; }, 90000, `${h} back in the swarm`);
        }
        if (fs.existsSync(FILE)) fs.rmSync(FILE);
    });

    after(async () => {
        try {
            if (stack && process.env.DOCKFLEET_KEEP_E2E !== "1") {
                await stack.destroy({ onOutput: (s) => outputs.push(s) });
                await stack.workspace.removeStack(STACK);
            }
        } finally {
            if (fs.existsSync(FILE)) fs.rmSync(FILE);
        }
        // back to hosts without dockfleet or operator files, dockerd on the package defaults
        cleanHosts(ssh);
        for (const h of HOSTS) {
            sh(h, "rm -f /etc/docker/daemon.json /etc/systemd/system/docker.service.d/http-proxy.conf /etc/systemd/system/docker.service.d/http-proxy.env && systemctl daemon-reload && systemctl restart docker");
            await eventually(() => health(h).ready === "ready", 90000, `${h} Ready`);
        }
    });

    it("adopt writes the typed stack file, the proxy credentials only as a secret", () => {
        const r = spawnSync("npm", ["run", "-s", "adopt", "--", "--stack", STACK, "--hosts", HOSTS.map((h) => `${h}=${ADDR[h]}`).join(","), "--key", sandbox().sshKeyPath], { cwd: ROOT, encoding: "utf8", env: process.env });
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        outputs.push(r.stdout, r.stderr);
        const text = fs.readFileSync(FILE, "utf8");
        assert.ok(!text.includes(PROXY_PW), "proxy password in plain text in the stack file");
        assert.match(text, /dockfleet:httpProxy:\s*\n\s*secure: /);
        assert.match(text, /logDriver: json-file/);
        assert.match(text, /debug: true/, "host3's difference is a per-host override");
        // What an operator adds next: the smoke image their hosts have (the sandbox cannot pull
        // busybox:latest), used by the restart that `destroy` (restore) may do.
        const doc = YAML.parseDocument(text);
        doc.setIn(["config", "dockfleet:rollout"], { smokeImage: sandbox().images.busybox });
        fs.writeFileSync(FILE, doc.toString());
        for (const s of [r.stdout, r.stderr]) assert.ok(!s.includes(PROXY_PW), "proxy password in adopt's output");
    });

    it("the first up of the adopted stack restarts no dockerd; the next preview changes nothing", async () => {
        const before = Object.fromEntries(HOSTS.map((h) => [h, started(h)]));
        stack = await LocalWorkspace.selectStack({ stackName: STACK, workDir: ROOT }, { envVars: {} });
        const res = await stack.up({ onOutput: (s) => outputs.push(s) });
        assert.strictEqual(res.summary.result, "succeeded");
        for (const h of HOSTS) {
            assert.strictEqual(started(h), before[h], `${h}: dockerd restarted on adoption`);
            assert.match(sh(h, "tail -5 /var/lib/dockfleet/daemon-config/apply.log"), /no restart/, `${h}: the apply log says why nothing restarted`);
            const info = JSON.parse(sh(h, "docker info --format '{{json .}}'"));
            assert.ok(info.Labels.includes("team=ops"), `${h}: ${info.Labels}`);
        }
        const pre = await stack.preview({ onOutput: (s) => outputs.push(s) });
        assert.deepStrictEqual(Object.keys(pre.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(pre.changeSummary));
        assert.ok(!outputs.join("").includes(PROXY_PW), "proxy password in the engine's output");
    });
});
