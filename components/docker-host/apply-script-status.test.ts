// The apply script's status (in-sync, drift, what the last verified apply wrote) and the
// drift-repair marker (fake dockerd/systemctl; harness in test/support/apply-host.ts).
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { mkEnv, DJ, PROXY, daemon, run, driftLines, claim } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("records the drift-repair marker after a verified apply and reports it in status", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon()], args: [...claim("o", "update"), "--repair", "1 /etc/docker/daemon.json"] }).code, 0);
        assert.deepStrictEqual(driftLines(run(env, "status").stdout), ["in-sync", "repair 1 /etc/docker/daemon.json"]);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        const st = run(env, "status").stdout;
        assert.match(st, /^drift \/etc\/docker\/daemon.json [0-9a-f]{64}$/m);
        assert.match(st, /^repair 1 \/etc\/docker\/daemon.json$/m);
        // a failed repair does not record its marker
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: [...claim("o", "update"), "--repair", "2 /etc/docker/daemon.json"] }).code, 1);
        assert.match(run(env, "status").stdout, /^repair 1 /m);
        assert.match(run(env, "apply", { args: ["--owner", "bad owner"] }).stderr, /--owner must be letters/);
        assert.match(run(env, "apply", { args: ["--op", "replace"] }).stderr, /--op must be create or update/);
    });

    it("status says unmanaged, in-sync, or which file drifted from the last verified apply", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "status").stdout.trim(), "unmanaged");
        assert.strictEqual(run(env, "apply", { public: [daemon()] }).code, 0);
        assert.deepStrictEqual(driftLines(run(env, "status").stdout), ["in-sync"]);
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        assert.match(run(env, "status").stdout, /^drift \/etc\/docker\/daemon.json [0-9a-f]{64}$/m);
    });

    it("status also says what the last verified apply wrote: its reload digest and each file's mode and digest", () => {
        const env = mkEnv();
        const files = [daemon({ labels: ["a=1"] }), { path: PROXY, mode: "0644" }];
        assert.strictEqual(run(env, "apply", { public: files, args: ["--reload-digest", "d1"] }).code, 0);
        const sha = createHash("sha256").update(files[0].content!).digest("hex");
        assert.deepStrictEqual(run(env, "status").stdout.trim().split("\n").sort(), [
            `applied 644 ${sha} /etc/docker/daemon.json`,
            `applied absent absent ${PROXY}`,
            "in-sync",
            "reload-digest d1",
        ]);
        // a failed apply rolls back and forgets the digest: the host's next change is a restart
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: ["--reload-digest", "d2"] }).code, 1);
        assert.doesNotMatch(run(env, "status").stdout, /^reload-digest/m);
    });
});
