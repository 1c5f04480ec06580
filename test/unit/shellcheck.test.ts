// Every shell script in the repository is shellcheck-clean (the apply script has its own test too).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

describe("shell scripts", () => {
    it("pass shellcheck", function () {
        // ~25 s of CPU for every script (each sourced module is checked alone and again through its
        // entry script); on this shared 2-core machine under suite load that took over 60 s
        this.timeout(180000);
        const r = spawnSync("bash", ["-c", "shellcheck -x components/*/scripts/*.sh components/*/scripts/*/*.sh test/support/apply-fakes/*/* dev/*.sh dev/lib/*.sh test/sandbox/*.sh test/sandbox/lib/*.sh test/vm/*.sh test/vm/lib/*.sh bench/*.sh tools/*/build.sh tools/pulumi-engine/resolve.sh tools/pulumi-engine/env.sh .ci/run"], { cwd: ROOT, encoding: "utf8" });
        if (r.status === 127 || /command not found/.test(r.stderr)) throw new Error("shellcheck is not installed (apt-get install shellcheck); .ci/run installs it");
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });
});
