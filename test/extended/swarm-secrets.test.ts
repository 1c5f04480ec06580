// End-to-end (issue 31 point 5): a stack with one swarm secret and one swarm config, deployed by
// the real engine and docker plugin to the sandbox swarm (host1, a manager) from a scratch inline
// program. The task reads the secret file; the value is in no `docker service inspect`, `docker
// inspect` or state export; a changed value is a new secret name, one rolling update of exactly
// the service that mounts it, and the old secret deleted after that update.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { spawnSync } from "child_process";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { SwarmStack } from "../../components/swarm-stack";
import { eventually, sandbox, settledSwarm, sh, ssh } from "../contract/lib";
import { loadEngineEnv } from "../e2e/lib";

const NS = "sece2e";
const HOST = "host1";
const CONFIG_TEXT = "hello from a swarm config\n";
// Values nobody else writes, so a search for them finds only a leak.
const V1 = `dockfleet-secret-${crypto.randomBytes(12).toString("hex")}`;
const V2 = `dockfleet-secret-${crypto.randomBytes(12).toString("hex")}`;
// the key of the secrets' names (dockfleet:stackSecretsKey in a fleet's stack config)
const KEY = crypto.randomBytes(32).toString("hex");
/** A secret's version: HMAC-SHA256 under KEY; a config's: sha256 of its content. */
const hash = (v: string) => crypto.createHmac("sha256", Buffer.from(KEY, "hex")).update(v).digest("hex").slice(0, 10);
const sha = (v: string) => crypto.createHash("sha256").update(v).digest("hex").slice(0, 10);
const b64 = (v: string) => Buffer.from(v).toString("base64");

/** The program: one service that mounts the secret and the config, one that mounts nothing. */
function program(sshConfig: string) {
    return async () => {
        const provider = new docker.Provider("host1", { host: `ssh://root@${HOST}`, sshOpts: ["-F", sshConfig] });
        const loop = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
        const common = {
            image: "local/busybox:1", command: loop, endpointMode: "dnsrr" as const,
            placement: { constraints: [`node.hostname == ${HOST}`] },
            update: { parallelism: 1, delay: "1s", monitor: "2s", order: "stop-first" as const },
        };
        const stack = new SwarmStack("sec", {
            name: NS,
            secrets: { api_token: { value: new pulumi.Config().requireSecret("token") } },
            secretsKey: new pulumi.Config().requireSecret("secretsKey"),
            configs: { motd: { content: CONFIG_TEXT } },
            services: {
                app: { ...common, secrets: [{ source: "api_token" }], configs: [{ source: "motd", target: "/etc/motd", mode: "0440" }] },
                other: { ...common },
            },
            convergeTimeout: "2m",
        }, { provider });
        return { secretName: stack.secrets.api_token.name, configName: stack.configs.motd.name, compose: stack.compose };
    };
}

