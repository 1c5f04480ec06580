import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { gcEntrypoint, gcSummary, renderGcCurlConfig, renderGcSettings, renderGcUnits, renderReferenced, validateRegistryGc, withGcDefaults } from "./gc-config";
import { renderGcInstallCommand, renderGcRemoveCommand } from "./gc";

import { registered as created } from "../../test/support/mocks";

describe("registry GC config", () => {
    it("defaults: on, keep 3, Sundays at 03:00", () => {
        assert.deepStrictEqual(withGcDefaults({}), { enabled: true, keep: 3, schedule: "Sun *-*-* 03:00:00" });
        assert.deepStrictEqual(withGcDefaults({ enabled: false, keep: 0, schedule: "daily" }), { enabled: false, keep: 0, schedule: "daily" });
    });

    it("validators name the field and say what is valid", () => {
        assert.deepStrictEqual(validateRegistryGc({ keep: 3, schedule: "Sat 02:00" }), []);
        assert.deepStrictEqual(validateRegistryGc({ keep: 0 }), []);
        assert.deepStrictEqual(validateRegistryGc({ keep: -1 }), [{ field: "keep", severity: "error", message: "-1 must be a whole number from 0 to 1000 (unreferenced digests kept per repository)" }]);
        assert.deepStrictEqual(validateRegistryGc({ keep: 1.5 }).map((i) => i.field), ["keep"]);
        assert.deepStrictEqual(validateRegistryGc({ schedule: " " }), [{ field: "schedule", severity: "error", message: "\" \" must be a systemd OnCalendar expression such as \"Sun *-*-* 03:00:00\" (no newline, %, or backslash)" }]);
        assert.deepStrictEqual(validateRegistryGc({ schedule: "daily\nExecStart=/bin/evil" }).map((i) => i.field), ["schedule"]);
    });

    it("the entrypoint starts read-only while the flag exists (YAML map env: the flat key panics in 2.8)", () => {
        assert.deepStrictEqual(gcEntrypoint(), ["/bin/sh", "-c",
            "if [ -e /run/dockfleet-gc/readonly ]; then export REGISTRY_STORAGE_MAINTENANCE_READONLY='{enabled: true}'; fi; exec /bin/registry serve /etc/docker/registry/config.yml"]);
    });

    it("renders the service and the timer (golden)", () => {
        const u = renderGcUnits("Sat *-*-* 02:30:00");
        assert.strictEqual(u.service, `# Managed by dockfleet.

[Unit]
Description=dockfleet: registry garbage collection (read-only while it runs)
Requires=docker.service
After=docker.service

[Service]
Type=oneshot
ExecStart=/bin/bash /etc/dockfleet/registry-gc/registry-gc.sh run
ExecStopPost=/bin/bash /etc/dockfleet/registry-gc/registry-gc.sh read-write
TimeoutStartSec=6h
`);
        assert.strictEqual(u.timer, `# Managed by dockfleet.

[Unit]
Description=dockfleet: registry garbage collection in its maintenance window

[Timer]
OnCalendar=Sat *-*-* 02:30:00
Persistent=false

[Install]
WantedBy=timers.target
`);
    });

    it("renders the settings (quoted) and the credentials as a curl config (escaped)", () => {
        assert.strictEqual(renderGcSettings({ url: "https://10.0.0.5:5000", container: "registry", keep: 2, caCert: "/etc/docker/certs.d/10.0.0.5:5000/ca.crt" }),
            "REGISTRY_URL='https://10.0.0.5:5000'\nCONTAINER='registry'\nKEEP=2\nCACERT='/etc/docker/certs.d/10.0.0.5:5000/ca.crt'\n");
        assert.strictEqual(renderGcSettings({ url: "http://r:5000", container: "reg'x", keep: 0 }), "REGISTRY_URL='http://r:5000'\nCONTAINER='reg'\\''x'\nKEEP=0\nCACERT=''\n");
        assert.strictEqual(renderGcCurlConfig(), "# dockfleet registry GC: the registry's credentials (root-only)\n");
        assert.strictEqual(renderGcCurlConfig({ username: "fleet", password: "p\"a\\ss" }), "# dockfleet registry GC: the registry's credentials (root-only)\nuser = \"fleet:p\\\"a\\\\ss\"\n");
        assert.throws(() => renderGcCurlConfig({ username: "fleet", password: "a\nb" }), /newlines/);
    });

    it("the referenced list: this registry's images only, digest over tag, implicit latest, sorted and unique", () => {
        assert.strictEqual(renderReferenced([
            "10.0.0.5:5000/app@sha256:aa",
            "10.0.0.5:5000/team/api:1.2@sha256:bb",
            "10.0.0.5:5000/web:2",
            "10.0.0.5:5000/web",
            "10.0.0.5:5000/app@sha256:aa",
            "other.example:5000/app@sha256:cc",
            "local/busybox:1",
        ], "10.0.0.5:5000"), "app@sha256:aa\nteam/api@sha256:bb\nweb:2\nweb:latest\n");
        assert.strictEqual(renderReferenced([], "r:5000"), "");
    });

    it("the preview line says the policy and the count", () => {
        assert.strictEqual(gcSummary(withGcDefaults({ keep: 1 }), 2),
            "Registry GC: keep every referenced digest (2 image references in this stack) and the 1 newest other digest per repository; garbage-collect read-only on \"Sun *-*-* 03:00:00\" (timer dockfleet-registry-gc.timer on the registry host)");
    });
});

