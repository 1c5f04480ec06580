import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { byType, isSecretOutput, mockRepoDigest, registered, valueOf } from "../../test/support/mocks";
import { contextFiles, contextTag } from "./context-tag";
import { FleetImageArgs, imageNameOf, proxyBuildArgs, renderImageArgs, validateFleetImage } from "./render";
import type { FleetImage as FleetImageType } from "./fleet-image";
import type { SwarmStack as SwarmStackType } from "../swarm-stack/swarm-stack";

// Each registration's parent and the URNs it depends on (not in the mock's arguments).
const requests = new Map<string, { parent: string; deps: string[] }>();
function recordRequests() {
    const monitor = (pulumi.runtime as any).getMonitor();
    if (monitor.__fleetImageRecorder) return;
    const orig = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        requests.set(`${req.getType()}::${req.getName()}`, { parent: req.getParent(), deps: req.getDependenciesList() });
        return orig(req, cb);
    };
    monitor.__fleetImageRecorder = true;
}
// How the mock monitor sees a secret input: the SDK's secret envelope.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: any) => v?.[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const plain = (v: any) => (isSecret(v) ? v.value : v);
const IMAGE = "docker:index/image:Image";
const settle = () => new Promise((r) => setTimeout(r, 50));

/** A fresh multi-stage context in a temp dir. */
function context(files: Record<string, string> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-image-"));
    const all = { Dockerfile: "FROM local/busybox:1 AS build\nRUN echo hi > /hi\nFROM local/busybox:1\nCOPY --from=build /hi /hi\n", "page.txt": "v1\n", ...files };
    for (const [f, text] of Object.entries(all)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
}
const args = (dir: string, extra: Partial<FleetImageArgs> = {}): FleetImageArgs => ({ name: "hello", context: dir, registry: { server: "10.232.0.11:5000" }, ...extra });
const PROXY = "http://builder:pr0xy-pass@proxy.example:3128";

describe("FleetImage: content tag", () => {
    const t = { dockerfile: "Dockerfile", platform: "linux/amd64" };

    it("hashes content, not timestamps: the same files give the same tag, a touched file too", () => {
        const a = context();
        const b = context();
        assert.strictEqual(contextTag(a, t), contextTag(b, t));
        fs.utimesSync(path.join(b, "page.txt"), new Date(2001, 1, 1), new Date(2001, 1, 1));
        assert.strictEqual(contextTag(a, t), contextTag(b, t));
        assert.match(contextTag(a, t), /^[0-9a-f]{20}$/);
    });

    it("a changed, added or renamed file, the exec bit, the Dockerfile, target, args and platform each give a new tag", () => {
        const base = contextTag(context(), t);
        const changed = context({ "page.txt": "v2\n" });
        const tags = [
            contextTag(changed, t),
            contextTag(context({ "sub/extra.txt": "x" }), t),
            contextTag(context({ "Dockerfile": "FROM local/busybox:1\n" }), t),
            contextTag(context(), { ...t, target: "build" }),
            contextTag(context(), { ...t, args: { VERSION: "1" } }),
            contextTag(context(), { ...t, platform: "linux/arm64" }),
        ];
        const x = context();
        fs.chmodSync(path.join(x, "page.txt"), 0o755);
        tags.push(contextTag(x, t));
        const r = context();
        fs.renameSync(path.join(r, "page.txt"), path.join(r, "page2.txt"));
        tags.push(contextTag(r, t));
        assert.strictEqual(new Set([base, ...tags]).size, tags.length + 1, JSON.stringify([base, ...tags]));
    });

    it("walks subdirectories in sorted order", () => {
        assert.deepStrictEqual(contextFiles(context({ "b/z.txt": "", "a/y.txt": "" })), ["Dockerfile", "a/y.txt", "b/z.txt", "page.txt"]);
    });
});

describe("FleetImage: rendering", () => {
    it("renders the docker.Image inputs by value: name from content, BuildKit, no build on preview, Dockerfile under the context", () => {
        const dir = context();
        const tag = contextTag(dir, { dockerfile: "Dockerfile", platform: "linux/amd64", target: "runtime", args: { VERSION: "1" } });
        assert.deepStrictEqual(renderImageArgs(args(dir, { target: "runtime", args: { VERSION: "1" } })), {
            imageName: `10.232.0.11:5000/hello:${tag}`,
            build: { context: dir, dockerfile: path.join(dir, "Dockerfile"), builderVersion: "BuilderBuildKit", platform: "linux/amd64", target: "runtime", args: { VERSION: "1" } },
            buildOnPreview: false,
            skipPush: false,
            registry: { server: "10.232.0.11:5000" },
        });
    });

    it("an unchanged context renders the same inputs; a changed file renders a new image name", () => {
        const dir = context();
        assert.deepStrictEqual(renderImageArgs(args(dir)), renderImageArgs(args(dir)));
        const before = imageNameOf(args(dir)).imageName;
        fs.writeFileSync(path.join(dir, "page.txt"), "v2\n");
        const after = imageNameOf(args(dir)).imageName;
        assert.notStrictEqual(after, before);
        assert.match(after, /^10\.232\.0\.11:5000\/hello:[0-9a-f]{20}$/);
    });

    it("the proxy: Docker's predefined args in both cases, URLs secret, NO_PROXY keeps the registry direct; nothing without a proxy", async () => {
        const p = proxyBuildArgs({ httpProxy: PROXY, httpsProxy: PROXY, noProxy: [".corp.example"] }, "10.232.0.11:5000");
        assert.deepStrictEqual(Object.keys(p).sort(), ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]);
        for (const k of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
            const o = p[k] as pulumi.Output<string>;
            assert.strictEqual(await isSecretOutput(o), true, k);
            assert.strictEqual(await valueOf(o), PROXY, k);
        }
        assert.strictEqual(p.NO_PROXY, "localhost,127.0.0.1,10.232.0.11,.corp.example");
        assert.strictEqual(p.no_proxy, p.NO_PROXY);
        assert.deepStrictEqual(proxyBuildArgs(undefined, "10.232.0.11:5000"), {});
        assert.deepStrictEqual(proxyBuildArgs({ noProxy: ["x"] }, "10.232.0.11:5000"), {});
    });

    it("the proxy is not part of the tag: a new proxy password builds the same name", () => {
        const dir = context();
        assert.strictEqual(imageNameOf(args(dir, { proxy: { httpProxy: PROXY } })).imageName, imageNameOf(args(dir)).imageName);
    });

    it("validates by value: name, context, Dockerfile, proxy args, registry", () => {
        const dir = context();
        assert.deepStrictEqual(validateFleetImage(args(dir)), []);
        assert.deepStrictEqual(validateFleetImage({ name: "Hello", context: "/nonexistent/ctx", target: "a b", args: { HTTP_PROXY: "x", "1x": "y" }, registry: { server: "10.232.0.11" } }), [
            { field: "name", message: '"Hello" must be a repository name: lower-case letters, digits, separators . _ - and / between components', severity: "error" },
            { field: "context", message: "/nonexistent/ctx is not a directory on this machine", severity: "error" },
            { field: "target", message: '"a b" must be a stage name', severity: "error" },
            { field: "args.HTTP_PROXY", message: "is the fleet's proxy, passed by dockfleet as a secret build arg (dockfleet:httpProxy / httpsProxy / proxy.noProxy); remove it", severity: "error" },
            { field: "args.1x", message: "must be a build-arg name (letters, digits, _)", severity: "error" },
            { field: "registry.server", message: '"10.232.0.11" must be the registry\'s host:port', severity: "error" },
        ]);
        assert.deepStrictEqual(validateFleetImage(args(dir, { dockerfile: "Nope" })), [{ field: "dockerfile", message: `Nope does not exist in ${dir}`, severity: "error" }]);
        assert.deepStrictEqual(validateFleetImage(args(dir, { dockerfile: "../Dockerfile" })), [{ field: "dockerfile", message: `../Dockerfile is outside the context ${dir}`, severity: "error" }]);
    });
});

