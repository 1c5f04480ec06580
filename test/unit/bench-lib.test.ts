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

    it("restart_timeline_of: each host's restart from its journal, in restart order, and the time to the next", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lib-"));
        const f = path.join(dir, "journal");
        const j = (h: string, t: number, msg: string) => `${h} ${t.toFixed(6)} ${h} ${msg}`;
        // h2 restarts first: a plain restart. h1 next: a unit that needs docker stops first, dockerd is
        // forced down, its start waits on a swarm session. h3 stops but is not back before the end.
        // Out of order on input (sorted by time inside), and a line before T0 that does not count.
        fs.writeFileSync(f, [
            j("h1", 130.0, "systemd[1]: Stopping heartbeat.service - heartbeat container (dockfleet)..."),
            j("h2", 95.0, "systemd[1]: Stopping docker.service - Docker Application Container Engine..."),
            j("h2", 102.0, "systemd[1]: Stopping docker.service - Docker Application Container Engine..."),
            j("h2", 112.5, 'dockerd[9]: time="x" level=info msg="Starting up"'),
            j("h2", 113.7, "systemd[1]: Started docker.service - Docker Application Container Engine."),
            j("h1", 140.0, "systemd[1]: Stopping docker.service - Docker Application Container Engine..."),
            j("h1", 155.0, 'dockerd[7]: time="x" level=error msg="Force shutdown daemon"'),
            j("h1", 155.2, 'dockerd[8]: time="x" level=info msg="Starting up"'),
            j("h1", 160.3, 'dockerd[8]: time="x" level=error msg="agent: session failed" backoff=100ms error="session initiation timed out"'),
            j("h1", 162.0, "systemd[1]: Started docker.service - Docker Application Container Engine."),
            j("h1", 163.0, "systemd[1]: Started heartbeat.service - heartbeat container (dockfleet)."),
            j("h3", 175.0, "systemd[1]: Stopping docker.service - Docker Application Container Engine..."),
        ].join("\n") + "\n");
        try {
            assert.strictEqual(lib(`restart_timeline_of 100 180 <${f}`),
                "first restart after 2.0 s; " +
                "h2 restart 11.7 s (dockerd stop 10.5 + start 1.2), then 16.3 s to the next; " +
                "h1 restart 32.0 s (dependents 10.0 + dockerd stop 15.2 (forced) + start 6.8 (session timeout)), then 13.0 s to the next; " +
                "h3: not started again in the run; restarts 43.7 s, after them 29.3 s");
            assert.strictEqual(lib(`restart_timeline_of 200 300 <${f}`), "no dockerd restart in the journals");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
