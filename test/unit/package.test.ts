// @dockfleet/components as a user gets it: `npm pack` of packages/components, the tarball's
// contents, then each examples/* program copied out of the repository, installed from the tarball
// with npm, type-checked with tsc --strict and run under Pulumi mocks with plain node (no ts-node,
// nothing resolved from this repository). The resource graphs are compared with what the same
// components build from source.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { registered, valueOf, Registered } from "../support/mocks";
import { PKG_DIR, ROOT, installExample as installFromTarball, packComponents, run } from "../support/example-install";
import { PLACEHOLDER_VALUES, plainStrings, settle, stackConfig } from "../support/stack-files";
import { DaemonConfig, renderDaemonJson } from "../../components/docker-host/daemon-config";
import { hardenedDaemon } from "../../components/docker-host/cis";
import { DockerHost } from "../../components/docker-host/docker-host";
import { loadStackConfig } from "../../program/load";
import { buildProgram } from "../../program/program";
import { testHostKey } from "../support/host-key-fixtures";

const HARNESS = path.join(__dirname, "run-under-mocks.js");
const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const libPkg = JSON.parse(fs.readFileSync(path.join(PKG_DIR, "package.json"), "utf8"));
// The harness mocks with the project and stack of test/support/mocks.ts, so URNs, provider
// references and the hosts' claim names (project.stack.resource) compare one to one.
const PROJECT = "dockfleet";
const STACK = "unit";

interface Registration { type: string; name: string; urn: string; parent?: string; provider?: string; custom: boolean; inputs: Record<string, unknown> }
interface MockRun { resolved: string; registrations: Registration[]; outputs: Record<string, unknown>; error?: undefined }

