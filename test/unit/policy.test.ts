import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    checkDevicemapper, checkInsecureRegistries, checkNfsVolumes, checkPlainTcp, checkReplicas, checkSwarmService, checkSwiftRegistry,
    fleetBatchSizes, findPlainSecrets, makePolicies, markSecrets, secretPathsOf,
} from "../../policy/rules";
import { engineVersionsFor } from "../../policy/stack-engine-versions";
import { imageTag } from "../../components/common/rules";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { renderService } from "../../components/swarm-stack/render";
import { SwarmStackArgs } from "../../components/swarm-stack/spec";

type Props = Record<string, unknown>;
// Wired as the pack's index.ts wires them: Engine versions from the stack files.
const policies = makePolicies((stack) => engineVersionsFor(stack));
const policy = (name: string) => policies.find((p) => p.name === name)!;

/** Runs a resource policy the way the pack's server does, returns the violation messages. */
async function violations(name: string, type: string, props: Props, opts: { stack?: string; config?: object; secrets?: string[] } = {}): Promise<string[]> {
    const p = policy(name) as ResourceValidationPolicy;
    const out: string[] = [];
    const args = {
        type, props: markSecrets(props, opts.secrets ?? []), urn: `urn:pulumi:${opts.stack ?? "dev"}::dockfleet::${type}::r`, name: "r",
        opts: {} as never, stackTags: new Map(), isType: () => false, asType: () => undefined, getConfig: () => (opts.config ?? {}) as never, notApplicable: () => { throw new Error("n/a"); },
    };
    const fns = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
    for (const f of fns) await f(args as never, (m?: string) => out.push(m ?? ""));
    return out;
}

