// The apply script's ordinary apply (fake dockerd/systemctl; harness in test/support/apply-host.ts):
// what it writes, restart or reload or nothing, and the bundle and remote command it takes.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { APPLY_SCRIPT_FILE, renderApplyCommand, renderBundle } from "./bundle";
import { mkEnv, DJ, PROXY, daemon, run, read, exists, count, calls } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("is shellcheck-clean", function () {
        const r = spawnSync("shellcheck", ["-x", APPLY_SCRIPT_FILE], { encoding: "utf8" });
        if (r.error) throw new Error("shellcheck is not installed (apt-get install shellcheck); .ci/run installs it");
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });

    it("first apply writes files, restarts once and keeps the pre-dockfleet originals", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], secret: [{ path: PROXY, mode: "0644", content: "[Service]\nEnvironment=\"HTTP_PROXY=http://u:p@proxy:3128\"\n" }] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /dockfleet\[testhost\]: applied \(restart\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)), { debug: false, labels: ["a=1"] });
        assert.match(read(env, PROXY), /HTTP_PROXY/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.match(calls(env), /systemctl daemon-reload/);
        assert.match(calls(env), /systemctl reset-failed docker.service docker.socket/);
        // the proxy URL (a secret) is never echoed
        assert.doesNotMatch(r.stderr, /u:p@/);
        const manifest = read(env, "var/lib/dockfleet/daemon-config/original/manifest");
        assert.match(manifest, /absent \/etc\/systemd\/system\/docker.service.d\/http-proxy.conf/);
        assert.match(manifest, /644 \/etc\/docker\/daemon.json/);
    });

    it("an identical re-apply does nothing (no restart, no reload)", () => {
        const env = mkEnv();
        const files = [daemon({ "labels": ["a=1"] })];
        assert.strictEqual(run(env, "apply", { public: files }).code, 0);
        const r = run(env, "apply", { public: files });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /unchanged; nothing to do/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(count(env, "reloads"), 0);
    });

    it("reloads (SIGHUP) instead of restarting when only hot-reloadable keys changed", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=2"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(count(env, "reloads"), 1);
    });

    it("restarts when a restart-only key changed (reload digest differs)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: ["--reload-digest", "d1"] }).code, 0);
        const r = run(env, "apply", { public: [daemon({ "metrics-addr": "0.0.0.0:9323" })], args: ["--reload-digest", "d2"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 2);
    });

    it("restarts after a hand edit even if only reloadable keys differ (drift)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["a=1"] })], args: ["--reload-digest", "d1"] }).code, 0);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": false, "bip": "172.30.0.1/16"}\n');
        const r = run(env, "apply", { public: [daemon({ "labels": ["a=2"] })], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 2);
    });

    it("rejects a bundle with a relative path or a path given twice", () => {
        const env = mkEnv();
        assert.match(run(env, "apply", { public: [{ path: "etc/x", mode: "0644", content: "x" }] }).stderr, /path must be absolute/);
        assert.match(run(env, "apply", { public: [daemon(), daemon()] }).stderr, /names a path twice/);
    });

    it("the rendered remote command line runs as-is under sh (base64 script + fd 3 here-document)", () => {
        const env = mkEnv();
        const cmd = renderApplyCommand("apply", { host: "viacmd", restartTimeoutSeconds: 10 }, renderBundle([daemon({ "labels": ["it's=quoted"] })]));
        const r = spawnSync("sh", ["-c", cmd], {
            input: renderBundle([{ path: PROXY, mode: "0644", content: "[Service]\n" }]),
            env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake },
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /dockfleet\[viacmd\]: applied/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["it's=quoted"]);
        assert.ok(exists(env, PROXY));
    });
});
