import * as assert from "assert";
import { CIS_CHECKS, HARDENED_DAEMON, cisPreviewLines, cisReport, hardenedDaemon } from "./cis";
import { renderDaemonJson, restartDigest } from "./daemon-config";

describe("CIS hardened defaults (cis.ts)", () => {
    it("fills icc, no-new-privileges and userland-proxy only where the stack left them unset", () => {
        assert.deepStrictEqual(hardenedDaemon({}), { icc: false, noNewPrivileges: true, userlandProxy: false });
        assert.deepStrictEqual(hardenedDaemon({ icc: true, debug: true }), { icc: true, debug: true, noNewPrivileges: true, userlandProxy: false });
        assert.deepStrictEqual(HARDENED_DAEMON, { icc: false, noNewPrivileges: true, userlandProxy: false });
    });

    it("renders the hardened default daemon.json exactly", () => {
        assert.strictEqual(renderDaemonJson(hardenedDaemon({})), [
            "{",
            '  "debug": false,',
            '  "icc": false,',
            '  "insecure-registries": [],',
            '  "labels": [],',
            '  "live-restore": false,',
            '  "no-new-privileges": true,',
            '  "registry-mirrors": [],',
            '  "userland-proxy": false',
            "}",
            "",
        ].join("\n"));
    });

    it("the new defaults change the restart digest (existing hosts restart once), the same config twice does not", () => {
        assert.notStrictEqual(restartDigest(hardenedDaemon({})), restartDigest({}));
        assert.strictEqual(restartDigest(hardenedDaemon({ debug: true })), restartDigest(hardenedDaemon({})));
    });

    it("one entry per check id", () => {
        const ids = CIS_CHECKS.map((c) => c.id);
        assert.deepStrictEqual(ids.filter((x, i) => ids.indexOf(x) !== i), []);
        for (const id of ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "2.17", "2.18", "7.4", "7.6"]) {
            assert.ok(ids.includes(id), id);
        }
    });

    it("a swarm node with the defaults: what is not met by default, each with its field", () => {
        const r = cisReport({ daemon: hardenedDaemon({}), swarm: true });
        assert.deepStrictEqual(r.off, []);
        assert.deepStrictEqual(r.notDefault.map((l) => l.split(" ")[1]), ["2.1", "2.8", "2.9", "2.12", "2.13", "2.15", "7.4", "7.6", "7.9"]);
        assert.match(r.notDefault.find((l) => l.startsWith("CIS 2.9 "))!, /volume.*\(field: dockfleet:daemon.usernsRemap\)$/);
        assert.match(r.notDefault.find((l) => l.startsWith("CIS 2.15 "))!, /refuses live-restore in swarm mode.*\(field: dockfleet:daemon.liveRestore\)$/);
        assert.match(r.notDefault.find((l) => l.startsWith("CIS 7.6 "))!, /\(field: dockfleet:swarm.autolock\)$/);
    });

    it("a stack that turns a hardened default (or dockerd's safe default) off gets a warning naming the field", () => {
        const r = cisReport({ daemon: hardenedDaemon({ icc: true, seccompProfile: "unconfined", insecureRegistries: ["10.0.0.5:5000", "10.0.0.9:5000"] }), swarm: false, fleetRegistries: ["10.0.0.5:5000"] });
        assert.deepStrictEqual(r.off.map((l) => l.split(" ")[1]), ["2.2", "2.5", "2.17"]);
        assert.strictEqual(r.off[0], 'CIS 2.2 "Ensure network traffic is restricted between containers on the default bridge" is turned off by dockfleet:daemon.icc (dockfleet\'s default: default icc: false (user-defined and overlay networks are not affected))');
        // the fleet's own registry alone is the registry's business, not a 2.5 warning
        assert.deepStrictEqual(cisReport({ daemon: { insecureRegistries: ["10.0.0.5:5000"] }, swarm: false, fleetRegistries: ["10.0.0.5:5000"] }).off.filter((l) => l.startsWith("CIS 2.5")), []);
    });

    it("autolock on: 7.6 met, key rotation (7.7) is the operator's", () => {
        const r = cisReport({ daemon: hardenedDaemon({}), swarm: true, autolock: true });
        assert.ok(!r.notDefault.some((l) => l.startsWith("CIS 7.6 ")));
        assert.match(r.notDefault.find((l) => l.startsWith("CIS 7.7 "))!, /unlock-key --rotate/);
    });

    it("the preview lines: one info line for the fleet, the hosts named when a line is not for all", () => {
        const lines = cisPreviewLines("fleet", [
            { name: "m1", ctx: { daemon: hardenedDaemon({}), swarm: true } },
            { name: "solo", ctx: { daemon: hardenedDaemon({ liveRestore: true, usernsRemap: "default" }), swarm: false } },
        ]);
        assert.deepStrictEqual(lines.warnings, []);
        const info = lines.info!.split("\n");
        assert.match(info[0], /^DockerFleet "fleet" CIS Docker Benchmark v1\.6\.0: \d+ of \d+ checks met by the hardened defaults; not by default/);
        assert.ok(info.some((l) => /^ {2}CIS 2\.9 .* \[m1\]$/.test(l)), info.join("\n"));
        assert.ok(info.some((l) => /^ {2}CIS 2\.1 [^[]*$/.test(l)), "2.1 concerns every host: no host list");
        assert.ok(info.some((l) => /^ {2}CIS 7\.6 .*\[m1\]$/.test(l)));
        const off = cisPreviewLines("fleet", [{ name: "h", ctx: { daemon: hardenedDaemon({ userlandProxy: true }), swarm: false } }]);
        assert.deepStrictEqual(off.warnings.map((w) => w.slice(0, 40)), ['DockerFleet "fleet": CIS 2.16 "Ensure Us']);
    });
});
