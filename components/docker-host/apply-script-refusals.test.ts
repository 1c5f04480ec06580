// Configs the apply script refuses before anything is written (fake dockerd/systemctl; harness in
// test/support/apply-host.ts).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { mkEnv, DJ, daemon, run, read, calls } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("devicemapper on Engine 25 is refused before anything is written", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper" })], extraEnv: { FAKE_ENGINE: "25.0.3" } });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /devicemapper was removed in Docker Engine 25/);
        assert.strictEqual(read(env, DJ), "{}\n");
        assert.doesNotMatch(calls(env), /systemctl/);
    });

    it("uses dockerd --validate on Engine >= 23 and refuses what it rejects, untouched", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [daemon({ "labels": ["BAD_VALIDATE"] })], extraEnv: { FAKE_ENGINE: "24.0.7" } });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /dockerd --validate rejected .*don't match any configuration option: foo/);
        assert.strictEqual(read(env, DJ), "{}\n");
    });

    it("invalid JSON is refused before anything is written (the shipped facts say so)", function () {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const r = run(env, "apply", { public: [{ path: DJ, mode: "0644", content: '{"debug": false,}\n' }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /is not a JSON object/);
        assert.strictEqual(read(env, DJ), "{}\n");
    });

    it("an empty daemon.json is refused", () => {
        const env = mkEnv();
        const r = run(env, "apply", { public: [{ path: DJ, mode: "0644", content: "" }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /would be empty/);
    });

    it("a drop-in whose ExecStart binary does not exist is refused", () => {
        const env = mkEnv();
        const r = run(env, "apply", { public: [daemon(), { path: "/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf", mode: "0644", content: "[Service]\nExecStart=\nExecStart=/usr/local/bin/nodockerd -H fd://\n" }] });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /ExecStart binary \/usr\/local\/bin\/nodockerd does not exist/);
    });
});
