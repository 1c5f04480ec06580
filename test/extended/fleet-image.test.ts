// End-to-end (issue 31): the example's multi-stage image built by host1's dockerd (the registry's
// host) from a context on this machine, pushed over TLS + auth to the Swift-backed registry, run by
// a one-service stack pinned to the pushed digest and answering over HTTP. The fleet's proxy
// reaches the RUN step (proxy.txt says so) yet is in no layer, no history and no image config; a
// no-op up builds nothing; a one-line change is one new digest and one rolling update.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { eventually, sandbox, sh, ssh } from "../contract/lib";
import { ROOT, STACK_FILE, pulumiCli, useLocalStack } from "../e2e/lib";

const REG = "10.232.0.11:5000";
const URL_ = "http://10.232.0.12:18081";

const get = (p: string) => spawnSync("curl", ["-sf", "--max-time", "5", `${URL_}/${p}`], { encoding: "utf8" }).stdout;

describe("e2e: an image built on a fleet host, pushed to the registry, run by digest", function () {
    this.timeout(1800000);
    const log: string[] = [];
    const collect = (s: string) => log.push(s);
    before(() => sandbox());
    const local = useLocalStack(ssh, collect);
    // the example context, copied: the test changes a file of it
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-e2e-image-"));
    let proxy = "";
    let digest = "";

    before(async () => {
        fs.cpSync(path.join(ROOT, "examples/fleet-image"), ctx, { recursive: true });
        // what an aborted earlier run of this suite may have left (cleanHosts knows the web stack only)
        ssh("host1", "docker service rm hello_web >/dev/null 2>&1; sleep 2; docker network rm hello_default >/dev/null 2>&1; true");
        const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
        doc.setIn(["config", "dockfleet:parts"], ["daemon", "swarm", "registry", "images", "stacks"]);
        doc.deleteIn(["config", "dockfleet:containerUnits"]);
        doc.deleteIn(["config", "dockfleet:volumes"]);
        doc.setIn(["config", "dockfleet:images"], { hello: { context: ctx } });
        doc.setIn(["config", "dockfleet:stacks"], {
            hello: {
                services: {
                    web: {
                        image: { build: "hello" },
                        replicas: 1,
                        endpointMode: "dnsrr",
                        ports: [{ target: 8080, published: 18081, mode: "host" }],
                        placement: { constraints: ["node.hostname == host2"] },
                        healthcheck: { test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"], interval: "2s", timeout: "2s", retries: 3, startPeriod: "1s" },
                        update: { parallelism: 1, delay: "1s", failureAction: "rollback", monitor: "3s", order: "stop-first" },
                    },
                },
            },
        });
        fs.writeFileSync(STACK_FILE, doc.toString());
        const r = pulumiCli(["config", "get", "dockfleet:httpProxy"]);
        assert.strictEqual(r.code, 0, r.out);
        proxy = r.out.trim();
        assert.ok(proxy.startsWith("http"), "the local stack has a proxy");
    });
    after(() => fs.rmSync(ctx, { recursive: true, force: true }));

    /** The proxy URL and its password (when it has one): what must not appear anywhere. */
    const needles = () => [proxy, ...(new URL(proxy).password ? [decodeURIComponent(new URL(proxy).password)] : [])];

    it("up builds the image on host1, pushes it, and the service runs the digest and answers", async () => {
        const t = Date.now();
        const res = await local.stack.up({ onOutput: collect });
        console.log(`      up from nothing (daemon, swarm, registry, image, stack): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.strictEqual(res.summary.result, "succeeded");
        digest = res.outputs.images.value.hello;
        assert.match(digest, /^10\.232\.0\.11:5000\/hello@sha256:[0-9a-f]{64}$/);
        assert.strictEqual(sh("host1", "docker service inspect hello_web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'"), digest);
        await eventually(() => get("index.html") === fs.readFileSync(path.join(ctx, "page.txt"), "utf8"), 120000, "the page from the image");
        assert.strictEqual(get("proxy.txt"), "proxy\n", "the RUN step saw the proxy");
        // built by the registry's host: the image is there, under its content tag
        assert.match(sh("host1", `docker image ls --format '{{.Repository}}:{{.Tag}}' ${REG}/hello`), /^10\.232\.0\.11:5000\/hello:[0-9a-f]{20}$/m);
    });

    it("the proxy is in no layer, history, image config or container on the host (the build stage's images too), nor in state, outputs or engine output", () => {
        const ref = sh("host1", `docker image ls --format '{{.Repository}}:{{.Tag}}' ${REG}/hello | head -1`);
        // the runtime stage's history: the copy from the build stage (whose RUN step is in no image)
        assert.match(sh("host1", `docker history --no-trunc ${ref}`), /COPY \/out\/ \/www\//, "the history has the COPY from the build stage");
        // every image on host1 (intermediate ones of both stages included): history and config; and
        // every container (the classic builder would leave one per RUN step, the args in its env)
        const meta = sh("host1", "for i in $(docker images -a -q | sort -u); do docker history --no-trunc $i; docker image inspect $i; done; for c in $(docker ps -aq); do docker inspect $c; done");
        // the image's layers, byte for byte (uncompressed tars inside the saved tar)
        const saved = spawnSync("ssh", ["-F", sandbox().sshConfigPath, "host1", `docker save ${ref}`], { encoding: "latin1", maxBuffer: 256 * 1024 * 1024 });
        assert.strictEqual(saved.status, 0, saved.stderr);
        assert.ok(saved.stdout.includes("dockfleet fleet-image example v1"), "the saved layers hold the page");
        const state = pulumiCli(["stack", "export"]).out;
        const outputs = pulumiCli(["stack", "output", "--json"]).out;
        const hits = [["history and image config", meta], ["image layers", saved.stdout], ["stack export", state], ["outputs", outputs], ["engine output", log.join("")]]
            .flatMap(([where, text]) => needles().filter((n) => text.includes(n)).map(() => where));
        assert.deepStrictEqual(hits, []);
    });

    it("a second up with no change builds nothing and updates nothing", async () => {
        const res = await local.stack.up({ onOutput: collect });
        assert.deepStrictEqual(Object.keys(res.summary.resourceChanges ?? {}), ["same"], JSON.stringify(res.summary.resourceChanges));
        assert.strictEqual(res.outputs.images.value.hello, digest);
    });

    it("a one-line change: one new digest, one rolling update of the service, the new page served", async () => {
        fs.writeFileSync(path.join(ctx, "page.txt"), "dockfleet fleet-image example v2\n");
        const res = await local.stack.up({ onOutput: collect });
        assert.deepStrictEqual(res.summary.resourceChanges, { same: res.summary.resourceChanges!.same, update: 2 }, "the image and the one service");
        const next = res.outputs.images.value.hello as string;
        assert.notStrictEqual(next, digest);
        assert.strictEqual(sh("host1", "docker service inspect hello_web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'"), next);
        await eventually(() => get("index.html") === "dockfleet fleet-image example v2\n", 120000, "the new page");
    });
});
