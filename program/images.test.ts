// dockfleet:images and services naming a built image: errors by value before any host is asked,
// compose `build:` sections as images, and the program building each image on its builder host
// and pinning exactly the services that use it to the pushed digest.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mockRepoDigest, registered, valueOf } from "../test/support/mocks";
import { settle } from "../test/support/stack-files";
import { configProblems } from "../test/support/config-problems";
import { DockfleetConfigError } from "../components/common/issues";
import { BUILT_IMAGE } from "../components/swarm-stack/compose-import";
import { contextTag } from "../components/fleet-image/context-tag";
import { testHostKey } from "../test/support/host-key-fixtures";
import { loadStackConfig } from "./load";
import { buildProgram, dockerProviderHosts } from "./program";
import { plannedImages } from "./images";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.resolve(__dirname, "..");
const SECRETS = new Set(["dockfleet:sshPrivateKey", "dockfleet:httpProxy", "dockfleet:registryHttpSecret", "dockfleet:registryTlsKey", "dockfleet:registryUsers"]);
// certificates for 10.232.0.11, valid 2026-12 .. 2046-12
const FX = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/registry-tls.json"), "utf8")) as { caCert: string; cert: string; key: string };
const NOW = new Date("2030-06-01T00:00:00Z");
const PROXY = "http://builder:pr0xy-pass@proxy.example:3128";

/** A fleet with a registry on mgr1 and one image, `hello`, from the example context; a stack runs it. */
function base(): Record<string, any> {
    return {
        "dockfleet:hosts": [
            { name: "host1", address: "10.232.0.11", role: "manager", hostKey: testHostKey("host1") },
            { name: "host2", address: "10.232.0.12", role: "worker", hostKey: testHostKey("host2") },
        ],
        "dockfleet:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n",
        "dockfleet:httpProxy": PROXY,
        "dockfleet:registry": { onHost: "host1", storage: { kind: "filesystem" }, tls: { caCert: FX.caCert, cert: FX.cert } },
        "dockfleet:registryHttpSecret": "0123456789abcdef",
        "dockfleet:registryTlsKey": FX.key,
        "dockfleet:registryUsers": { fleet: "fleet-password-123" },
        "dockfleet:images": { hello: { context: "examples/fleet-image" } },
        "dockfleet:stacks": { web: { services: { site: { image: { build: "hello" } }, side: { image: "local/busybox:1" } } } },
    };
}
const load = (raw: Record<string, unknown>, root = ROOT) => loadStackConfig("test", raw, SECRETS, root, NOW);

function errorsOf(mutate: (c: Record<string, any>) => void): string[] {
    const c = base();
    mutate(c);
    return configProblems(c, (raw) => load(raw));
}