/** `pulumi stack export` as an operator runs it (the Automation API's exportStack adds --show-secrets). */
function stateExport(dir: string): string {
    const r = spawnSync("pulumi", ["stack", "export", "--stack", "secrets", "--non-interactive"], { cwd: dir, encoding: "utf8", env: process.env, maxBuffer: 64 * 1024 * 1024 });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

const containerOf = (service: string) => sh(HOST, `docker ps -q --filter label=com.docker.swarm.service.name=${service}`);
const serviceVersion = (service: string) => sh(HOST, `docker service inspect ${service} --format '{{.Version.Index}}'`);
// overlay networks included (the stack's networks carry the label too)
const leftovers = () => sh(HOST, `for k in service secret config network; do docker $k ls -q --filter label=com.docker.stack.namespace=${NS}; done`);

describe("extended: swarm secrets and configs of a stack on the sandbox swarm", function () {
    this.timeout(1800000);
    const log: string[] = [];
    const collect = (s: string) => log.push(s);
    let stack: Stack | undefined;
    let work = "";

    before(async () => {
        const sb = sandbox();
        loadEngineEnv();
        settledSwarm();
        // what an aborted earlier run may have left
        ssh(HOST, `docker service rm ${NS}_app ${NS}_other >/dev/null 2>&1; sleep 3; for k in secret config network; do docker $k ls -q --filter label=com.docker.stack.namespace=${NS} | xargs -r docker $k rm >/dev/null 2>&1; done; true`);
        await eventually(() => leftovers() === "", 60000, "no object of an earlier run left");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-secrets-e2e-"));
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "secrets", projectName: "dockfleet-secrets-e2e", program: program(sb.sshConfigPath) },
            { workDir: work, envVars: {}, projectSettings: { name: "dockfleet-secrets-e2e", runtime: "nodejs" } },
        );
        await stack.setConfig("token", { value: V1, secret: true });
        await stack.setConfig("secretsKey", { value: KEY, secret: true });
    });

    after(async () => {
        if (stack) {
            await stack.destroy({ onOutput: collect }).catch(() => undefined);
            await stack.workspace.removeStack("secrets").catch(() => undefined);
        }
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("up creates the versioned secret and config; the task reads the secret file and the config", async () => {
        const res = await stack!.up({ onOutput: collect });
        assert.strictEqual(res.summary.result, "succeeded");
        assert.strictEqual(res.outputs.secretName.value, `${NS}_api_token_${hash(V1)}`);
        assert.strictEqual(res.outputs.configName.value, `${NS}_motd_${sha(CONFIG_TEXT)}`);
        assert.strictEqual(sh(HOST, `docker secret inspect ${NS}_api_token_${hash(V1)} --format '{{index .Spec.Labels "com.docker.stack.namespace"}}'`), NS);
        const ctr = containerOf(`${NS}_app`);
        assert.match(ctr, /^[0-9a-f]{12}$/, "one task of the app on host1");
        assert.strictEqual(sh(HOST, `docker exec ${ctr} cat /run/secrets/api_token`), V1);
        assert.strictEqual(sh(HOST, `docker exec ${ctr} cat /etc/motd`), CONFIG_TEXT.trim());
        assert.strictEqual(sh(HOST, `docker exec ${ctr} stat -c %a /etc/motd`), "440");
        assert.ok(!String(res.outputs.compose.value).includes(V1), "compose output");
    });

    it("the value is in no docker service inspect, docker inspect, secret inspect, state export or engine output", async () => {
        const inspect = sh(HOST, `docker service inspect ${NS}_app ${NS}_other; docker inspect ${containerOf(`${NS}_app`)} ${containerOf(`${NS}_other`)}; docker secret inspect ${NS}_api_token_${hash(V1)}`);
        assert.ok(inspect.includes(`${NS}_api_token_${hash(V1)}`), "the inspect output names the secret (the search below looks at the right text)");
        const state = stateExport(work);
        assert.ok(state.includes(`${NS}_api_token_${hash(V1)}`), "the state names the secret");
        const hits = [["inspect", inspect], ["state export", state], ["engine output", log.join("")]]
            .flatMap(([where, text]) => [V1, b64(V1), KEY].filter((n) => text.includes(n)).map((n) => `${where}: ${n === V1 ? "value" : n === KEY ? "the names' key" : "base64 value"}`));
        assert.deepStrictEqual(hits, []);
    });

    it("a changed value: a new secret name, one rolling update of the app only, the old secret deleted after it", async () => {
        const appBefore = serviceVersion(`${NS}_app`);
        const otherBefore = serviceVersion(`${NS}_other`);
        const otherTasks = sh(HOST, `docker service ps -q ${NS}_other`);
        await stack!.setConfig("token", { value: V2, secret: true });
        const order: string[] = [];
        const onEvent = (e: EngineEvent) => {
            const out = e.resOutputsEvent?.metadata;
            if (out) order.push(`${out.op} ${out.urn.replace(/^.*::/, "")}`);
        };
        const res = await stack!.up({ onOutput: collect, onEvent });
        assert.strictEqual(res.summary.result, "succeeded");
        const changes = res.summary.resourceChanges!;
        assert.deepStrictEqual(changes, { same: changes.same, replace: 1, update: 1 }, JSON.stringify(changes));
        assert.strictEqual(res.outputs.secretName.value, `${NS}_api_token_${hash(V2)}`);
        // create the new secret, update the service to it, delete the old one: in that order
        const step = (s: string) => order.indexOf(s);
        assert.ok(step("create-replacement sec-secret-api_token") >= 0 && step("update sec-app") > step("create-replacement sec-secret-api_token")
            && step("delete-replaced sec-secret-api_token") > step("update sec-app"), order.join("\n"));
        assert.strictEqual(sh(HOST, `docker service inspect ${NS}_app --format '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}'`), `${NS}_api_token_${hash(V2)}`);
        assert.strictEqual(sh(HOST, `docker secret ls --format '{{.Name}}' --filter label=com.docker.stack.namespace=${NS}`), `${NS}_api_token_${hash(V2)}`, "the old secret is gone");
        assert.notStrictEqual(serviceVersion(`${NS}_app`), appBefore);
        assert.strictEqual(sh(HOST, `docker service inspect ${NS}_app --format '{{.UpdateStatus.State}}'`), "completed");
        // one rolling update: the old task shut down, one new one running
        assert.deepStrictEqual(sh(HOST, `docker service ps ${NS}_app --format '{{.DesiredState}}'`).split("\n").sort(), ["Running", "Shutdown"]);
        assert.strictEqual(serviceVersion(`${NS}_other`), otherBefore, "the other service is not updated");
        assert.strictEqual(sh(HOST, `docker service ps -q ${NS}_other`), otherTasks, "nor restarted");
        await eventually(() => ssh(HOST, `docker exec ${containerOf(`${NS}_app`)} cat /run/secrets/api_token`).stdout.trim() === V2, 60000, "the new task reads the new value");
        const state = stateExport(work);
        assert.deepStrictEqual([V1, V2, b64(V1), b64(V2), KEY].filter((n) => state.includes(n) || log.join("").includes(n)), []);
    });

    it("destroy removes the services, the secret, the config and the network", async () => {
        await stack!.destroy({ onOutput: collect });
        // the network goes once the node has cleaned up the removed tasks' endpoints
        await eventually(() => leftovers() === "", 60000, "no service, secret, config or network of the stack left");
    });
});
