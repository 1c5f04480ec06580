import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { SwarmStack as SwarmStackType } from "./swarm-stack";
import { yumRepoStack } from "./fixtures";
import { SwarmStackArgs } from "./spec";

interface Registered { type: string; name: string; inputs: any; parent?: string; dependencies: string[]; provider?: string }
const registered: Registered[] = [];

const outputValue = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));
const outputSecret = <T>(o: pulumi.Output<T>): Promise<boolean> => (o as any).isSecret as Promise<boolean>;

describe("SwarmStack component (mocks)", function () {
    let SwarmStack: typeof SwarmStackType;

    before(async () => {
        pulumi.runtime.setMocks(
            {
                newResource: (args: pulumi.runtime.MockResourceArgs) => {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, dependencies: [] });
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: () => ({}),
            },
            "proj", "stack", false,
        );
        // Record parents and dependsOn from the registration request (not visible in MockResourceArgs).
        const monitor = (pulumi.runtime as any).getMonitor();
        const orig = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, cb: any) => {
            const r = { type: req.getType(), name: req.getName(), parent: req.getParent(), deps: req.getDependenciesList() as string[] };
            return orig(req, (err: any, resp: any) => {
                const hit = registered.find((x) => x.type === r.type && x.name === r.name);
                if (hit) Object.assign(hit, { parent: r.parent, dependencies: r.deps });
                else registered.push({ type: r.type, name: r.name, inputs: {}, parent: r.parent, dependencies: r.deps });
                cb(err, resp);
            });
        };
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

        const comp = registered.find((r) => r.type === "dockfleet:swarm:SwarmStack" && r.name === "repo")!;
        assert.ok(comp, "component registered");
        const urn = (type: string, name: string) => `urn:pulumi:stack::proj::dockfleet:swarm:SwarmStack$${type}::${name}`;
        const children = registered.filter((r) => r.type.startsWith("docker:") && r.parent?.endsWith("::repo"));
        assert.deepStrictEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
            "docker:index/network:Network repo-net-default",
            "docker:index/network:Network repo-net-web",
            "docker:index/service:Service repo-exporter",
            "docker:index/service:Service repo-nginx",
        ]);
        for (const c of children) assert.match(c.parent!, /dockfleet:swarm:SwarmStack::repo$/);
        const nginx = children.find((r) => r.name === "repo-nginx")!;
        const exporter = children.find((r) => r.name === "repo-exporter")!;
        assert.ok(nginx.dependencies.includes(urn("docker:index/network:Network", "repo-net-web")), JSON.stringify(nginx.dependencies));
        assert.ok(!nginx.dependencies.includes(urn("docker:index/network:Network", "repo-net-default")));
        assert.ok(exporter.dependencies.includes(urn("docker:index/network:Network", "repo-net-default")), JSON.stringify(exporter.dependencies));
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

    it("throws a DockfleetConfigError naming the field before registering anything", () => {
        const before = registered.length;
        assert.throws(() => new SwarmStack("bad", { name: "bad", services: { web: { image: "nginx", replicas: -2 } } }), /SwarmStack "bad", field services\.web\.replicas: -2 must be an integer ≥ 0/);
        assert.strictEqual(registered.filter((r) => r.type.startsWith("docker:")).length, registered.slice(0, before).filter((r) => r.type.startsWith("docker:")).length);
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

    it("children inherit opts.provider (how config/program.ts passes the manager's provider)", async () => {
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