const applyProps = (daemon: object, host = "host1") => ({
    create: renderApplyCommand("apply", { host, restartTimeoutSeconds: 60 }, renderBundle([{ path: "/etc/docker/daemon.json", mode: "0644", content: JSON.stringify(daemon, null, 2) + "\n" }])),
    connection: { host: "10.0.0.1", user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n" },
});

const stackArgs = (svc: Props = {}): SwarmStackArgs => ({
    name: "web",
    services: {
        httpd: {
            image: "nginx:1.24", replicas: 2,
            healthcheck: { test: ["CMD", "curl", "-f", "http://127.0.0.1/"] },
            update: { failureAction: "rollback" },
            ...svc,
        },
    },
} as SwarmStackArgs);

/** A docker.Service's inputs as the engine sends them (plain JSON of what the component renders). */
const serviceProps = (svc: Props = {}, a: Partial<SwarmStackArgs> = {}) => JSON.parse(JSON.stringify(renderService({ ...stackArgs(svc), ...a } as SwarmStackArgs, "httpd"))) as Props;

describe("policy pack: swarm services", () => {
    it("passes a service with a healthcheck and failure_action rollback (what SwarmStack renders)", async () => {
        assert.deepStrictEqual(await violations("swarm-service-healthcheck-rollback", "docker:index/service:Service", serviceProps()), []);
    });
    it("flags a service without healthcheck", async () => {
        const v = await violations("swarm-service-healthcheck-rollback", "docker:index/service:Service", serviceProps({ healthcheck: undefined }));
        assert.strictEqual(v.length, 1);
        assert.match(v[0], /has no healthcheck/);
    });
    it("flags healthcheck NONE and failure_action pause / unset", () => {
        assert.match(checkSwarmService({ taskSpec: { containerSpec: { healthcheck: { tests: ["NONE"] } } }, updateConfig: { failureAction: "rollback" } })[0], /no healthcheck/);
        assert.match(checkSwarmService({ taskSpec: { containerSpec: { healthcheck: { tests: ["CMD", "true"] } } }, updateConfig: { failureAction: "pause" } })[0], /"pause"; it must be "rollback"/);
        assert.match(checkSwarmService({ taskSpec: { containerSpec: { healthcheck: { tests: ["CMD", "true"] } } } })[0], /unset \(docker's default is pause\)/);
    });
    it("ignores other resource types", async () => {
        assert.deepStrictEqual(await violations("swarm-service-healthcheck-rollback", "docker:index/container:Container", {}), []);
    });
});

describe("policy pack: no plain secrets", () => {
    it("passes when the secret-looking inputs are secrets (connection, stdin, envs)", async () => {
        const props = { ...applyProps({ debug: false }), stdin: "HTTP_PROXY=http://u:pw@proxy:3128" };
        assert.deepStrictEqual(await violations("no-plain-secrets", "command:remote:Command", props, { secrets: ["connection", "stdin"] }), []);
        const reg = { image: "registry:2.8.3", envs: ["REGISTRY_STORAGE_SWIFT_PASSWORD=x", "REGISTRY_HTTP_SECRET=y"] };
        assert.deepStrictEqual(await violations("no-plain-secrets", "docker:index/container:Container", reg, { secrets: ["envs"] }), []);
    });
    it("flags the same values when they are plain", async () => {
        const v = await violations("no-plain-secrets", "command:remote:Command", applyProps({ debug: false }));
        assert.ok(v.some((m) => /connection.privateKey: a private key in plain text/.test(m)), v.join("\n"));
        const reg = await violations("no-plain-secrets", "docker:index/container:Container", { envs: ["REGISTRY_STORAGE_SWIFT_PASSWORD=x"] });
        assert.match(reg[0], /envs\[0\]: REGISTRY_STORAGE_SWIFT_PASSWORD=\.\.\. in plain text/);
    });
    it("flags credentials in URLs, secret-named keys, PASSWORD= in commands; not placeholders or redacted URLs", () => {
        assert.match(findPlainSecrets({ env: { HTTP_PROXY: "http://svc:hunter2@proxy:3128" } })[0], /env.HTTP_PROXY: credentials in a URL \(svc:\*\*\*@/);
        assert.match(findPlainSecrets({ password: "hunter2" })[0], /"password" has a plain value/);
        assert.match(findPlainSecrets({ labels: [{ label: "api-token", value: "abc" }] })[0], /labels\[0\].value: "api-token" has a plain value/);
        assert.match(findPlainSecrets({ create: "docker run -e DB_PASSWORD=hunter2 x" })[0], /DB_PASSWORD=\.\.\. in plain text/);
        assert.deepStrictEqual(findPlainSecrets({
            create: "# proxy: HTTP_PROXY=http://***@proxy:3128", password: "", token: "${TOKEN}", env: { DB_PASSWORD: "[secret]" },
            privateKeyPath: "/root/.ssh/id", secretName: "db", passwordFile: "/run/secrets/pw", image: "registry:2.8.3",
        }), []);
    });
    it("the pack's deserializer hook records secret paths before @pulumi/policy unwraps them", () => {
        const { installSecretTracking } = require("../../policy/rules");
        installSecretTracking();
        const de = require("@pulumi/policy/deserialize");
        const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
        const struct = Struct.fromJavaScript({ a: "x", b: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cret" } });
        const props = de.deserializeProperties(struct, false);
        assert.strictEqual(props.b, "s3cret", "the pack sees the plain value");
        assert.deepStrictEqual([...secretPathsOf(props)], ["b"]);
        assert.deepStrictEqual(findPlainSecrets({ password: props.b }, secretPathsOf(props)).length, 1, "paths differ: still reported");
        assert.deepStrictEqual(findPlainSecrets({ b: props.b, password: "" } as Props, secretPathsOf(props)), []);
    });
});

describe("policy pack: daemon.json guards", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "df-policy-"));
        fs.writeFileSync(path.join(dir, "Pulumi.new.yaml"), "config:\n  dockfleet:engineVersion: \"25.0\"\n  dockfleet:hosts:\n    - {name: old1, address: 10.0.0.1, engineVersion: \"20.10\"}\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("devicemapper: fine on 20.10, a violation on 25+ and when the version is unknown", () => {
        assert.deepStrictEqual(checkDevicemapper({ "storage-driver": "devicemapper" }, "20.10"), []);
        assert.match(checkDevicemapper({ "storage-driver": "devicemapper" }, "25.0")[0], /removed in Engine 25/);
        assert.match(checkDevicemapper({ "storage-opts": ["dm.thinpooldev=/dev/x"] }, "26.1.3")[0], /removed in Engine 25/);
        assert.match(checkDevicemapper({ "storage-driver": "devicemapper" }, undefined)[0], /unknown Engine version/);
        assert.deepStrictEqual(checkDevicemapper({ "storage-driver": "overlay2" }, "27.0"), []);
    });
    it("reads the Engine version per host from the stack file", () => {
        const v = engineVersionsFor("new", dir);
        assert.deepStrictEqual(v, { fleet: "25.0", hosts: { old1: "20.10" } });
        assert.deepStrictEqual(engineVersionsFor("missing", dir), { hosts: {} });
    });
    it("the policy on the real stacks: prod's devicemapper on 20.10 passes; the apply command is parsed", async () => {
        assert.deepStrictEqual(await violations("daemon-no-devicemapper-on-engine-25", "command:remote:Command", applyProps({ "storage-driver": "devicemapper" }, "swarm-wrk01"), { stack: "prod" }), []);
        const v = await violations("daemon-no-devicemapper-on-engine-25", "command:remote:Command", applyProps({ "storage-driver": "devicemapper" }), { stack: "no-such-stack" });
        assert.match(v[0], /unknown Engine version/);
        assert.match((await violations("daemon-no-devicemapper-on-engine-25", "command:remote:Command", applyProps({ "storage-driver": "devicemapper" }), { stack: "no-such-stack", config: { engineVersion: "25.0" } }))[0], /Engine 25\.0/);
    });
    it("plain TCP: loopback and unix sockets pass, 0.0.0.0 / LAN without tlsverify fail", async () => {
        assert.deepStrictEqual(checkPlainTcp({ hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://[::1]:2375", "fd://"] }), []);
        assert.deepStrictEqual(checkPlainTcp({ hosts: ["tcp://10.0.0.5:2376"], tls: true, tlsverify: true }), []);
        assert.strictEqual(checkPlainTcp({ hosts: ["tcp://0.0.0.0:2375", "tcp://10.0.0.5:2375"] }).length, 2);
        assert.strictEqual(checkPlainTcp({ hosts: ["tcp://:2375"] }).length, 1, "empty host = all interfaces");
        assert.strictEqual(checkPlainTcp({ hosts: ["tcp://10.0.0.5:2376"], tls: true, tlsverify: false }).length, 1);
        const v = await violations("daemon-no-plain-tcp", "command:remote:Command", applyProps({ hosts: ["tcp://0.0.0.0:2375"] }));
        assert.match(v[0], /tcp:\/\/0\.0\.0\.0:2375" exposes the Docker API without TLS off loopback/);
    });
    it("insecure registries: private IPs and ranges only", async () => {
        assert.deepStrictEqual(checkInsecureRegistries({ "insecure-registries": ["10.20.0.10:5000", "192.168.1.0/24", "172.16.0.0/12", "[fd00::1]:5000", "127.0.0.1:5000"] }), []);
        const bad = checkInsecureRegistries({ "insecure-registries": ["8.8.8.8:5000", "registry.example.com:5000", "0.0.0.0/0", "10.0.0.0/7"] });
        assert.strictEqual(bad.length, 4, bad.join("\n"));
        const v = await violations("insecure-registries-private", "command:remote:Command", applyProps({ "insecure-registries": ["203.0.113.5:5000"] }));
        assert.match(v[0], /public address/);
    });
});

describe("policy pack: registry, NFS", () => {
    const swift = ["REGISTRY_STORAGE=swift", "REGISTRY_STORAGE_SWIFT_AUTHURL=http://k:5000/v3"];
    it("swift registry pinned to 2.8.x", async () => {
        assert.deepStrictEqual(checkSwiftRegistry({ image: "registry:2.8.3", envs: swift }), []);
        assert.deepStrictEqual(checkSwiftRegistry({ image: "10.20.0.10:5000/library/registry:2.8.2@sha256:abc", envs: swift }), []);
        for (const image of ["registry:3", "registry:2", "registry:latest", "registry", "localhost:5000/registry"]) {
            assert.strictEqual(checkSwiftRegistry({ image, envs: swift }).length, 1, image);
        }
        assert.deepStrictEqual(checkSwiftRegistry({ image: "registry:3", envs: ["REGISTRY_STORAGE=s3"] }), [], "s3 may run registry 3");
        assert.match((await violations("registry-swift-pinned-2-8", "docker:index/container:Container", { image: "registry:3", envs: swift }))[0], /pin a 2\.8\.x tag/);
        assert.strictEqual(imageTag("host:5000/a/b:1.2"), "1.2");
        assert.strictEqual(imageTag("host:5000/a/b"), undefined);
    });
    it("NFS by IP: volumes and service mounts", async () => {
        const vol = (o: string) => ({ name: "v", driver: "local", driverOpts: { type: "nfs", o, device: ":/export" } });
        assert.deepStrictEqual(await violations("nfs-volume-by-ip", "docker:index/volume:Volume", vol("addr=10.20.0.40,nfsvers=4,rw")), []);
        assert.match((await violations("nfs-volume-by-ip", "docker:index/volume:Volume", vol("addr=nfs.corp.example,rw")))[0], /is a name/);
        assert.match((await violations("nfs-volume-by-ip", "docker:index/volume:Volume", vol("rw")))[0], /without addr=/);
        assert.deepStrictEqual(await violations("nfs-volume-by-ip", "docker:index/volume:Volume", { name: "plain", driver: "local" }), []);
        const ok = serviceProps({ mounts: [{ type: "nfs", source: "data", target: "/data" }] }, { nfsVolumes: { data: { server: "10.20.0.40", path: "/export/data" } } });
        assert.deepStrictEqual(await violations("nfs-volume-by-ip", "docker:index/service:Service", ok), []);
        const bad = serviceProps({ mounts: [{ type: "nfs", source: "data", target: "/data" }] }, { nfsVolumes: { data: { server: "nfs.corp.example", path: "/export/data" } } });
        assert.match(checkNfsVolumes("docker:index/service:Service", bad)[0], /mount 0 \(\/data\): NFS addr="nfs.corp.example" is a name/);
    });
});

describe("policy pack: advisory production rules", () => {
    it("replicas ≥ 2 only in production stacks, not for global services", async () => {
        const one = serviceProps({ replicas: 1 });
        assert.match((await violations("prod-replicas-at-least-2", "docker:index/service:Service", one, { stack: "prod" }))[0], /1 replica:/);
        assert.deepStrictEqual(await violations("prod-replicas-at-least-2", "docker:index/service:Service", one, { stack: "dev" }), []);
        assert.deepStrictEqual(await violations("prod-replicas-at-least-2", "docker:index/service:Service", serviceProps({ replicas: 2 }), { stack: "prod" }), []);
        assert.deepStrictEqual(checkReplicas({ mode: { global: true } }), []);
        assert.match((await violations("prod-replicas-at-least-2", "docker:index/service:Service", one, { stack: "live", config: { productionStacks: ["live"] } }))[0], /replica/);
        assert.strictEqual(policy("prod-replicas-at-least-2").enforcementLevel, "advisory");
    });

    const host = (name: string, deps: string[]) => ({ urn: `urn:pulumi:prod::dockfleet::dockfleet:dockerhost:DockerFleet$dockfleet:dockerhost:DockerHost::${name}`, type: "dockfleet:dockerhost:DockerHost", parent: { urn: "urn:pulumi:prod::dockfleet::dockfleet:dockerhost:DockerFleet::fleet" }, dependencies: deps.map((d) => ({ urn: `urn:pulumi:prod::dockfleet::dockfleet:dockerhost:DockerFleet$dockfleet:dockerhost:DockerHost$command:remote:Command::${d}-apply` })) });

    it("batch size from the DockerHost dependencies (as the engine records them)", () => {
        assert.deepStrictEqual([...fleetBatchSizes([host("a", []), host("b", ["a"]), host("c", ["b"])]).values()], [1]);
        assert.deepStrictEqual([...fleetBatchSizes([host("a", []), host("b", []), host("c", ["a", "b"])]).values()], [2]);
    });

    it("restart batch size 1 in prod (stack policy)", async () => {
        const p = policy("prod-restart-batch-size-1") as StackValidationPolicy;
        const run = async (resources: object[], config = {}) => {
            const out: string[] = [];
            await p.validateStack({ resources: resources as PolicyResource[], getConfig: () => config as never } as never, (m?: string) => out.push(m ?? ""));
            return out;
        };
        assert.deepStrictEqual(await run([host("a", []), host("b", ["a"])]), []);
        assert.match((await run([host("a", []), host("b", []), host("c", ["a", "b"])]))[0], /restarts 2 hosts at once/);
        const dev = [host("a", []), host("b", [])].map((r) => ({ ...r, urn: r.urn.replace(":prod::", ":dev::") }));
        assert.deepStrictEqual(await run(dev), []);
        assert.strictEqual(p.enforcementLevel, "advisory");
    });
});

describe("policy pack: every rule is registered with a level", () => {
    it("mandatory rules and advisory rules", () => {
        const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        assert.deepStrictEqual(levels, {
            "swarm-service-healthcheck-rollback": "mandatory",
            "no-plain-secrets": "mandatory",
            "daemon-no-devicemapper-on-engine-25": "mandatory",
            "daemon-no-plain-tcp": "mandatory",
            "registry-swift-pinned-2-8": "mandatory",
            "insecure-registries-private": "mandatory",
            "nfs-volume-by-ip": "mandatory",
            "prod-replicas-at-least-2": "advisory",
            "prod-restart-batch-size-1": "advisory",
        });
    });
});
