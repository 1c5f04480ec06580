// dockfleet:registry.gc: errors by value, and the program installing the GC job on the registry's
// host with every image this stack runs from the registry (built digests, tags) as referenced.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { registered, valueOf } from "../test/support/mocks";
import { settle } from "../test/support/stack-files";
import { configProblems } from "../test/support/config-problems";
import { testHostKey } from "../test/support/host-key-fixtures";
import { gcEntrypoint, renderGcCurlConfig, renderGcSettings } from "../components/registry/gc-config";
import { loadStackConfig } from "./load";
import { buildProgram } from "./program";

const ROOT = path.resolve(__dirname, "..");
const SECRETS = new Set(["dockfleet:sshPrivateKey", "dockfleet:registryHttpSecret", "dockfleet:registryTlsKey", "dockfleet:registryUsers"]);
const FX = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/registry-tls.json"), "utf8")) as { caCert: string; cert: string; key: string };
const NOW = new Date("2030-06-01T00:00:00Z");

function base(): Record<string, any> {
    return {
        "dockfleet:hosts": [
            { name: "host1", address: "10.232.0.11", role: "manager", hostKey: testHostKey("host1") },
            { name: "host2", address: "10.232.0.12", role: "worker", hostKey: testHostKey("host2") },
        ],
        "dockfleet:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n",
        "dockfleet:registry": { onHost: "host1", storage: { kind: "filesystem" }, tls: { caCert: FX.caCert, cert: FX.cert }, gc: { keep: 1, schedule: "Sat *-*-* 02:00:00" } },
        "dockfleet:registryHttpSecret": "0123456789abcdef",
        "dockfleet:registryTlsKey": FX.key,
        "dockfleet:registryUsers": { fleet: "fleet-password-123" },
        "dockfleet:images": { hello: { context: "examples/fleet-image" } },
        "dockfleet:stacks": { web: { services: {
            site: { image: { build: "hello" } },
            api: { image: "10.232.0.11:5000/team/api:2" },
            side: { image: "local/busybox:1" },
        } } },
        "dockfleet:containerUnits": [{ name: "agent", image: "10.232.0.11:5000/agent@sha256:abc", onHosts: ["host2"] }],
    };
}
const load = (raw: Record<string, unknown>) => loadStackConfig("test", raw, SECRETS, ROOT, NOW);

function errorsOf(mutate: (c: Record<string, any>) => void): string[] {
    const c = base();
    mutate(c);
    return configProblems(c, (raw) => load(raw));
}

describe("dockfleet:registry.gc in the stack config", () => {
    it("names the field of each problem, by value", () => {
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:registry"].gc.keep = -2; }), [
            'Registry "registry" | dockfleet:registry.gc.keep | -2 must be a whole number from 0 to 1000 (unreferenced digests kept per repository)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:registry"].gc.schedule = "daily\nExecStart=/bin/sh"; }), [
            'Registry "registry" | dockfleet:registry.gc.schedule | "daily\\nExecStart=/bin/sh" must be a systemd OnCalendar expression such as "Sun *-*-* 03:00:00" (no newline, %, or backslash)',
        ]);
        assert.deepStrictEqual(errorsOf((c) => { c["dockfleet:registry"].deleteEnabled = false; }), [
            'Registry "registry" | dockfleet:registry.deleteEnabled | is false but gc is on: the GC job deletes manifests through the API (leave deleteEnabled unset)',
        ]);
        assert.strictEqual(errorsOf((c) => { c["dockfleet:registry"].gc.every = "week"; }).length, 1);
    });

    it("gc off (enabled: false) with deleteEnabled false is fine", () => {
        const c = base();
        c["dockfleet:registry"].gc.enabled = false;
        c["dockfleet:registry"].deleteEnabled = false;
        assert.doesNotThrow(() => load(c));
    });
});

describe("the program installs the registry GC job (mocks)", function () {
    this.timeout(30000);

    it("one remote command on the registry host: settings, the referenced list (built digest, tag, pinned unit image), the credentials on stdin; the preview line", async () => {
        const infos: string[] = [];
        const orig = pulumi.log.info;
        (pulumi.log as { info: typeof pulumi.log.info }).info = (m: string, ...rest) => { infos.push(m); return orig(m, ...rest); };
        const before = registered.length;
        let out;
        try {
            out = buildProgram(load(base()));
        } finally {
            (pulumi.log as { info: typeof pulumi.log.info }).info = orig;
        }
        const digest = await valueOf(out.images!.hello);
        await settle();
        const mine = registered.slice(before);
        const gc = mine.filter((r) => r.type === "command:remote:Command" && r.name === "registry-gc");
        assert.strictEqual(gc.length, 1);
        const create = String((gc[0].inputs.create as any).value ?? gc[0].inputs.create);
        const referenced = create.split("3<<'DOCKFLEET_GC_REFERENCED_EOF'\n")[1];
        const want = ["agent@sha256:abc", digest.replace("10.232.0.11:5000/", ""), "team/api:2"].sort();
        assert.strictEqual(referenced, `${want.join("\n")}\nDOCKFLEET_GC_REFERENCED_EOF\n`);
        // argv after $0: install, schedule, script, service, timer, settings (each single-quoted)
        const argv = [...create.split(" install-registry-gc ")[1].split(" 3<<")[0].matchAll(/'([^']*)'/g)].map((m) => m[1]);
        assert.deepStrictEqual(argv.slice(0, 2), ["install", "Sat *-*-* 02:00:00"]);
        const settings = Buffer.from(argv[5], "base64").toString("utf8");
        assert.strictEqual(settings, renderGcSettings({ url: "https://10.232.0.11:5000", container: "registry", keep: 1, caCert: "/etc/docker/certs.d/10.232.0.11:5000/ca.crt" }));
        assert.strictEqual((gc[0].inputs.stdin as any).value, renderGcCurlConfig({ username: "fleet", password: "fleet-password-123" }));
        assert.strictEqual((gc[0].inputs.connection as any).value?.host ?? (gc[0].inputs.connection as any).host, "10.232.0.11");
        const container = mine.find((r) => r.type === "docker:index/container:Container")!;
        assert.deepStrictEqual(container.inputs.entrypoints, gcEntrypoint());
        assert.deepStrictEqual(infos.filter((m) => m.startsWith("Registry GC:")), [
            "Registry GC: keep every referenced digest (3 image references in this stack) and the 1 newest other digest per repository; garbage-collect read-only on \"Sat *-*-* 02:00:00\" (timer dockfleet-registry-gc.timer on the registry host)",
        ]);
    });

    it("no gc block: no GC command, the container as before", async () => {
        const c = base();
        delete c["dockfleet:registry"].gc;
        const before = registered.length;
        buildProgram(load(c));
        await settle();
        const mine = registered.slice(before);
        assert.ok(!mine.some((r) => r.name === "registry-gc"));
        assert.strictEqual(mine.find((r) => r.type === "docker:index/container:Container")!.inputs.entrypoints, undefined);
    });
});
