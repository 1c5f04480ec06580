// A failed test must not hang its suite (issue 30, point 9): dev/lib/run-suite.sh, the code
// dev/test-all.sh runs every suite with, on a fixture that fails and leaks
// (test/fixtures/hang/leaky.fixture.ts). The suite ends within a bound, its failure is reported
// and counted, the leak is named, and no process of it is left.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = "test/fixtures/hang/leaky.fixture.ts";
const GRACE = 3;

interface Outcome {
    code: number | null;
    out: string;
    seconds: number;
    /** run_suite's totals: "passed=N failed=M status=S" */
    counts: string;
    /** the fixture's child: its pid, and whether it still ran when run_suite returned */
    child: number;
    childAlive: boolean;
    /** processes of the suite's session when run_suite returned (pgrep -a) */
    left: string;
}

/** run_suite on the fixture in LEAKY_MODE `mode`, as test-all.sh calls it; never outlives `boundMs`. */
async function runSuite(mode: string, boundMs: number): Promise<Outcome> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-suite-survival-"));
    const env: NodeJS.ProcessEnv = { ...process.env, LEAKY_MODE: mode, LEAKY_PID_FILE: path.join(dir, "child.pid"), DOCKFLEET_SUITE_EXIT_GRACE: String(GRACE), TS_NODE_TRANSPILE_ONLY: "true", LOG_DIR: dir };
    delete env.DOCKFLEET_TEST_DEADLINE;
    const script = `source dev/lib/run-suite.sh; log_dir=$LOG_DIR; run_suite leaky ${FIXTURE}; echo "COUNTS passed=$passed failed=$failed status=$status"`;
    const t0 = Date.now();
    const p = spawn("bash", ["-c", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => process.kill(-p.pid!, "SIGKILL"), boundMs);
    const code = await new Promise<number | null>((resolve) => p.on("close", (c) => resolve(c)));
    clearTimeout(timer);
    const sidFile = path.join(dir, "leaky.sid");
    const sid = fs.existsSync(sidFile) ? fs.readFileSync(sidFile, "utf8").trim() : "";
    const pidFile = path.join(dir, "child.pid");
    const child = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8")) : 0;
    const seconds = (Date.now() - t0) / 1000;
    const left = sid ? spawnSync("pgrep", ["-a", "-s", sid], { encoding: "utf8" }).stdout.trim() : "";
    const childAlive = child > 0 && alive(child);
    // whatever happened above: nothing of this test may outlive it
    for (const line of left.split("\n").filter(Boolean)) kill(Number(line.split(" ")[0]));
    if (childAlive) kill(child);
    fs.rmSync(dir, { recursive: true, force: true });
    return { code, out, seconds, counts: /COUNTS (.*)/.exec(out)?.[1] ?? "", child, childAlive, left };
}

function kill(pid: number): void {
    try {
        process.kill(pid, "SIGKILL");
    } catch {
        // already gone
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

describe("a suite that fails and leaks (dev/lib/run-suite.sh)", function () {
    this.timeout(120000);

    it("leaking a child and an interval: mocha is ended after its summary, the failure and the leak are reported, nothing is left", async () => {
        const o = await runSuite("hang", 90000);
        assert.ok(o.seconds < 60, `ended in ${o.seconds} s (grace ${GRACE} s):\n${o.out}`);
        assert.strictEqual(o.code, 0, o.out);
        assert.match(o.out, /^ {2}1 passing/m);
        assert.match(o.out, /^ {2}1 failing/m);
        assert.match(o.out, /this test fails on purpose/);
        assert.match(o.out, /FATAL: suite leaky: handles left open after the suite finished: mocha printed its summary 3s ago/);
        assert.match(o.out, /sleep 600/, "the leaked child is named");
        // 1 passed; 2 failed: the test, and the leak
        assert.strictEqual(o.counts, "passed=1 failed=2 status=1");
        assert.ok(o.child > 0, "the fixture started its child");
        assert.strictEqual(o.childAlive, false, `the leaked child ${o.child} is gone`);
        assert.strictEqual(o.left, "", "no process of the suite's session is left");
    });

    it("leaking an unref'd child: mocha exits, the child it left is killed and the leak counted", async () => {
        const o = await runSuite("orphan", 90000);
        assert.ok(o.seconds < 60, `ended in ${o.seconds} s:\n${o.out}`);
        assert.match(o.out, /FATAL: suite leaky: handles left open after the suite finished: processes it started still run after mocha exited/);
        assert.match(o.out, /sleep 600/);
        assert.strictEqual(o.counts, "passed=1 failed=2 status=1");
        assert.ok(o.child > 0, "the fixture started its child");
        assert.strictEqual(o.childAlive, false, `the orphaned child ${o.child} is gone`);
        assert.strictEqual(o.left, "", "no process of the suite's session is left");
    });

    it("a clean suite: counted as it is, no leak reported", async () => {
        const o = await runSuite("clean", 90000);
        assert.doesNotMatch(o.out, /FATAL/);
        assert.strictEqual(o.counts, "passed=2 failed=0 status=0");
        assert.strictEqual(o.left, "");
    });
});