/** Runs the compiled example under mocks in a fresh node process (test/unit/run-under-mocks.js). */
function runUnderMocks(dir: string, values: Record<string, unknown>, secrets: string[] = []): MockRun | { error: string } {
    const cfg = path.join(dir, "..", `${path.basename(dir)}-config-${Date.now()}.json`);
    fs.writeFileSync(cfg, JSON.stringify({ values, secrets }));
    const r = spawnSync(process.execPath, [HARNESS, dir, "bin/index.js", PROJECT, STACK, cfg], { cwd: dir, encoding: "utf8", timeout: 120000, maxBuffer: 256 * 1024 * 1024 });
    const last = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(last);
    } catch {
        throw new Error(`harness exited ${r.status}:\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
    }
}

function ok(r: MockRun | { error: string }): MockRun {
    if (r.error !== undefined) throw new Error(`the example failed under mocks: ${r.error}`);
    return r as MockRun;
}

/** Inputs as the mock monitor saw them, in JSON form (secrets stay wrapped). */
const normal = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

describe("@dockfleet/components: npm pack, install from the tarball, examples under mocks", function () {
    this.timeout(300000);
    let tmp: string;
    let tarball: string;
    let packed: { path: string }[];

    /** The example installed from the tarball, then compiled with its own TypeScript, strict (types from dist/*.d.ts; emits bin/). */
    function installExample(name: string): string {
        const dir = installFromTarball(tmp, tarball, name);
        run(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", ".", "--strict"], dir);
        return dir;
    }

    before(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-package-"));
        // `npm pack` runs prepack (packages/components/build.js: tsc + the scripts next to the JS).
        ({ tarball, files: packed } = packComponents(tmp));
    });

    after(() => {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe("the tarball", () => {
        it("holds compiled JavaScript + .d.ts for every component module, and each shell script next to the JS that reads it", () => {
            const files = new Set(packed.map((f) => f.path));
            const expected: string[] = ["package.json", "README.md", "dist/index.js", "dist/index.d.ts"];
            const src = path.join(ROOT, "components");
            // Every module folder, and folders inside one (common/rules); scripts/ ship as they are.
            const walk = (mod: string) => {
                for (const f of fs.readdirSync(path.join(src, mod))) {
                    if (f !== "scripts" && fs.statSync(path.join(src, mod, f)).isDirectory()) walk(`${mod}/${f}`);
                    else if (f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "fixtures.ts") {
                        expected.push(`dist/${mod}/${f.replace(/\.ts$/, ".js")}`, `dist/${mod}/${f.replace(/\.ts$/, ".d.ts")}`);
                    }
                }
                if (fs.existsSync(path.join(src, mod, "scripts"))) {
                    // the built scripts; the apply script's modules (scripts/apply/) are joined into one already
                    for (const s of fs.readdirSync(path.join(src, mod, "scripts")).filter((n) => n.endsWith(".sh"))) expected.push(`dist/${mod}/scripts/${s}`);
                }
            };
            for (const mod of fs.readdirSync(src).filter((m) => fs.statSync(path.join(src, m)).isDirectory())) walk(mod);
            assert.deepStrictEqual(expected.filter((f) => !files.has(f)), [], "missing from the tarball");
            assert.deepStrictEqual([...files].filter((f) => !expected.includes(f)).sort(), [], "in the tarball but not expected (tests, fixtures, sources, maps, program/...)");
            assert.ok(files.has("dist/docker-host/scripts/apply-docker-config.sh") && files.has("dist/container-unit/scripts/install-unit.sh"));
        });

        it("package.json: one entry point (main/types/exports into dist), no ts-node, TypeScript or zod at run time, peers matching the root's pins", () => {
            assert.strictEqual(libPkg.name, "@dockfleet/components");
            assert.strictEqual(libPkg.private, true, "not published to a registry: install from the tarball (docs/programs.md)");
            assert.strictEqual(libPkg.main, "dist/index.js");
            assert.strictEqual(libPkg.types, "dist/index.d.ts");
            assert.deepStrictEqual(libPkg.exports["."], { types: "./dist/index.d.ts", default: "./dist/index.js" });
            assert.deepStrictEqual(libPkg.files, ["dist/"]);
            assert.match(libPkg.scripts.prepack, /build\.js/);
            const runtime = { ...libPkg.dependencies, ...libPkg.peerDependencies };
            for (const forbidden of ["ts-node", "typescript", "zod", "@types/node", "mocha"]) assert.ok(!(forbidden in runtime), forbidden);
            for (const [dep, version] of Object.entries(libPkg.dependencies as Record<string, string>)) assert.strictEqual(version, rootPkg.dependencies[dep], dep);
            for (const [dep, range] of Object.entries(libPkg.peerDependencies as Record<string, string>)) {
                assert.strictEqual(range, `^${rootPkg.dependencies[dep]}`, `${dep}: the peer range starts at the version the root pins and tests`);
            }
            // The root package stays the Pulumi program: Pulumi's Node.js host prefers `exports`, then `main`.
            assert.strictEqual(rootPkg.main, "index.ts");
            assert.strictEqual(rootPkg.exports, undefined);
        });
    });

    describe("examples/single-host (one host, one daemon.json)", () => {
        let dir: string;
        const base = { host: "192.0.2.10", hostKey: testHostKey("192.0.2.10"), sshPrivateKey: PLACEHOLDER_VALUES.sshPrivateKey };

        before(() => {
            dir = installExample("single-host");
        });

        it("resolves @dockfleet/components from its own node_modules, an installed copy, and exports the library (not the config loader)", () => {
            const probe = `const m = require("@dockfleet/components");
                const loaded = Object.keys(require.cache);
                console.log(JSON.stringify({ file: require.resolve("@dockfleet/components"), keys: Object.keys(m), zod: loaded.some((f) => f.includes("/node_modules/zod/")), tsNode: loaded.some((f) => f.includes("ts-node")) }));`;
            const r = JSON.parse(run(process.execPath, ["-e", probe], dir));
            const installed = path.join(dir, "node_modules", "@dockfleet", "components");
            assert.strictEqual(r.file, path.join(installed, "dist", "index.js"));
            assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "an npm install of a tarball is a copy, not a link into the repository");
            assert.ok(!fs.existsSync(path.join(dir, "node_modules", "ts-node")), "a consumer needs no ts-node");
            for (const k of [
                "DockerFleet", "DockerHost", "Registry", "NfsVolume", "SwarmStack", "ContainerUnit",
                "renderDaemonJson", "validateDaemonConfig", "validateFleet", "restartBatches", "renderProxyDropIn", "validateProxy", "renderApplyCommand",
                "renderContainerUnit", "validateContainerUnit", "renderRegistryEnv", "validateRegistryStorage", "validateRegistryHost",
                "nfsDriverOpts", "nfsVolumeName", "validateNfs", "renderService", "renderNetwork", "renderCompose", "validateSwarmStack", "importCompose",
                "DockfleetConfigError", "formatIssue", "throwOnErrors",
            ]) assert.ok(r.keys.includes(k), `exports ${k}`);
            for (const k of ["loadStackConfig", "buildProgram", "configSchema", "readStackConfig"]) assert.ok(!r.keys.includes(k), `does not export ${k}`);
            assert.strictEqual(r.zod, false, "the stack-config loader (zod) is not loaded");
            assert.strictEqual(r.tsNode, false);
        });

        it("exports every Args type, also through package.json exports (moduleResolution node16)", () => {
            fs.writeFileSync(path.join(dir, "types-check.ts"), `import type {
    DockerFleetArgs, DockerHostArgs, ContainerUnitArgs, RegistryArgs, NfsVolumeResourceArgs, SwarmStackArgs,
    DaemonConfig, FleetHost, FleetSsh, ProxyArgs, ApplyPolicy, ContainerUnitSpec, RegistryStorageArgs, NfsVolumeArgs, ServiceSpec, Issue,
} from "@dockfleet/components";
export type All = [DockerFleetArgs, DockerHostArgs, ContainerUnitArgs, RegistryArgs, NfsVolumeResourceArgs, SwarmStackArgs,
    DaemonConfig, FleetHost, FleetSsh, ProxyArgs, ApplyPolicy, ContainerUnitSpec, RegistryStorageArgs, NfsVolumeArgs, ServiceSpec, Issue];
`);
            run(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", "--types", "node", "--skipLibCheck", "types-check.ts"], dir);
        });

        it("registers DockerHost docker01 with its apply command as child; daemon.json as the default model renders it", async () => {
            const r = ok(runUnderMocks(dir, base, ["sshPrivateKey"]));
            assert.strictEqual(r.resolved, path.join(dir, "node_modules", "@dockfleet", "components", "dist", "index.js"));
            assert.deepStrictEqual(r.registrations.map((x) => [x.type, x.name]), [
                ["dockfleet:dockerhost:DockerHost", "docker01"],
                ["command:remote:Command", "docker01-apply"],
            ]);
            const [host, apply] = r.registrations;
            assert.strictEqual(host.parent, undefined);
            assert.strictEqual(apply.parent, host.urn);
            const daemon = JSON.parse(r.outputs.daemonJson as string);
            assert.deepStrictEqual(daemon["registry-mirrors"], ["https://registry-mirror.corp.example"]);
            assert.deepStrictEqual(daemon["log-opts"], { "max-file": "3", "max-size": "10m" });
            assert.match(apply.inputs.create as string, /apply-docker-config 'apply' '--host' 'docker01' '--restart-timeout' '60' '--smoke-image' 'busybox:latest'/);
            assert.ok((apply.inputs.create as string).includes(`=== /etc/docker/daemon.json 0644\n${r.outputs.daemonJson}`), "the public bundle carries daemon.json");
            assert.deepStrictEqual(plainStrings(r.registrations.map((x) => x.inputs)).filter((s) => s.includes("c0ffee")), [], "the key only inside a secret");
        });

        it("renders the same commands as DockerHost built from source (the packed scripts are the repository's)", async () => {
            const daemon: DaemonConfig = { insecureRegistries: ["10.232.0.11:5000"], debug: true, logDriver: "local", labels: { role: "ci" } };
            const r = ok(runUnderMocks(dir, { ...base, daemon, swarm: true, engineVersion: "20.10", smokeImage: "local/busybox:1", sshUser: "admin", sshPort: 2222 }, ["sshPrivateKey"]));
            const fromPackage = r.registrations.find((x) => x.name === "docker01-apply")!;

            registered.length = 0;
            const fromSource = new DockerHost("docker01", {
                connection: { host: base.host, port: 2222, user: "admin", privateKey: pulumi.secret(base.sshPrivateKey), hostKey: base.hostKey },
                daemon, engineVersion: "20.10", swarm: true, smokeImage: "local/busybox:1",
            });
            assert.strictEqual(await valueOf(fromSource.daemonJson), renderDaemonJson(hardenedDaemon(daemon)));
            await settle();
            const src = registered.find((x) => x.name === "docker01-apply")!;
            for (const k of ["create", "update", "delete"]) assert.strictEqual(fromPackage.inputs[k], src.inputs[k], k);
            assert.deepStrictEqual(normal(fromPackage.inputs.connection), normal(src.inputs.connection));
            assert.match(fromPackage.inputs.create as string, /'--owner' 'dockfleet\.unit\.docker01'/);
        });

        it("a bad daemon config fails the program with an error naming stack, resource and field", () => {
            const r = runUnderMocks(dir, { ...base, daemon: { metricsAddr: "everywhere" } }, ["sshPrivateKey"]);
            assert.ok(r.error, "expected the program to fail");
            assert.match(r.error!, /stack "unit", DockerHost "docker01", field daemon\.metricsAddr: "everywhere" must be ip:port/);
        });
    });

    describe("examples/fleet (stacks/Pulumi.prod.yaml in TypeScript)", () => {
        let dir: string;
        let r: MockRun;
        const secrets = ["sshPrivateKey", "httpProxy", "httpsProxy", "swiftPassword", "registryHttpSecret"];
        const byName = (n: string) => r.registrations.find((x) => x.name === n)!;

        before(() => {
            dir = installExample("fleet");
            r = ok(runUnderMocks(dir, Object.fromEntries(secrets.map((k) => [k, PLACEHOLDER_VALUES[k]])), secrets));
        });

        it("resource graph: the fleet, 5 hosts in batches of 1, mcollective on every host, swarm membership of 4 nodes, the registry on Swift, 3 stacks with 6 services", () => {
            assert.strictEqual(r.resolved, path.join(dir, "node_modules", "@dockfleet", "components", "dist", "index.js"));
            const count = (t: string) => r.registrations.filter((x) => x.type === t).length;
            assert.strictEqual(count("dockfleet:dockerhost:DockerFleet"), 1);
            assert.strictEqual(count("dockfleet:dockerhost:DockerHost"), 5);
            assert.strictEqual(count("dockfleet:containerunit:ContainerUnit"), 5);
            // 5 daemon applies + 5 units + 4 swarm members + 1 node-settings command + the
            // manager's serve-snapshot and serve-wait around each of the 3 workers' applies
            assert.strictEqual(count("command:remote:Command"), 21);
            assert.strictEqual(count("dockfleet:swarm:SwarmCluster"), 1);
            assert.strictEqual(count("dockfleet:registry:Registry"), 1);
            assert.strictEqual(count("docker:index/container:Container"), 1);
            assert.strictEqual(count("dockfleet:swarm:SwarmStack"), 3);
            assert.strictEqual(count("docker:index/service:Service"), 6);
            assert.deepStrictEqual(r.outputs.restartBatches, [["registry01"], ["swarm-mgr01"], ["swarm-wrk01"], ["swarm-wrk02"], ["swarm-wrk03"]]);
            assert.strictEqual(r.outputs.registryEndpoint, "10.20.0.10:5000");
            assert.deepStrictEqual((r.outputs.swarmServices as string[]).sort(), [
                "kafka_kafka", "kafka_kafka-manager", "kafka_zookeeper", "prometheus_node-exporter", "prometheus_prometheus", "yum_repo_nginx",
            ]);
        });

        it("parents: hosts under the fleet, each command under its component, containers/services/networks under theirs", () => {
            const fleet = byName("fleet");
            assert.strictEqual(fleet.parent, undefined);
            for (const h of ["registry01", "swarm-mgr01", "swarm-wrk01", "swarm-wrk02", "swarm-wrk03"]) {
                assert.strictEqual(byName(h).parent, fleet.urn, h);
                assert.strictEqual(byName(`${h}-apply`).parent, byName(h).urn);
                assert.strictEqual(byName(`${h}-mcollective`).parent, undefined);
                assert.strictEqual(byName(`${h}-mcollective-unit`).parent, byName(`${h}-mcollective`).urn);
            }
            assert.strictEqual(byName("registry-container").parent, byName("registry").urn);
            for (const x of r.registrations.filter((y) => y.type === "docker:index/service:Service" || y.type === "docker:index/network:Network")) {
                const stack = r.registrations.find((s) => s.type === "dockfleet:swarm:SwarmStack" && x.name.startsWith(`${s.name}-`))!;
                assert.strictEqual(x.parent, stack.urn, x.name);
            }
            // The registry through its host's docker provider, the stacks through the manager's.
            assert.match(byName("registry-container").provider!, /::docker-registry01::/);
            for (const s of r.registrations.filter((y) => y.type === "docker:index/service:Service")) assert.match(s.provider!, /::docker-swarm-mgr01::/, s.name);
        });

        it("registers exactly what dockfleet's own program builds from stacks/Pulumi.prod.yaml: same resources, same inputs", async () => {
            registered.length = 0;
            const { raw, secret } = stackConfig(path.join(ROOT, "stacks", "Pulumi.prod.yaml"));
            const out = buildProgram(loadStackConfig("prod", raw, secret, ROOT));
            await valueOf(out.swarmServices!);
            await settle();
            const fromSource: Registered[] = registered.slice();
            assert.deepStrictEqual(r.registrations.map(key).sort(), fromSource.map(key).sort());
            for (const x of r.registrations) {
                const s = fromSource.find((y) => key(y) === key(x))!;
                assert.deepStrictEqual(normal(x.inputs), normal(s.inputs), `${key(x)}: inputs`);
                assert.strictEqual(x.provider, s.provider || undefined, `${key(x)}: provider`);
            }
        });

        it("no secret appears in a plain input", () => {
            const leaks = r.registrations.flatMap((x) => plainStrings(x.inputs).filter((s) => /PLACEHOLDER-\w+-c0ffee/.test(s)).map((s) => `${key(x)}: ${s.slice(0, 60)}`));
            assert.deepStrictEqual(leaks, []);
        });
    });
});
