// Zero-restart adoption (issue 12): a host whose files already hold the same settings (fake
// dockerd/systemctl; harness in test/support/apply-host.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { APPLY_SCRIPT_FILE } from "./bundle";
import { renderDaemonJson } from "./daemon-config";
import { SAME_AS_ABSENT } from "./daemon-keys";
import { mkEnv, DJ, PROXY, daemon, run, read, count, calls } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("adoption: an operator-formatted daemon.json and proxy drop-in with the same settings are rewritten, no restart, no reload", () => {
        const env = mkEnv();
        const want = daemon({ labels: ["b=2", "a=1"], "log-opts": { "max-size": "10m", "max-file": "3" } });
        fs.writeFileSync(path.join(env.root, DJ), '{"log-opts":{"max-file":"3","max-size":"10m"},\n\t"labels": ["a=1","b=2"], "debug": false}');
        const proxyWant = "# Managed by dockfleet. Proxy for dockerd (image pulls, pushes).\n[Service]\nEnvironment=\"HTTP_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment=\"HTTPS_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment=\"NO_PROXY=localhost,127.0.0.1,.corp.example\"\n";
        fs.mkdirSync(path.dirname(path.join(env.root, PROXY)), { recursive: true });
        fs.writeFileSync(path.join(env.root, PROXY), "[Service]\n# the operator's own\nEnvironment=HTTPS_PROXY=http://u:p%%25@proxy:3128 \"HTTP_PROXY=http://u:p%%25@proxy:3128\"\nEnvironment='NO_PROXY=.corp.example,127.0.0.1,localhost'\n");
        const r = run(env, "apply", { public: [want], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.match(r.stderr, /http-proxy\.conf rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 0);
        assert.strictEqual(count(env, "reloads"), 0);
        assert.doesNotMatch(calls(env), /systemctl (stop|start|restart|reload) docker/);
        assert.match(calls(env), /systemctl daemon-reload/); // the drop-in's bytes changed
        assert.strictEqual(read(env, DJ), want.content);
        assert.strictEqual(read(env, PROXY), proxyWant);
        assert.doesNotMatch(r.stderr, /u:p/);
        // recorded as verified: the next identical apply does nothing, a reloadable change reloads
        assert.match(run(env, "apply", { public: [want], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] }).stderr, /unchanged; nothing to do/);
        assert.match(run(env, "apply", { public: [daemon({ labels: ["a=1"], "log-opts": { "max-size": "10m", "max-file": "3" } })], secret: [{ path: PROXY, mode: "0644", content: proxyWant }], args: ["--reload-digest", "d1"] }).stderr, /applied \(reload\)/);
        // restore puts the operator's own bytes back
        assert.match(run(env, "restore").stderr, /restored the pre-dockfleet files/);
        assert.match(read(env, PROXY), /the operator's own/);
    });

    it("adoption: keys dockfleet always writes, at their default, equal absent keys (no restart); the script's list is the key table's", () => {
        const text = fs.readFileSync(APPLY_SCRIPT_FILE, "utf8");
        const defs = JSON.parse(/^ALWAYS_DEFAULTS='(.*)'$/m.exec(text)![1]);
        assert.deepStrictEqual(defs, SAME_AS_ABSENT);
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{ "log-driver": "local" }\n');
        const want = { path: DJ, mode: "0644", content: renderDaemonJson({ logDriver: "local" }) };
        const r = run(env, "apply", { public: [want] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 0);
        assert.strictEqual(read(env, DJ), want.content);
    });

    it("adoption: a real difference (a value, or a NO_PROXY entry) restarts as before", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"labels":["a=1"],"debug":true}');
        const r = run(env, "apply", { public: [daemon({ labels: ["a=1"] })] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 1);
        const env2 = mkEnv();
        fs.writeFileSync(path.join(env2.root, DJ), daemon().content!);
        fs.mkdirSync(path.dirname(path.join(env2.root, PROXY)), { recursive: true });
        fs.writeFileSync(path.join(env2.root, PROXY), '[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128" "NO_PROXY=localhost,127.0.0.1,.extra"\n');
        const r2 = run(env2, "apply", { public: [daemon()], secret: [{ path: PROXY, mode: "0644", content: '[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128"\nEnvironment="NO_PROXY=localhost,127.0.0.1"\n' }] });
        assert.strictEqual(r2.code, 0, r2.stderr);
        assert.match(r2.stderr, /will change \/etc\/systemd\/system\/docker.service.d\/http-proxy.conf/);
        assert.strictEqual(count(env2, "starts"), 1);
    });

    it("adoption: same settings but written after dockerd started (maybe not loaded) restarts", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug":false}');
        fs.writeFileSync(path.join(env.fake, "active-since"), "Wed 2020-01-01 00:00:00 UTC\n");
        const r = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 1);
    });
});
