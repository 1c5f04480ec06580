// Every shell script in the repository is shellcheck-clean (the apply script has its own test too).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

describe("shell scripts", () => {
    it("pass shellcheck", function () {
        this.timeout(60000);
        const r = spawnSync("bash", ["-c", "shellcheck -x components/*/scripts/*.sh components/*/scripts/*/*.sh test/support/apply-fakes/*/* scripts/*.sh scripts/lib/*.sh test/sandbox/*.sh test/vm/*.sh bench/*.sh tools/*/build.sh tools/pulumi-engine/resolve.sh tools/pulumi-engine/env.sh .ci/run"], { cwd: ROOT, encoding: "utf8" });
        if (r.status === 127 || /command not found/.test(r.stderr)) throw new Error("shellcheck is not installed (apt-get install shellcheck); .ci/run installs it");
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });
});