describe("FleetImage component (mocks)", () => {
    let FleetImage: typeof FleetImageType;
    let SwarmStack: typeof SwarmStackType;
    before(async () => {
        recordRequests();
        ({ FleetImage } = await import("./fleet-image"));
        ({ SwarmStack } = await import("../swarm-stack/swarm-stack"));
    });

    it("registers one docker.Image parented to the component: build args with the proxy as secrets, registry password secret, nothing in labels", async () => {
        const dir = context();
        const img = new FleetImage("img-a", args(dir, { args: { VERSION: "1" }, proxy: { httpProxy: PROXY, noProxy: [".corp"] }, registry: { server: "10.232.0.11:5000", username: "fleet", password: "reg-pass" } }));
        const digest = await valueOf(img.repoDigest);
        await settle();
        const [r] = byType(IMAGE, "img-a");
        assert.ok(r, "docker.Image registered");
        assert.strictEqual(r.inputs.imageName, img.imageName);
        assert.strictEqual(digest, mockRepoDigest(img.imageName));
        // the SDK lifts build (its defaults) into one Output: secret as a whole once an arg is
        assert.ok(isSecret(r.inputs.build), "build is secret in state");
        assert.deepStrictEqual(plain(r.inputs.build).args, { VERSION: "1", HTTP_PROXY: PROXY, http_proxy: PROXY, NO_PROXY: "localhost,127.0.0.1,10.232.0.11,.corp", no_proxy: "localhost,127.0.0.1,10.232.0.11,.corp" });
        assert.ok(isSecret(r.inputs.registry), "registry (its password) secret");
        assert.deepStrictEqual(plain(r.inputs.registry), { server: "10.232.0.11:5000", username: "fleet", password: "reg-pass" });
        assert.ok(!JSON.stringify(r.inputs).includes('"labels"'), "no labels input");
        // the URL appears nowhere but in those secret values
        const { build: _b, registry: _r, ...rest } = r.inputs;
        assert.ok(!JSON.stringify(rest).includes("pr0xy-pass"), JSON.stringify(rest));
        assert.strictEqual(byType("dockfleet:image:FleetImage", "img-a").length, 1);
        assert.strictEqual(requests.get(`${IMAGE}::img-a`)!.parent, "urn:pulumi:unit::dockfleet::dockfleet:image:FleetImage::img-a");
    });

    it("a service pinned to the repoDigest runs exactly that digest and depends on the image; other services keep their image", async () => {
        const dir = context();
        const img = new FleetImage("img-b", args(dir));
        await valueOf(img.repoDigest);
        await settle();
        assert.ok(!isSecret(byType(IMAGE, "img-b")[0].inputs.build), "without a proxy nothing in build is secret");
        const stack = new SwarmStack("pin", {
            name: "pin",
            services: { web: { image: img.repoDigest }, other: { image: "local/busybox:1" } },
            registryAuth: { serverAddress: "10.232.0.11:5000", username: "fleet", password: "reg-pass" },
        });
        await valueOf(stack.compose);
        await settle();
        const S = "docker:index/service:Service";
        const web = byType(S, "pin-web")[0];
        const other = byType(S, "pin-other")[0];
        const digest = mockRepoDigest(img.imageName);
        assert.strictEqual(web.inputs.taskSpec.containerSpec.image, digest);
        assert.strictEqual(other.inputs.taskSpec.containerSpec.image, "local/busybox:1");
        const imageUrn = `urn:pulumi:unit::dockfleet::dockfleet:image:FleetImage$${IMAGE}::img-b`;
        assert.ok(requests.get(`${S}::pin-web`)!.deps.includes(imageUrn), JSON.stringify(requests.get(`${S}::pin-web`)!.deps));
        assert.ok(!requests.get(`${S}::pin-other`)!.deps.includes(imageUrn));
        // the registry credentials go with the digest from this registry, not with the other image
        assert.ok(isSecret(web.inputs.auth));
        assert.deepStrictEqual(plain(web.inputs.auth), { serverAddress: "10.232.0.11:5000", username: "fleet", password: "reg-pass" });
        assert.strictEqual(other.inputs.auth, undefined);
        assert.match(await valueOf(stack.compose), new RegExp(`image: ${digest.replace(/[.]/g, "\\.")}\\n`));
    });

    it("never builds or pushes in a preview: every docker.Image it registers says buildOnPreview false, whatever the args", async () => {
        const dir = context();
        const variants: FleetImageArgs[] = [
            args(dir),
            args(dir, { target: "build", args: { VERSION: "2" }, platform: "linux/arm64", proxy: { httpProxy: PROXY } }),
            // not an input of FleetImage: a caller that slips it in still gets no build on preview
            { ...args(dir), buildOnPreview: true } as FleetImageArgs,
        ];
        for (const [i, a] of variants.entries()) {
            const img = new FleetImage(`img-np${i}`, a);
            await valueOf(img.repoDigest);
            await settle();
            const [r] = byType(IMAGE, `img-np${i}`);
            // false, not unset: the provider's own default is not relied on
            assert.strictEqual(r.inputs.buildOnPreview, false, `variant ${i}`);
            assert.strictEqual(r.inputs.skipPush, false, `variant ${i}: up pushes`);
        }
    });

    it("fails before registering anything when the context has no Dockerfile", () => {
        const dir = context();
        fs.rmSync(path.join(dir, "Dockerfile"));
        const n = registered.length;
        assert.throws(() => new FleetImage("img-c", args(dir)), /FleetImage "img-c", field dockerfile: Dockerfile does not exist in/);
        assert.strictEqual(registered.slice(n).filter((r) => r.type === IMAGE).length, 0);
    });
});
