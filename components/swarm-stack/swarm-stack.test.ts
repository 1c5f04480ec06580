import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { SwarmStack as SwarmStackType } from "./swarm-stack";
import { yumRepoStack } from "./fixtures";
import { SwarmStackArgs } from "./spec";

import { byType, isSecretOutput, registered, valueOf } from "../../test/support/mocks";

// The shared mock monitor (test/support/mocks.ts) records inputs; parents and dependsOn are not in
// MockResourceArgs, so they are read off the registration requests by a pass-through wrapper.
const requests = new Map<string, { parent: string; deps: string[] }>();
function recordRequests() {
    const monitor = (pulumi.runtime as any).getMonitor();
    if (monitor.__swarmStackRecorder) return;
    const orig = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        requests.set(`${req.getType()}::${req.getName()}`, { parent: req.getParent(), deps: req.getDependenciesList() });
        return orig(req, cb);
    };
    monitor.__swarmStackRecorder = true;
}
const req = (type: string, name: string) => requests.get(`${type}::${name}`)!;
const outputValue = valueOf;
const outputSecret = (o: pulumi.Output<unknown>) => isSecretOutput(o);

describe("SwarmStack component (mocks)", function () {
    let SwarmStack: typeof SwarmStackType;

    before(async () => {
        recordRequests();
        ({ SwarmStack } = await import("./swarm-stack"));
    });

    const settle = () => new Promise((r) => setTimeout(r, 50));

    it("registers one network per stack network and one service per service, parented to the component; services depend on their networks", async () => {
        const a: SwarmStackArgs = {
            ...yumRepoStack(),
            services: { ...yumRepoStack().services, exporter: { image: "nginx/nginx-prometheus-exporter:1.1", mode: "global" } },
        };
        const stack = new SwarmStack("repo", a);
        const [services, networks] = await Promise.all([outputValue(stack.serviceNames), outputValue(stack.networkNames)]);
        await settle();
        assert.deepStrictEqual(services, ["yum_repo_nginx", "yum_repo_exporter"]);
        assert.deepStrictEqual(networks, ["yum_repo_web", "yum_repo_default"]);

        const N = "docker:index/network:Network";
        const S = "docker:index/service:Service";
        const comp = byType("dockfleet:swarm:SwarmStack", "repo").find((r) => r.name === "repo");
        assert.ok(comp, "component registered");
        const compUrn = "urn:pulumi:unit::dockfleet::dockfleet:swarm:SwarmStack::repo";
        const childUrn = (type: string, name: string) => `urn:pulumi:unit::dockfleet::dockfleet:swarm:SwarmStack$${type}::${name}`;
        const children = registered.filter((r) => r.type.startsWith("docker:") && req(r.type, r.name)?.parent === compUrn);
        assert.deepStrictEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
            `${N} repo-net-default`, `${N} repo-net-web`, `${S} repo-exporter`, `${S} repo-nginx`,
        ]);
        const nginxDeps = req(S, "repo-nginx").deps;
        const exporterDeps = req(S, "repo-exporter").deps;
        assert.ok(nginxDeps.includes(childUrn(N, "repo-net-web")), JSON.stringify(nginxDeps));
        assert.ok(!nginxDeps.includes(childUrn(N, "repo-net-default")));
        assert.ok(exporterDeps.includes(childUrn(N, "repo-net-default")), JSON.stringify(exporterDeps));
        const nginx = children.find((r) => r.name === "repo-nginx")!;
        // Network ids (not names) are wired into the task spec.
        assert.deepStrictEqual(nginx.inputs.taskSpec.networksAdvanceds, [{ id: "repo-net-web-id", aliases: ["nginx"] }]);
        assert.strictEqual(nginx.inputs.name, "yum_repo_nginx");
        assert.deepStrictEqual(registered.find((r) => r.name === "repo-net-web")!.inputs.labels, [{ label: "com.docker.stack.namespace", value: "yum_repo" }]);
        assert.match(await outputValue(stack.compose), /version: "3.8"/);
    });

    it("keeps secret env values secret on the service and out of the compose output", async () => {
        const stack = new SwarmStack("app", { name: "app", services: { api: { image: "api:1", env: { DB_PASSWORD: pulumi.secret("hunter2"), MODE: "prod" } } } });
        const svc = stack.services.api;
        assert.strictEqual(await outputSecret(svc.taskSpec), true, "taskSpec output must be secret");
        const env = (await outputValue(svc.taskSpec)).containerSpec.env;
        assert.deepStrictEqual(env, { DB_PASSWORD: "hunter2", MODE: "prod" });
        assert.strictEqual(await outputSecret(stack.compose), false);
        const compose = await outputValue(stack.compose);
        assert.ok(!compose.includes("hunter2"));
        assert.match(compose, /DB_PASSWORD: \$\{API_DB_PASSWORD\}/);
    });

    it("throws a DockfleetConfigError naming the field before registering anything", async () => {
        assert.throws(() => new SwarmStack("bad", { name: "bad", services: { web: { image: "nginx", replicas: -2 } } }), /SwarmStack "bad", field services\.web\.replicas: -2 must be an integer ≥ 0/);
        await settle();
        assert.deepStrictEqual(registered.filter((r) => r.type.startsWith("docker:") && r.name.startsWith("bad-")), []);
    });

    it("passes args.provider to every child", async () => {
        const docker = await import("@pulumi/docker");
        const provider = new docker.Provider("swarm-manager", { host: "ssh://admin@10.20.0.2" });
        new SwarmStack("p", { name: "p", provider, services: { a: { image: "a:1" } } });
        await settle();
        await settle();
        const kids = registered.filter((r) => r.name === "p-a" || r.name === "p-net-default");
        assert.strictEqual(kids.length, 2);
        for (const k of kids) assert.match(k.provider ?? "", /pulumi:providers:docker::swarm-manager::/);
    });

    it("children inherit opts.provider (how program/program.ts passes the manager's provider)", async () => {
        const docker = await import("@pulumi/docker");
        const provider = new docker.Provider("manager-2", { host: "ssh://admin@10.20.0.3" });
        new SwarmStack("q", { name: "q", services: { a: { image: "a:1" } } }, { provider });
        await settle();
        await settle();
        const kids = registered.filter((r) => r.name === "q-a" || r.name === "q-net-default");
        assert.strictEqual(kids.length, 2);
        for (const k of kids) assert.match(k.provider ?? "", /pulumi:providers:docker::manager-2::/);
    });
});