describe("dockfleet:images in the stack config", () => {
    it("loads: the image, the service's reference, the images part", () => {
        const l = load(base());
        assert.deepStrictEqual(l.images, { hello: { context: "examples/fleet-image", origin: "dockfleet:images.hello" } });
        assert.deepStrictEqual(l.imageRefs, { web: { site: "hello" } });
        assert.strictEqual(l.stacks.web.services.site.image, BUILT_IMAGE);
        assert.ok(l.parts.has("images"));
    });

    it("names stack, resource and field of each problem, by value", () => {
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"].hello.context = "examples/no-such-dir"; }), [
            'FleetImage "hello" | dockfleet:images.hello.context | examples/no-such-dir is not a directory on this machine',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"].hello.dockerfile = "Dockerfile.prod"; }), [
            'FleetImage "hello" | dockfleet:images.hello.dockerfile | Dockerfile.prod does not exist in examples/fleet-image',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"].hello.builder = "host9"; }), [
            'FleetImage "hello" | dockfleet:images.hello.builder | "host9" is not a host in dockfleet:hosts (host1, host2)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"].hello.args = { https_proxy: "http://x:3128" }; }), [
            "FleetImage \"hello\" | dockfleet:images.hello.args.https_proxy | is the fleet's proxy, passed by dockfleet as a secret build arg (dockfleet:httpProxy / httpsProxy / proxy.noProxy); remove it",
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"] = { Hello: { context: "examples/fleet-image" } }; c["dockfleet:stacks"].web.services.site.image = { build: "Hello" }; }), [
            'FleetImage "Hello" | dockfleet:images.Hello | the key is the repository name unless name is set: "Hello" must be a repository name: lower-case letters, digits, separators . _ - and / between components',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"] = { "my image": { context: "examples/fleet-image", name: "hello" } }; c["dockfleet:stacks"].web.services.site.image = { build: "my image" }; }), [
            'FleetImage "my image" | dockfleet:images.my image | "my image": an image key is letters, digits and _ . - (it names the image\'s resources)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:stacks"].web.services.site.image = { build: "gateway" }; }), [
            'SwarmStack "web" | dockfleet:stacks.web.services.site.image.build | "gateway" is not a key of dockfleet:images (known: hello)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:stacks"].web.services.site.image = { build: "hello", tag: "1" }; }), [
            'SwarmStack "web" | dockfleet:stacks.web.services.site.image | must be an image reference such as "nginx:1.25" or { build: <key of dockfleet:images> }',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { delete c["dockfleet:registry"]; delete c["dockfleet:registryUsers"]; delete c["dockfleet:registryTlsKey"]; delete c["dockfleet:registryHttpSecret"]; }), [
            "FleetImage \"hello\" | dockfleet:images.hello | images are pushed to the fleet's registry: set dockfleet:registry",
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:parts"] = ["daemon", "swarm", "registry", "stacks"]; }), [
            'SwarmStack "web" | dockfleet:parts | stacks web run built images: list "images" with "stacks" (the digest comes from the build)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:images"].hello.labels = { a: "b" }; }), [
            'DockerFleet "fleet" | dockfleet:images.hello | unknown key(s) "labels"; check the spelling against docs/stack-config.md',
        ]);
    });

    it("reads a compose file's build: sections as images keyed <stack>-<service>, contexts relative to the project root", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "images-compose-"));
        fs.mkdirSync(path.join(root, "apps/gateway"), { recursive: true });
        fs.writeFileSync(path.join(root, "apps/gateway/Dockerfile.prod"), "FROM local/busybox:1\n");
        fs.writeFileSync(path.join(root, "apps/app.yml"), [
            "services:",
            "  gateway:",
            "    image: 10.232.0.11:5000/team/gateway:latest",
            "    build: { context: ./gateway, dockerfile: Dockerfile.prod, target: runtime, args: [VERSION=2] }",
            "  cache:",
            "    image: local/busybox:1",
            "",
        ].join("\n"));
        const c = base();
        delete c["dockfleet:images"];
        c["dockfleet:stacks"] = { app: { composeFile: "apps/app.yml" } };
        const l = load(c, root);
        assert.deepStrictEqual(l.images, {
            "app-gateway": { context: "apps/gateway", dockerfile: "Dockerfile.prod", target: "runtime", args: { VERSION: "2" }, name: "team/gateway", origin: "dockfleet:stacks.app.composeFile(apps/app.yml: services.gateway.build)" },
        });
        assert.deepStrictEqual(l.imageRefs, { app: { gateway: "app-gateway" } });
        assert.ok(l.parts.has("images"), "by default the stack builds what its compose file builds");
        fs.rmSync(path.join(root, "apps/gateway/Dockerfile.prod"));
        assert.throws(() => load(c, root), (e: DockfleetConfigError) => {
            assert.deepStrictEqual(e.problems.map((p) => `${p.ctx.resource} | ${p.issue.field} | ${p.issue.message}`), [
                'FleetImage "app-gateway" | dockfleet:stacks.app.composeFile(apps/app.yml: services.gateway.build).dockerfile | Dockerfile.prod does not exist in apps/gateway',
            ]);
            return true;
        });
    });
});

