// devicemapper direct-lvm (issue 11): a change dockerd cannot make to an existing thin pool is
// refused before anything is written. Part of the host-checks suite (apply-script-host-checks.test.ts);
// fake dockerd/systemctl, harness in test/support/apply-host.ts.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Env, mkEnv, DJ, daemon, run, read, exists, count, calls, put } from "../../test/support/apply-host";

describe("apply-docker-config.sh host checks: userns-remap user, runtime binaries, cgroup driver", function () {
    this.timeout(60000);

    describe("devicemapper direct-lvm on a host whose thin pool exists (issue 11)", () => {
        const lvm = (device: string, percent: number, extra: Record<string, unknown> = {}) => ({
            "storage-driver": "devicemapper",
            "storage-opts": [`dm.directlvm_device=${device}`, `dm.thinp_percent=${percent}`, "dm.thinp_metapercent=1", "dm.thinp_autoextend_threshold=80", "dm.thinp_autoextend_percent=20"],
            ...extra,
        });
        /** A host running devicemapper with `current`; `poolAt`: the data-root whose devicemapper/ exists. */
        const host = (current: Record<string, unknown>, poolAt: string | null = "var/lib/docker") => {
            const env = mkEnv();
            put(env, DJ, daemon(current).content!);
            if (poolAt) fs.mkdirSync(path.join(env.root, poolAt, "devicemapper"), { recursive: true });
            return env;
        };
        /** Applies `want`; asserts a refusal touched nothing (file, dockerd) and returns the result. */
        const refused = (env: Env, want: Record<string, unknown>) => {
            const before = read(env, DJ);
            fs.rmSync(path.join(env.fake, "calls"), { force: true });
            const r = run(env, "apply", { public: [daemon(want)] });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.strictEqual(read(env, DJ), before, "daemon.json must be unchanged");
            assert.strictEqual(count(env, "starts"), 0, "dockerd must not restart");
            assert.doesNotMatch(calls(env), /systemctl (restart|stop|start) docker/);
            return r;
        };

        it("a changed direct-lvm value (thinp_percent, device, or dropping the options) is refused before anything is written", () => {
            const env = host(lvm("/dev/vdc", 95));
            let r = refused(env, lvm("/dev/vdc", 90));
            assert.match(r.stderr, /ERROR: \/etc\/docker\/daemon.json: changes the direct-lvm settings of this host's devicemapper thin pool \(device=\/dev\/vdc thinp_percent=95 .* -> device=\/dev\/vdc thinp_percent=90 /);
            assert.match(r.stderr, /dockerd cannot change direct-lvm settings of an existing pool \(it would refuse to start: changing direct-lvm config is not supported\)/);
            assert.match(r.stderr, /A migration takes either moving the host off devicemapper \(storage-driver overlay2, then remove the pool: vgremove docker, pvremove the device, rm -r \/var\/lib\/docker\/devicemapper\) or a new empty device/);
            r = refused(env, lvm("/dev/vdd", 95));
            assert.match(r.stderr, /device=\/dev\/vdc .* -> device=\/dev\/vdd /);
            r = refused(env, { "storage-driver": "devicemapper" });
            assert.match(r.stderr, /-> no direct-lvm\)/);
        });

        it("the same values apply: re-applied unchanged, written with dockerd's defaults omitted, or with force added", () => {
            const env = host(lvm("/dev/vdc", 95));
            let r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 95))] });
            assert.strictEqual(r.code, 0, r.stderr);
            r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 95))] });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stderr, /unchanged; nothing to do/);
            // thinp_percent=95 etc. are dockerd's defaults: the pool's stored settings are the same
            r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/vdc", "dm.directlvm_device_force=false"] })] });
            assert.strictEqual(r.code, 0, r.stderr);
        });

        it("without pool state (no <data-root>/devicemapper), or when the host is not on devicemapper, the change is dockerd's to judge", () => {
            let env = host(lvm("/dev/vdc", 95), null);
            let r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90))] });
            assert.strictEqual(r.code, 0, r.stderr);
            env = host({ "storage-driver": "overlay2" });
            r = run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90))] });
            assert.strictEqual(r.code, 0, r.stderr);
        });

        it("the pool is looked for in the configured data-root", () => {
            let env = host(lvm("/dev/vdc", 95, { "data-root": "/srv/docker" }), "srv/docker");
            const r = refused(env, lvm("/dev/vdc", 90, { "data-root": "/srv/docker" }));
            assert.match(r.stderr, /rm -r \/srv\/docker\/devicemapper/);
            env = host(lvm("/dev/vdc", 95, { "data-root": "/srv/docker" }), "var/lib/docker");
            assert.strictEqual(run(env, "apply", { public: [daemon(lvm("/dev/vdc", 90, { "data-root": "/srv/docker" }))] }).code, 0);
        });

        it("a failed start into devicemapper from a config without a storage driver: the state it left is moved aside and the rollback starts dockerd", () => {
            const env = mkEnv();
            fs.mkdirSync(path.join(env.root, "var/lib/docker/overlay2"), { recursive: true });
            put(env, DJ, '{"debug": false}\n');
            const r = run(env, "apply", { public: [daemon({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/vdz"], "labels": ["BAD_START"] })] });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, /moved \/var\/lib\/docker\/devicemapper \(left by the failed devicemapper start\) aside to \S+failed-graph-state-\d+/);
            assert.match(r.stderr, /previous config restored, dockerd running/);
            assert.ok(!exists(env, "var/lib/docker/devicemapper"));
            assert.deepStrictEqual(JSON.parse(read(env, DJ)), { debug: false });
            // state that was there before the apply is not the apply's to move
            const env2 = host(lvm("/dev/vdc", 95), null);
            fs.mkdirSync(path.join(env2.root, "var/lib/docker/devicemapper"), { recursive: true });
            put(env2, DJ, '{"storage-driver": "overlay2"}\n');
            const r2 = run(env2, "apply", { public: [daemon({ ...lvm("/dev/vdz", 95), "labels": ["BAD_START"] })] });
            assert.strictEqual(r2.code, 1, r2.stderr);
            assert.doesNotMatch(r2.stderr, /moved .* aside/);
            assert.ok(exists(env2, "var/lib/docker/devicemapper"));
        });

        it("dropping devicemapper without naming a storage driver is refused; overlay2 named explicitly applies", () => {
            const env = host(lvm("/dev/vdc", 95));
            const r = refused(env, { "log-driver": "json-file" });
            assert.match(r.stderr, /no longer sets storage-driver devicemapper but names no other storage driver, while \/var\/lib\/docker\/devicemapper exists: .*contains several valid graphdrivers.*storageDriver overlay2 to move off devicemapper/);
            const ok = run(env, "apply", { public: [daemon({ "storage-driver": "overlay2" })] });
            assert.strictEqual(ok.code, 0, ok.stderr);
            assert.strictEqual(JSON.parse(read(env, DJ))["storage-driver"], "overlay2");
        });
    });
});
