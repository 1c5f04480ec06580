// bench/lib.sh's sample arithmetic (the rollout benchmark's "seconds below a floor"), run in bash.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

function lib(body: string): string {
    const r = spawnSync("bash", ["-c", `set -euo pipefail; BENCH_ROOT=${ROOT}; DOCKFLEET_SANDBOX_DIR=/nonexistent; source bench/lib.sh; BENCH_HOSTS=(h1 h2 h3 h4 h5 h6); ${body}`], { cwd: ROOT, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.trim();
}

describe("bench/lib.sh", () => {
    it("expects every replica of each service, a global one on every host", () => {
        assert.strictEqual(lib("svc_expected"), "3 2 6 2");
        assert.strictEqual(lib('for i in 0 1 2 3; do printf "%s " "$(svc_floor $i)"; done'), "2 1 0 1");
    });

    it("summarize_samples: the minimum per service and the seconds any replicated service was below its floor", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lib-"));
        const f = path.join(dir, "samples");
        // t spread pair glob plain: at 2.0 spread is below 2, at 2.5 pair is below 1; glob's 5 is no breach
        fs.writeFileSync(f, ["1.0 3 2 6 2", "1.5 2 2 5 2", "2.0 1 2 6 2", "2.5 3 0 6 1", "3.0 3 2 6 2", "9.0 0 0 0 0"].join("\n") + "\n");
        try {
            assert.strictEqual(lib(`summarize_samples ${f} 1.0 3.2`), "1,0,5,1 1.0 5");
            assert.strictEqual(lib(`summarize_samples ${f} 2.6 3.2`), "3,2,6,2 0.0 1");
            assert.strictEqual(lib(`summarize_samples ${f} 4 5`), "NA NA 0");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
