// Host checks of the apply script (fake dockerd/systemctl; harness in test/support/apply-host.ts).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Env, mkEnv, DJ, daemon, run, read, exists, count, calls, put } from "../../test/support/apply-host";

// Checks that need the host (issue 12): refused before anything is written, dockerd untouched.
describe("apply-docker-config.sh host checks: userns-remap user, runtime binaries, cgroup driver", function () {
    this.timeout(60000);
    /** Applies `extra` on a host whose daemon.json is `{}`; on refusal asserts nothing was touched. */
    const attempt = (env: Env, extra: Record<string, unknown>) => {
        if (!exists(env, DJ)) put(env, DJ, "{}\n");
        const before = count(env, "starts");
        fs.rmSync(path.join(env.fake, "calls"), { force: true });
        const r = run(env, "apply", { public: [daemon(extra)] });
        if (r.code !== 0) {
            assert.strictEqual(r.code, 1, r.stderr);
            assert.strictEqual(read(env, DJ), "{}\n", "nothing may be written");
            assert.strictEqual(count(env, "starts"), before, "dockerd must not restart");
            assert.doesNotMatch(calls(env), /systemctl (restart|stop|start) docker/);
        }
        return r;
    };


    it("userns-remap: a user that does not exist, then one without subordinate ranges, is refused; with both it applies", () => {
        const env = mkEnv();
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        put(env, "etc/group", "root:x:0:\n");
        let r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /ERROR: \/etc\/docker\/daemon.json: userns-remap user 'remapper' does not exist on this host/);
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nremapper:x:1500:1500::/nonexistent:/usr/sbin/nologin\n");
        r = attempt(env, { "userns-remap": "remapper:nogroup" });
        assert.match(r.stderr, /userns-remap group 'nogroup' does not exist/);
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /userns-remap user 'remapper' has no range in \/etc\/subuid/);
        put(env, "etc/subuid", "remapper:100000:65536\n");
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /has no range in \/etc\/subgid/);
        put(env, "etc/subgid", "1500:100000:65536\n"); // by uid: newer engines accept it
        // on a swarm node, switching remapping on moves dockerd's state: the node would leave the swarm
        fs.writeFileSync(path.join(env.fake, "swarm"), "");
        r = attempt(env, { "userns-remap": "remapper" });
        assert.match(r.stderr, /enabling userns-remap on a swarm node: dockerd would keep its state in another directory \(<data-root>\/UID.GID\) and this node would leave the swarm/);
        fs.rmSync(path.join(env.fake, "swarm"));
        r = attempt(env, { "userns-remap": "remapper" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(JSON.parse(read(env, DJ))["userns-remap"], "remapper");
    });

    it("userns-remap default: needs dockremap, or useradd/adduser for dockerd to create it", () => {
        const env = mkEnv();
        put(env, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        let r = attempt(env, { "userns-remap": "default" });
        assert.match(r.stderr, /userns-remap default needs the dockremap user, or useradd\/adduser/);
        put(env, "usr/sbin/useradd", "", 0o755);
        r = attempt(env, { "userns-remap": "default" });
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("runtimes: a missing binary (absolute or on PATH) and a missing containerd shim are refused; present ones apply", () => {
        const env = mkEnv();
        let r = attempt(env, { runtimes: { crun: { path: "/usr/local/bin/crun" } } });
        assert.match(r.stderr, /runtimes.crun: binary '\/usr\/local\/bin\/crun' is not an executable on this host \(containers/);
        r = attempt(env, { runtimes: { kata: { path: "kata-runtime" } } });
        assert.match(r.stderr, /runtimes.kata: binary 'kata-runtime' is not an executable on this host's PATH/);
        r = attempt(env, { runtimes: { gvisor: { runtimeType: "io.containerd.runsc.v1" } } });
        assert.match(r.stderr, /runtimes.gvisor: runtimeType io.containerd.runsc.v1 needs the shim 'containerd-shim-runsc-v1'/);
        put(env, "usr/local/bin/crun", "", 0o755);
        put(env, "usr/bin/kata-runtime", "", 0o755);
        put(env, "usr/bin/containerd-shim-runsc-v1", "", 0o755);
        put(env, "usr/bin/not-executable", "", 0o644);
        r = attempt(env, { runtimes: { crun: { path: "/usr/local/bin/crun" }, kata: { path: "kata-runtime" }, gvisor: { runtimeType: "io.containerd.runsc.v1" } }, "default-runtime": "crun" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(Object.keys(JSON.parse(read(env, DJ)).runtimes).sort(), ["crun", "gvisor", "kata"]);
        put(env, DJ, "{}\n");
        r = attempt(env, { runtimes: { x: { path: "/usr/bin/not-executable" } } });
        assert.match(r.stderr, /runtimes.x: binary '\/usr\/bin\/not-executable' is not an executable/);
    });

    it("exec-opts native.cgroupdriver=systemd is refused where systemd is not the init; accepted where it is", () => {
        const env = mkEnv();
        let r = attempt(env, { "exec-opts": ["native.cgroupdriver=systemd"] });
        assert.match(r.stderr, /exec-opts native.cgroupdriver=systemd, but systemd is not this host's init \(no \/run\/systemd\/system\)/);
        fs.mkdirSync(path.join(env.root, "run/systemd/system"), { recursive: true });
        r = attempt(env, { "exec-opts": ["native.cgroupdriver=systemd"] });
        assert.strictEqual(r.code, 0, r.stderr);
        put(env, DJ, "{}\n");
        put(env, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
        r = attempt(env, { "exec-opts": ["native.cgroupdriver=cgroupfs"] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /note: .*native.cgroupdriver=cgroupfs on a cgroup v2 host run by systemd/);
    });
});
