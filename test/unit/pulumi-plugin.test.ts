// The dockfleet component package (packages/pulumi-plugin): the schema the component provider
// host of @pulumi/pulumi infers from its TypeScript (in-process, no engine needed), and the
// package's components building the real ones under mocks.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { registered, valueOf } from "../support/mocks";
import { testHostKey } from "../support/host-key-fixtures";

const ROOT = path.resolve(__dirname, "../..");
const PLUGIN = path.join(ROOT, "packages/pulumi-plugin");

interface Prop { type?: string; $ref?: string; items?: Prop; additionalProperties?: Prop; secret?: boolean; plain?: boolean; description?: string }
interface Schema {
    name: string;
    version: string;
    resources: Record<string, { isComponent: boolean; inputProperties: Record<string, Prop>; requiredInputs: string[]; properties: Record<string, Prop> }>;
    types: Record<string, { type: string; properties?: Record<string, Prop>; required?: string[]; enum?: { name: string; value: string | number }[] }>;
}

const enumValues = (s: Schema, token: string) => (s.types[token]?.enum ?? []).map((e) => e.value);

describe("dockfleet component package (packages/pulumi-plugin)", function () {
    this.timeout(120000);
    let schema: Schema;

    before(async () => {
        const { createProvider } = await import("../../packages/pulumi-plugin/provider");
        schema = JSON.parse(await createProvider().getSchema());
    });

    it("is a source plugin on the Node.js runtime whose entry the analyzer starts from", () => {
        assert.match(fs.readFileSync(path.join(PLUGIN, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(PLUGIN, "package.json"), "utf8"));
        assert.strictEqual(pkg.main, "index.ts");
        assert.deepStrictEqual(pkg.dependencies ?? {}, {}, "dependencies resolve from the repository's node_modules");
        assert.strictEqual(schema.name, "dockfleet");
        assert.strictEqual(schema.version, pkg.version);
    });

    it("has exactly the components DockerFleet and SwarmStack, as dockfleet:index:<Class>", () => {
        assert.deepStrictEqual(Object.keys(schema.resources).sort(), ["dockfleet:index:DockerFleet", "dockfleet:index:SwarmStack"]);
        for (const r of Object.values(schema.resources)) assert.strictEqual(r.isComponent, true);
    });

    it("DockerFleet: hosts and the SSH key required, the key and proxy URLs secret, nothing else secret", () => {
        const r = schema.resources["dockfleet:index:DockerFleet"];
        assert.deepStrictEqual(r.requiredInputs, ["hosts", "sshPrivateKey"]);
        for (const k of ["hosts", "sshPrivateKey", "sshUser", "sshPort", "daemon", "httpProxy", "httpsProxy", "noProxy", "fleetRegistries",
            "engineVersion", "batchSize", "driftCheck", "restartTimeoutSeconds", "smokeImage", "smokePull", "restartCommand", "reloadCommand",
            "logCommand", "execStart", "onDelete", "insecureIgnoreHostKeys"]) {
            assert.ok(r.inputProperties[k], `input ${k}`);
            assert.match(r.inputProperties[k].description ?? "", /./, `input ${k} has a description`);
        }
        const secret = Object.entries(r.inputProperties).filter(([, p]) => p.secret).map(([k]) => k).sort();
        assert.deepStrictEqual(secret, ["httpProxy", "httpsProxy", "sshPrivateKey"]);
        assert.deepStrictEqual(Object.keys(schema.resources["dockfleet:index:SwarmStack"].inputProperties).filter((k) => schema.resources["dockfleet:index:SwarmStack"].inputProperties[k].secret), []);
        // the secrets are Inputs (never plain), the planning inputs plain
        assert.ok(!r.inputProperties.sshPrivateKey.plain && r.inputProperties.hosts.plain);
        assert.strictEqual(r.inputProperties.sshPrivateKey.type, "string");
        assert.match(r.inputProperties.sshUser.description!, /Default: "root"/);
        assert.deepStrictEqual(r.inputProperties.hosts.items?.$ref, "#/types/dockfleet:index:FleetHost");
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:SmokePull"), ["missing", "never"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:OnDelete"), ["restore", "keep"]);
        assert.deepStrictEqual(Object.keys(r.properties).sort(), ["batches", "daemonJson"]);
    });

    it("FleetHost: name and address required, role an enum, daemon the full DaemonConfig model", () => {
        const h = schema.types["dockfleet:index:FleetHost"];
        assert.deepStrictEqual(h.required, ["address", "name"]);
        assert.match(h.properties!.hostKey.description ?? "", /pinned SSH host key/);
        assert.strictEqual(h.properties!.role.$ref, "#/types/dockfleet:index:HostRole");
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:HostRole"), ["manager", "worker", "none"]);
        assert.strictEqual(h.properties!.daemon.$ref, "#/types/dockfleet:index:DaemonConfig");
        // one schema property per field of the DaemonConfig interface, with its doc comment
        const src = fs.readFileSync(path.join(ROOT, "components/docker-host/daemon-config.ts"), "utf8");
        const body = /export interface DaemonConfig \{([\s\S]*?)\n\}/.exec(src)![1];
        const fields = [...body.matchAll(/^ {4}(\w+)\?:/gm)].map((m) => m[1]).sort();
        const d = schema.types["dockfleet:index:DaemonConfig"];
        assert.deepStrictEqual(Object.keys(d.properties!).sort(), fields);
        assert.deepStrictEqual(d.required, []);
        assert.match(d.properties!.registryMirrors.description!, /`registry-mirrors`/);
        assert.deepStrictEqual(d.properties!.logOpts.additionalProperties, { type: "string", plain: true });
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:StorageDriver"), ["overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper"]);
    });

    it("SwarmStack: name and services required, the service model with its enums, env values may be outputs", () => {
        const r = schema.resources["dockfleet:index:SwarmStack"];
        assert.deepStrictEqual(r.requiredInputs, ["name", "services"]);
        assert.deepStrictEqual(Object.keys(r.inputProperties).sort(), ["convergeTimeout", "name", "networks", "nfsVolumes", "services", "tz"]);
        assert.strictEqual(r.inputProperties.services.additionalProperties?.$ref, "#/types/dockfleet:index:ServiceSpec");
        assert.strictEqual(r.inputProperties.networks.additionalProperties?.$ref, "#/types/dockfleet:index:StackNetwork");
        assert.strictEqual(r.inputProperties.nfsVolumes.additionalProperties?.$ref, "#/types/dockfleet:index:NfsVolumeArgs");
        const svc = schema.types["dockfleet:index:ServiceSpec"];
        assert.deepStrictEqual(svc.required, ["image"]);
        for (const k of ["mode", "replicas", "command", "args", "env", "ports", "healthcheck", "update", "rollback", "restartPolicy", "placement",
            "resources", "mounts", "networks", "labels", "containerLabels", "endpointMode", "stopGracePeriod"]) assert.ok(svc.properties![k], `ServiceSpec.${k}`);
        // env: a map whose values are Inputs (a secret config value stays secret), not plain strings
        assert.deepStrictEqual(svc.properties!.env.additionalProperties, { type: "string" });
        assert.deepStrictEqual(schema.types["dockfleet:index:MountSpec"].required, ["target", "type"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:ServiceMode"), ["replicated", "global"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:PortProtocol"), ["tcp", "udp"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:UpdateOrder"), ["stop-first", "start-first"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:MountType"), ["bind", "volume", "nfs"]);
        assert.deepStrictEqual(enumValues(schema, "dockfleet:index:NfsVersion"), ["3", "4", "4.0", "4.1", "4.2"]);
        assert.deepStrictEqual(Object.keys(r.properties).sort(), ["compose", "networkNames", "serviceNames"]);
    });

    it("every $ref points at a type of the schema", () => {
        const refs: string[] = [];
        const walk = (v: unknown) => {
            if (Array.isArray(v)) v.forEach(walk);
            else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.push(String(x)) : walk(x);
        };
        walk(schema);
        const local = [...new Set(refs)].filter((r) => r.startsWith("#/types/"));
        assert.deepStrictEqual(local.filter((r) => !schema.types[r.slice("#/types/".length)]), []);
        // the only other reference: pulumi.json#/Any for the JSON pass-through values (builder, runtime options)
        assert.deepStrictEqual([...new Set(refs)].filter((r) => !r.startsWith("#/types/")), ["pulumi.json#/Any"]);
        assert.deepStrictEqual(schema.types["dockfleet:index:DaemonConfig"].properties!.builder.additionalProperties, { $ref: "pulumi.json#/Any" });
    });

    /** The dockfleet resources of a YAML program: their types, and inputs the schema does not have or lacks. */
    const checkProgram = (what: string, prog: { resources: Record<string, { type: string; properties: Record<string, unknown> }> }): string[] => {
        const typeProps = (token: string) => schema.types[token].properties!;
        const ref = (q?: Prop) => (q?.$ref?.startsWith("#/types/") && schema.types[q.$ref.slice("#/types/".length)]?.properties ? typeProps(q.$ref.slice("#/types/".length)) : undefined);
        const obj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x) && !Object.keys(x).some((y) => y.startsWith("fn::"));
        /** Unknown keys of `value` against `props`, recursing into $ref'd object types, arrays and string maps of them. */
        const unknownKeys = (where: string, value: Record<string, unknown>, props: Record<string, Prop>): string[] => {
            const out: string[] = [];
            for (const [k, v] of Object.entries(value)) {
                const p = props[k];
                if (!p) { out.push(`${where}.${k}`); continue; }
                if (ref(p) && obj(v)) out.push(...unknownKeys(`${where}.${k}`, v, ref(p)!));
                else if (ref(p.items) && Array.isArray(v)) v.forEach((e, i) => obj(e) && out.push(...unknownKeys(`${where}.${k}[${i}]`, e, ref(p.items)!)));
                else if (ref(p.additionalProperties) && obj(v)) for (const [m, e] of Object.entries(v)) if (obj(e)) out.push(...unknownKeys(`${where}.${k}.${m}`, e, ref(p.additionalProperties)!));
            }
            return out;
        };
        const used: string[] = [];
        for (const [name, r] of Object.entries(prog.resources)) {
            if (!r.type.startsWith("dockfleet:")) continue;
            used.push(r.type);
            const res = schema.resources[r.type];
            assert.ok(res, `${what}, ${name}: ${r.type} is in the schema`);
            for (const req of res.requiredInputs) assert.ok(req in r.properties, `${what}, ${name}: required input ${req}`);
            assert.deepStrictEqual(unknownKeys(name, r.properties, res.inputProperties), [], `${what}, ${name}: inputs the schema does not have`);
        }
        return used.sort();
    };

    it("examples/yaml-fleet uses the package by path and only inputs the schema has", () => {
        const dir = path.join(ROOT, "examples/yaml-fleet");
        const prog = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        assert.strictEqual(prog.runtime, "yaml");
        assert.strictEqual(path.resolve(dir, prog.packages.dockfleet), PLUGIN, "the packages: entry pulumi package add wrote");
        assert.deepStrictEqual(checkProgram("examples/yaml-fleet", prog), ["dockfleet:index:DockerFleet", "dockfleet:index:SwarmStack"]);
    });

    it("examples/python-fleet: the package by path, the SDK pulumi package add generates, pulumi 3.248.0", () => {
        const dir = path.join(ROOT, "examples/python-fleet");
        const proj = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        assert.strictEqual(proj.runtime.name, "python");
        assert.strictEqual(path.resolve(dir, proj.packages.dockfleet), PLUGIN);
        assert.deepStrictEqual(fs.readFileSync(path.join(dir, "requirements.txt"), "utf8").trim().split("\n"), ["pulumi==3.248.0", "sdks/dockfleet"]);
        const main = fs.readFileSync(path.join(dir, "__main__.py"), "utf8");
        assert.match(main, /dockfleet\.DockerFleet\(/);
        // the program's keyword arguments are the schema's inputs in snake_case
        const inputs = new Set(Object.keys(schema.resources["dockfleet:index:DockerFleet"].inputProperties).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
        const kwargs = [...main.matchAll(/^ {4}(\w+)=/gm)].map((m) => m[1]);
        assert.ok(kwargs.length >= 4, kwargs.join());
        assert.deepStrictEqual(kwargs.filter((k) => !inputs.has(k)), []);
    });

    it("docs/programs.md's YAML snippet uses only inputs the schema has", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "programs.md"), "utf8");
        const start = doc.indexOf("\n## Pulumi YAML\n");
        assert.ok(start >= 0, "docs/programs.md has a section Pulumi YAML");
        const next = doc.indexOf("\n## ", start + 1);
        const m = /```yaml\n([\s\S]*?)\n```/.exec(doc.slice(start, next < 0 ? undefined : next));
        assert.ok(m, "docs/programs.md section Pulumi YAML has a yaml block");
        assert.deepStrictEqual(checkProgram("docs/programs.md", YAML.parse(m![1])), ["dockfleet:index:DockerFleet", "dockfleet:index:SwarmStack"]);
    });

    describe("its components under mocks", () => {
        let pkg: typeof import("../../packages/pulumi-plugin/components");
        /** Registrations reach the mock monitor asynchronously: waits until `n` names with the prefix have. */
        const settled = async (prefix: string, n: number) => {
            for (let i = 0; i < 100 && registered.filter((r) => r.name.startsWith(prefix)).length < n; i++) await new Promise((r) => setTimeout(r, 50));
            return registered.filter((r) => r.name.startsWith(prefix)).map((r) => `${r.type} ${r.name}`).sort();
        };
        before(async () => {
            pkg = await import("../../packages/pulumi-plugin/components");
        });

        it("DockerFleet builds dockfleet's DockerFleet: one DockerHost and apply command per host, SSH settings and proxy passed on", async () => {
            registered.length = 0;
            const fleet = new pkg.DockerFleet("yf", {
                hosts: [
                    { name: "yf1", address: "10.9.1.1", hostKey: testHostKey("10.9.1.1"), role: "manager" },
                    { name: "yf2", address: "10.9.1.2", hostKey: testHostKey("10.9.1.2"), port: 2200, daemon: { debug: true } },
                ],
                sshPrivateKey: pulumi.secret("KEY"),
                sshUser: "admin",
                sshPort: 2222,
                daemon: { labels: { "dockfleet.example": "yaml" } },
                httpProxy: pulumi.secret("http://u:p@proxy:3128"),
                batchSize: 2,
            });
            const dj = await valueOf(fleet.daemonJson);
            assert.deepStrictEqual(Object.keys(dj), ["yf1", "yf2"]);
            assert.deepStrictEqual(JSON.parse(dj.yf2).labels, ["dockfleet.example=yaml"]);
            assert.strictEqual(JSON.parse(dj.yf2).debug, true);
            assert.deepStrictEqual(await valueOf(fleet.batches), [["yf1", "yf2"]]);
            assert.deepStrictEqual(await settled("yf", 6), [
                "command:remote:Command yf1-apply", "command:remote:Command yf2-apply",
                "dockfleet:dockerhost:DockerFleet yf",
                "dockfleet:dockerhost:DockerHost yf1", "dockfleet:dockerhost:DockerHost yf2",
                "dockfleet:index:DockerFleet yf",
            ]);
            // the connection carries the key, so the whole of it is a secret in the command's inputs
            const SIG = "4dabf18193072939515e22adb298388d", SECRET = "1b47061264138c4ac30d75fd1eb44270";
            const conn = (n: string) => {
                const c = registered.find((r) => r.name === n)!.inputs.connection;
                assert.strictEqual(c[SIG], SECRET, `${n}: connection is secret`);
                return c.value;
            };
            assert.deepStrictEqual([conn("yf1-apply").host, conn("yf1-apply").port, conn("yf1-apply").user, conn("yf1-apply").privateKey], ["10.9.1.1", 2222, "admin", "KEY"]);
            assert.strictEqual(conn("yf2-apply").port, 2200);
            assert.match(registered.find((r) => r.name === "yf1-apply")!.inputs.create, /# proxy: HTTP_PROXY=http:\/\/\*\*\*@proxy:3128/);
        });

        it("refuses a planning input that arrives as an output (secret or another resource's), naming it", () => {
            assert.throws(() => new pkg.DockerFleet("yfbad", {
                hosts: pulumi.secret([{ name: "h", address: "10.9.1.9", hostKey: testHostKey("10.9.1.9") }]) as unknown as [],
                sshPrivateKey: "KEY",
            }), /DockerFleet "yfbad": input "hosts" must be a known value/);
            assert.throws(() => new pkg.SwarmStack("ysbad", {
                name: "bad",
                services: pulumi.output({ a: { image: "x:1" } }) as unknown as Record<string, never>,
            }), /SwarmStack "ysbad": input "services" must be a known value/);
        });

        it("SwarmStack builds dockfleet's SwarmStack: its services and overlay networks", async () => {
            registered.length = 0;
            const stack = new pkg.SwarmStack("ys", {
                name: "ys",
                services: { httpd: { image: "httpd:2.4", ports: [{ target: 80, published: 8080 }], env: { GREETING: pulumi.secret("hello") } } },
                networks: { back: { attachable: true } },
                tz: "UTC",
            });
            assert.deepStrictEqual(await valueOf(stack.serviceNames), ["ys_httpd"]);
            assert.match(await valueOf(stack.compose), /ys_httpd|httpd:2\.4/);
            assert.deepStrictEqual(await settled("ys", 5), [
                "docker:index/network:Network ys-net-back", "docker:index/network:Network ys-net-default", "docker:index/service:Service ys-httpd",
                "dockfleet:index:SwarmStack ys", "dockfleet:swarm:SwarmStack ys",
            ]);
            const svc = registered.find((r) => r.name === "ys-httpd")!.inputs;
            assert.strictEqual(svc.name, "ys_httpd");
            assert.strictEqual(svc.labels.find((l: { label: string }) => l.label === "com.docker.stack.namespace").value, "ys");
        });
    });
});