/** Runs a builder's command in bash with fake systemctl/systemd-analyze and DOCKFLEET_ROOT. */
function runWithFakes(cmd: string, stdin: string, opts: { noJq?: boolean; badCalendar?: boolean } = {}) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "gc-install-"));
    const bin = path.join(root, "fakebin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "systemctl $*" >>${root}/calls\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "systemd-analyze"), opts.badCalendar
        ? "#!/bin/sh\necho 'Failed to parse calendar specification' >&2; exit 1\n"
        : "#!/bin/sh\necho \"  Original form: $2\"; echo \"    Next elapse: Sat 2026-12-12 02:30:00 UTC\"\n", { mode: 0o755 });
    for (const c of ["curl", "jq"]) if (!(opts.noJq && c === "jq")) fs.writeFileSync(path.join(bin, c), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    // the script's own tools (bash, base64, cat, ...) from a directory with no curl or jq
    const tools = path.join(root, "tools");
    fs.mkdirSync(tools);
    for (const t of ["bash", "base64", "cat", "chmod", "mv", "mkdir", "rm", "grep", "sed", "head", "hostname", "printf"]) {
        const p = spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
        if (p.startsWith("/")) fs.symlinkSync(p, path.join(tools, t));
    }
    const r = spawnSync("/bin/bash", ["-c", cmd], { input: stdin, encoding: "utf8", env: { PATH: `${bin}:${tools}`, DOCKFLEET_ROOT: root } });
    const calls = fs.existsSync(`${root}/calls`) ? fs.readFileSync(`${root}/calls`, "utf8") : "";
    return { ...r, root, calls };
}