describe("the program builds images and pins services to their digests (mocks)", function () {
    this.timeout(30000);

    it("one FleetImage per image on its builder's docker provider; the service using it runs the digest, the other its own image", async () => {
        const c = base();
        c["dockfleet:images"].hello.builder = "host2";
        const cfg = load(c);
        assert.deepStrictEqual(dockerProviderHosts(cfg), ["host1", "host2"], "the registry's host, the builder, the stacks' manager");
        const before = registered.length;
        const out = buildProgram(cfg);
        assert.deepStrictEqual(Object.keys(out.images ?? {}), ["hello"]);
        const digests = { hello: await valueOf(out.images!.hello) };
        await settle();
        const mine = registered.slice(before);
        const [img] = mine.filter((r) => r.type === "docker:index/image:Image");
        const tag = contextTag(path.join(ROOT, "examples/fleet-image"), { dockerfile: "Dockerfile", platform: "linux/amd64" });
        assert.strictEqual(img.inputs.imageName, `10.232.0.11:5000/hello:${tag}`);
        assert.match(String(img.provider), /pulumi:providers:docker::docker-host2::/);
        assert.deepStrictEqual(digests, { hello: mockRepoDigest(`10.232.0.11:5000/hello:${tag}`) });
        const svc = (n: string) => mine.find((r) => r.type === "docker:index/service:Service" && r.name === n)!;
        assert.strictEqual(svc("web-site").inputs.taskSpec.containerSpec.image, digests.hello);
        assert.strictEqual(svc("web-side").inputs.taskSpec.containerSpec.image, "local/busybox:1");
        assert.ok(mine.some((r) => r.type === "dockfleet:image:FleetImage" && r.name === "image-hello"));
        // pushed as the registry's login user; the fleet's proxy reaches the build as secret predefined args
        const build = (img.inputs.build as any).value;
        assert.deepStrictEqual(build.args, { HTTP_PROXY: PROXY, http_proxy: PROXY, NO_PROXY: "localhost,127.0.0.1,10.232.0.11", no_proxy: "localhost,127.0.0.1,10.232.0.11" });
        assert.deepStrictEqual((img.inputs.registry as any).value, { server: "10.232.0.11:5000", username: "fleet", password: "fleet-password-123" });
    });
});

describe("the image plan the program logs (read back by the preview summary)", function () {
    this.timeout(30000);

    it("plannedImages: each image with the services that run it, by stack/service, sorted", () => {
        assert.deepStrictEqual(plannedImages({ gateway: "r:5000/gateway:aa", tools: "r:5000/tools:bb" }, { web: { worker: "gateway", api: "gateway" }, jobs: { cron: "gateway" } }), [
            { key: "gateway", imageName: "r:5000/gateway:aa", services: ["jobs/cron", "web/api", "web/worker"] },
            { key: "tools", imageName: "r:5000/tools:bb", services: [] },
        ]);
        assert.deepStrictEqual(plannedImages({}, { web: { api: "gateway" } }), []);
    });

    it("the program logs one info message: the image's content tag and the service that runs it; none without images", async () => {
        const logged: string[] = [];
        const log = pulumi.log as unknown as { info: (m: string) => void };
        const orig = log.info;
        log.info = (m: string) => void logged.push(m);
        try {
            buildProgram(load(base()));
            const noImages = base();
            delete noImages["dockfleet:images"];
            noImages["dockfleet:stacks"].web.services.site.image = "local/busybox:1";
            buildProgram(load(noImages));
        } finally {
            log.info = orig;
        }
        await settle();
        const tag = contextTag(path.join(ROOT, "examples/fleet-image"), { dockerfile: "Dockerfile", platform: "linux/amd64" });
        assert.deepStrictEqual(logged.filter((m) => m.startsWith("FleetImage plan")), [
            `FleetImage plan (content tags; an image is built and pushed on up only when its docker Image changes, never in preview):\n  hello: 10.232.0.11:5000/hello:${tag}; services web/site`,
        ]);
    });
});
