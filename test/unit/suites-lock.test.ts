// Two suites against one sandbox (issue 30, point 9): the second waits for the suite lock and
// proceeds when the first ends, or (DOCKFLEET_SUITES_LOCK_WAIT=0) refuses, naming the holder; a
// mocha run started by a holder (test-all.sh) runs under its hold. Real processes and real flock
// on a temporary sandbox dir (DOCKFLEET_SANDBOX_DIR, with a stub sandbox.json): no host touched.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const LIB = path.join(ROOT, "dev/lib/suites-lock.sh");

describe("the sandbox's suite lock (dev/lib/suites-lock.sh, test/contract/suites-lock.ts)", function () {
    this.timeout(120000);
    let dir = "";
    let sandboxDir = "";
    const children: ChildProcess[] = [];

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-suites-lock-"));
        sandboxDir = path.join(dir, "sandbox");
        fs.mkdirSync(sandboxDir);
        fs.writeFileSync(path.join(sandboxDir, "sandbox.json"), "{}");
    });
    afterEach(() => {
        for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
        const e: NodeJS.ProcessEnv = { ...process.env, DOCKFLEET_SANDBOX_DIR: sandboxDir, TS_NODE_TRANSPILE_ONLY: "true" };
        delete e.DOCKFLEET_SUITES_LOCK_HELD;
        return { ...e, ...extra };
    };

    /** A process that calls the contract helpers' sandbox() (which takes the lock), prints LOCKED, then holds on until its stdin closes. */
    function suite(extra: Record<string, string> = {}): { p: ChildProcess; out: () => string; locked: Promise<void>; done: Promise<number | null> } {
        const code = `require(${JSON.stringify(path.join(ROOT, "test/contract/lib.ts"))}).sandbox(); console.log("LOCK" + "ED " + Date.now()); process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`;
        const p = spawn("node", ["-r", "ts-node/register", "-e", code], { cwd: ROOT, env: env(extra), stdio: ["pipe", "pipe", "pipe"] });
        children.push(p);
        let out = "";
        let onLocked: () => void = () => undefined;
        const locked = new Promise<void>((resolve) => (onLocked = resolve));
        p.stdout!.on("data", (d) => {
            out += d;
            if (/LOCKED \d/.test(out)) onLocked();
        });
        p.stderr!.on("data", (d) => (out += d));
        const done = new Promise<number | null>((resolve) => p.on("close", (c) => resolve(c)));
        return { p, out: () => out, locked, done };
    }

    it("a second suite waits while the first holds the lock, and proceeds once it ends", async () => {
        const first = suite();
        await first.locked;
        const second = suite({ DOCKFLEET_SUITES_LOCK_WAIT: "60" });
        // it announces the wait, naming the holder, and does not get the lock meanwhile
        const t0 = Date.now();
        while (!/waiting up to 60s/.test(second.out()) && Date.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 200));
        assert.match(second.out(), new RegExp(`waiting up to 60s for the sandbox's suite lock ${sandboxDir}\\.suites\\.lock, held by: pid ${first.p.pid}, user \\S+, started .*: node -r ts-node/register`));
        await new Promise((r) => setTimeout(r, 2000));
        assert.doesNotMatch(second.out(), /LOCKED \d/, "no lock while the first suite runs");
        const released = Date.now();
        first.p.stdin!.end();
        assert.strictEqual(await first.done, 0);
        await second.locked;
        const lockedAt = Number(/LOCKED (\d+)/.exec(second.out())![1]);
        assert.ok(lockedAt >= released, "the second suite got the lock only after the first ended");
        assert.match(second.out(), /sandbox suite lock taken after \d+s/);
        // the lock file now names the second suite
        assert.match(fs.readFileSync(`${sandboxDir}.suites.lock`, "utf8"), new RegExp(`^pid ${second.p.pid}, `));
        second.p.stdin!.end();
        assert.strictEqual(await second.done, 0);
    });

    it("with DOCKFLEET_SUITES_LOCK_WAIT=0 the second suite refuses at once, naming the holder (pid, user, start, command)", async () => {
        const first = suite();
        await first.locked;
        const t0 = Date.now();
        const second = suite({ DOCKFLEET_SUITES_LOCK_WAIT: "0" });
        const code = await second.done;
        assert.notStrictEqual(code, 0);
        assert.ok(Date.now() - t0 < 30000);
        assert.doesNotMatch(second.out(), /LOCKED \d/);
        assert.match(second.out(), new RegExp(`REFUSED: another suite holds the sandbox's suite lock ${sandboxDir}\\.suites\\.lock: pid ${first.p.pid}, user root, started \\w{3} \\w{3} +\\d+ [\\d:]+ \\d{4}, holding since [\\dT:-]+Z: node -r ts-node/register`));
        assert.match(second.out(), /Error: refused: the sandbox's suite lock .* is held by another suite: pid \d+/);
        first.p.stdin!.end();
        await first.done;
    });

    it("a suite started by the holder (test-all.sh's mocha runs) runs under its hold; DOCKFLEET_SUITES_LOCK_HELD outside the holder's tree does not skip the lock", async () => {
        const file = `${sandboxDir}.suites.lock`;
        // the holder as test-all.sh takes it: bash, flock on its own descriptor, the variable for
        // its children; then a mocha-like child calling sandbox() with no wait allowed
        const child = `require(${JSON.stringify(path.join(ROOT, "test/contract/lib.ts"))}).sandbox(); console.log("CHILD " + "LOCKED")`;
        const script = `source "$0"; exec {fd}>>"$1"; suites_lock "$fd" "$1" $$ || exit 9; export DOCKFLEET_SUITES_LOCK_HELD="$$ $1"; ` +
            `DOCKFLEET_SUITES_LOCK_WAIT=0 node -r ts-node/register -e "$2"; echo "child exit $?"; cat >/dev/null`;
        const holder = spawn("bash", ["-c", script, LIB, file, child], { cwd: ROOT, env: env(), stdio: ["pipe", "pipe", "pipe"] });
        children.push(holder);
        let out = "";
        holder.stdout!.on("data", (d) => (out += d));
        holder.stderr!.on("data", (d) => (out += d));
        const holderDone = new Promise<number | null>((resolve) => holder.on("close", (c) => resolve(c)));
        const t0 = Date.now();
        while (!/child exit/.test(out) && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 200));
        assert.match(out, /CHILD LOCKED\nchild exit 0/, `no deadlock against the parent's lock:\n${out}`);
        // a process outside the holder's tree with the same variable (a stale export) is refused
        const stranger = suite({ DOCKFLEET_SUITES_LOCK_WAIT: "0", DOCKFLEET_SUITES_LOCK_HELD: `${holder.pid} ${file}` });
        assert.notStrictEqual(await stranger.done, 0);
        assert.match(stranger.out(), new RegExp(`REFUSED: another suite holds the sandbox's suite lock .*: pid ${holder.pid}, `));
        holder.stdin!.end();
        assert.strictEqual(await holderDone, 0);
    });

    it("a suite started under `flock LOCKFILE cmd` (no variable) runs under that hold; a suite outside it still waits", async () => {
        const file = `${sandboxDir}.suites.lock`;
        const child = `require(${JSON.stringify(path.join(ROOT, "test/contract/lib.ts"))}).sandbox(); console.log("CHILD " + "LOCKED")`;
        // flock(1) holds the lock for its command; nothing sets DOCKFLEET_SUITES_LOCK_HELD
        const holder = spawn("flock", [file, "bash", "-c", `DOCKFLEET_SUITES_LOCK_WAIT=0 node -r ts-node/register -e "$0"; echo "child exit $?"; cat >/dev/null`, child],
            { cwd: ROOT, env: env(), stdio: ["pipe", "pipe", "pipe"] });
        children.push(holder);
        let out = "";
        holder.stdout!.on("data", (d) => (out += d));
        holder.stderr!.on("data", (d) => (out += d));
        const holderDone = new Promise<number | null>((resolve) => holder.on("close", (c) => resolve(c)));
        const t0 = Date.now();
        while (!/child exit/.test(out) && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 200));
        assert.match(out, /CHILD LOCKED\nchild exit 0/, `no wait for its own parent's flock:\n${out}`);
        const stranger = suite({ DOCKFLEET_SUITES_LOCK_WAIT: "0" });
        assert.notStrictEqual(await stranger.done, 0);
        assert.match(stranger.out(), /REFUSED: another suite holds the sandbox's suite lock/);
        holder.stdin!.end();
        assert.strictEqual(await holderDone, 0);
    });
});