describe("registry GC install command (run against fakes)", () => {
    const g = { schedule: "Sat *-*-* 02:30:00", keep: 1, url: "https://10.0.0.5:5000", container: "registry", caCert: "/etc/docker/certs.d/10.0.0.5:5000/ca.crt" };

    it("writes the script, settings, credentials and referenced list root-only, the units 0644, enables the timer", () => {
        const r = runWithFakes(renderGcInstallCommand(g, "app@sha256:aa\nweb:2\n"), renderGcCurlConfig({ username: "fleet", password: "pw" }));
        assert.strictEqual(r.status, 0, r.stderr);
        const dir = path.join(r.root, "etc/dockfleet/registry-gc");
        const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
        assert.strictEqual(mode(dir), "700");
        assert.strictEqual(fs.readFileSync(path.join(dir, "registry-gc.sh"), "utf8"), fs.readFileSync(path.join(__dirname, "scripts/registry-gc.sh"), "utf8"));
        assert.strictEqual(mode(path.join(dir, "registry-gc.sh")), "700");
        assert.strictEqual(fs.readFileSync(path.join(dir, "settings"), "utf8"), renderGcSettings(g));
        assert.strictEqual(mode(path.join(dir, "settings")), "600");
        assert.strictEqual(fs.readFileSync(path.join(dir, "curl.conf"), "utf8"), "# dockfleet registry GC: the registry's credentials (root-only)\nuser = \"fleet:pw\"\n");
        assert.strictEqual(mode(path.join(dir, "curl.conf")), "600");
        assert.strictEqual(fs.readFileSync(path.join(dir, "referenced"), "utf8"), "app@sha256:aa\nweb:2\n");
        assert.strictEqual(mode(path.join(dir, "referenced")), "600");
        const units = path.join(r.root, "etc/systemd/system");
        assert.strictEqual(fs.readFileSync(path.join(units, "dockfleet-registry-gc.service"), "utf8"), renderGcUnits(g.schedule).service);
        assert.strictEqual(fs.readFileSync(path.join(units, "dockfleet-registry-gc.timer"), "utf8"), renderGcUnits(g.schedule).timer);
        assert.strictEqual(mode(path.join(units, "dockfleet-registry-gc.timer")), "644");
        assert.strictEqual(r.calls, "systemctl daemon-reload\nsystemctl enable --quiet dockfleet-registry-gc.timer\nsystemctl restart dockfleet-registry-gc.timer\n");
        assert.match(r.stderr, /registry GC timer installed: 2 referenced image\(s\); next run Sat 2026-12-12 02:30:00 UTC/);
        // the password travels on stdin only
        assert.ok(!renderGcInstallCommand(g, "").includes("pw\""));
    });

    it("refuses a schedule systemd cannot read, and a host without jq, before writing anything", () => {
        const bad = runWithFakes(renderGcInstallCommand({ ...g, schedule: "someday" }, ""), "", { badCalendar: true });
        assert.strictEqual(bad.status, 1);
        assert.match(bad.stderr, /registry GC schedule 'someday' is not a systemd calendar expression: Failed to parse calendar specification/);
        assert.ok(!fs.existsSync(path.join(bad.root, "etc/dockfleet")));
        const nojq = runWithFakes(renderGcInstallCommand(g, ""), "", { noJq: true });
        assert.strictEqual(nojq.status, 1);
        assert.match(nojq.stderr, /registry GC needs jq on this host: apt-get install curl jq/);
    });

    it("remove stops the timer and the service and removes every file", () => {
        const r = runWithFakes(renderGcInstallCommand(g, ""), "");
        assert.strictEqual(r.status, 0, r.stderr);
        const rm = spawnSync("/bin/bash", ["-c", renderGcRemoveCommand()], { encoding: "utf8", env: { PATH: `${r.root}/fakebin:${r.root}/tools`, DOCKFLEET_ROOT: r.root } });
        assert.strictEqual(rm.status, 0, rm.stderr);
        assert.ok(!fs.existsSync(path.join(r.root, "etc/dockfleet/registry-gc")));
        assert.ok(!fs.existsSync(path.join(r.root, "etc/systemd/system/dockfleet-registry-gc.timer")));
        assert.match(fs.readFileSync(`${r.root}/calls`, "utf8"), /systemctl disable --now --quiet dockfleet-registry-gc.timer\nsystemctl stop dockfleet-registry-gc.service\nsystemctl daemon-reload\n$/);
    });
});

describe("Registry with gc (mocks)", () => {
    it("deletes enabled, the read-only entrypoint and the flag directory bind-mounted read-only", async () => {
        const { Registry } = await import("./registry");
        const r = new Registry("reggc", { host: "10.9.0.8", storage: { kind: "filesystem" }, httpSecret: pulumi.secret("hs"), gc: true });
        await new Promise<void>((res) => r.container.id.apply(() => res()));
        const c = created.filter((x) => x.type === "docker:index/container:Container").pop()!;
        assert.ok((c.inputs.envs.value as string[]).includes("REGISTRY_STORAGE_DELETE_ENABLED=true"));
        assert.deepStrictEqual(c.inputs.entrypoints, gcEntrypoint());
        assert.deepStrictEqual(c.inputs.volumes, [{ hostPath: "/run/dockfleet-registry-gc", containerPath: "/run/dockfleet-gc", readOnly: true }]);
    });

    it("without gc: no entrypoint, no volume, deletes as configured", async () => {
        const { Registry } = await import("./registry");
        const r = new Registry("regnogc", { host: "10.9.0.9", storage: { kind: "filesystem" }, httpSecret: "hs" });
        await new Promise<void>((res) => r.container.id.apply(() => res()));
        const c = created.filter((x) => x.type === "docker:index/container:Container").pop()!;
        assert.strictEqual(c.inputs.entrypoints, undefined);
        assert.strictEqual(c.inputs.volumes, undefined);
        assert.ok((c.inputs.envs.value as string[]).includes("REGISTRY_STORAGE_DELETE_ENABLED=false"));
    });

    it("gc with deleteEnabled false: an error naming the field", async () => {
        const { Registry } = await import("./registry");
        assert.throws(() => new Registry("regbad", { host: "10.9.0.10", storage: { kind: "filesystem" }, httpSecret: "x", gc: true, deleteEnabled: false }), /Registry "regbad", field deleteEnabled: is false but gc is on/);
    });
});
