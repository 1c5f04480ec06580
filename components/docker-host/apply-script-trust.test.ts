// apply-docker-config.sh, issue 28: TLS files checked before anything is written, and swarm
// autolock (the unlock key on the secret stdin only; a restarted manager unlocked with it). Fake
// systemctl/docker/dockerd on PATH, every path under a temp DOCKFLEET_ROOT; the real-host version
// is test/contract/trust-autolock.test.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APPLY_SCRIPT_FILE, ManagedFile, renderBundle } from "./bundle";
import { renderUnlockKeyEntry } from "./autolock";
import { fakeText, installFakes } from "../../test/support/apply-fakes";

const KEY = "SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8";

interface Env { root: string; fake: string; bin: string }

function mkEnv(swarm: "none" | "autolock" | "plain" = "none"): Env {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-trust-"));
    const env = { root: path.join(base, "root"), fake: path.join(base, "fake"), bin: path.join(base, "bin") };
    for (const d of [env.root, env.fake, env.bin, path.join(env.root, "etc/docker")]) fs.mkdirSync(d, { recursive: true });
    installFakes("trust", env.bin);
    fs.writeFileSync(path.join(env.fake, "up"), "");
    fs.writeFileSync(path.join(env.root, DJ), "{}\n");
    if (swarm === "autolock") {
        fs.writeFileSync(path.join(env.fake, "autolock"), "");
        fs.writeFileSync(path.join(env.fake, "key"), `${KEY}\n`);
    }
    return env;
}

const DJ = "/etc/docker/daemon.json";
const dj = (o: Record<string, unknown>): ManagedFile => ({ path: DJ, mode: "0644", content: JSON.stringify(o, null, 2) + "\n" });

function run(env: Env, files: ManagedFile[], stdin = "") {
    const r = spawnSync("bash", ["-c", `exec bash "$@" 3<"$PUBFILE"`, "x", APPLY_SCRIPT_FILE, "apply", "--host", "m1", "--restart-timeout", "10"], {
        input: stdin,
        env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake, PUBFILE: pub(env, files) },
        encoding: "utf8",
        timeout: 60000,
    });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}
function pub(env: Env, files: ManagedFile[]): string {
    const f = path.join(env.fake, `pub-${Math.random()}`);
    fs.writeFileSync(f, renderBundle(files));
    return f;
}
const read = (env: Env, p: string) => fs.readFileSync(path.join(env.root, p), "utf8");
const fake = (env: Env, f: string) => (fs.existsSync(path.join(env.fake, f)) ? fs.readFileSync(path.join(env.fake, f), "utf8") : "");

describe("apply-docker-config.sh: TLS files and swarm autolock (issue 28)", function () {
    this.timeout(60000);
    const TLS = { "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tls": true, "tlsverify": true,
        "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/tls/cert.pem", "tlskey": "/etc/docker/tls/key.pem" };

    it("a daemon.json naming a TLS file that is not on the host is refused before anything is written, naming the path", () => {
        const env = mkEnv();
        fs.mkdirSync(path.join(env.root, "etc/docker/tls"));
        fs.writeFileSync(path.join(env.root, "etc/docker/tls/ca.pem"), "ca");
        const r = run(env, [dj(TLS)]);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /ERROR: \/etc\/docker\/daemon.json: tlscert \/etc\/docker\/tls\/cert.pem does not exist on this host/);
        assert.strictEqual(read(env, DJ), "{}\n");
        assert.doesNotMatch(fake(env, "calls"), /systemctl (restart|reload)/);
    });

    it("a TLS key others can read is refused; with every file present and the key 0400 the apply goes on", () => {
        const env = mkEnv();
        fs.mkdirSync(path.join(env.root, "etc/docker/tls"));
        for (const f of ["ca.pem", "cert.pem", "key.pem"]) fs.writeFileSync(path.join(env.root, "etc/docker/tls", f), f, { mode: 0o644 });
        const r = run(env, [dj(TLS)]);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /tlskey \/etc\/docker\/tls\/key.pem can be read by users other than its owner \(mode 644\); chmod 0400 it/);
        assert.strictEqual(read(env, DJ), "{}\n");
        fs.chmodSync(path.join(env.root, "etc/docker/tls/key.pem"), 0o400);
        const ok = run(env, [dj(TLS)]);
        assert.strictEqual(ok.code, 0, ok.stderr);
        assert.strictEqual(JSON.parse(read(env, DJ)).tlsverify, true);
    });

    it("autolock: the restarted manager is unlocked with the key from stdin, which is in no command line", () => {
        const env = mkEnv("autolock");
        const r = run(env, [dj({ icc: false })], renderUnlockKeyEntry(KEY));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(fake(env, "locked"), "", "still locked");
        assert.match(fake(env, "calls"), /^docker swarm unlock$/m);
        assert.ok(!fake(env, "calls").includes(KEY), "the key is on a command line");
        assert.ok(!r.stderr.includes(KEY) && !r.stdout.includes(KEY), "the key is in the output");
        assert.ok(!fs.readdirSync(path.join(env.root, "var/lib/dockfleet/daemon-config"), { recursive: true }).some((f) => {
            const p = path.join(env.root, "var/lib/dockfleet/daemon-config", String(f));
            return fs.statSync(p).isFile() && fs.readFileSync(p, "utf8").includes(KEY);
        }), "the key is in a state file");
    });

    it("restore (a resource's delete) also unlocks the manager it restarts, with the key from stdin", () => {
        const env = mkEnv("autolock");
        assert.strictEqual(run(env, [dj({ icc: false })], renderUnlockKeyEntry(KEY)).code, 0);
        const r = spawnSync("bash", [APPLY_SCRIPT_FILE, "restore", "--host", "m1", "--restart-timeout", "10"], {
            input: renderUnlockKeyEntry(KEY), encoding: "utf8", timeout: 60000,
            env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake },
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(read(env, DJ), "{}\n");
        assert.strictEqual(fake(env, "locked"), "", "still locked");
    });

    it("autolock without a key, or with another key: refused before anything is written", () => {
        for (const [stdin, msg] of [["", /the swarm is autolocked and no unlock key was given/], [renderUnlockKeyEntry("SWMKEY-1-other"), /is not this swarm's \(rotated/]] as const) {
            const env = mkEnv("autolock");
            const r = run(env, [dj({ icc: false })], stdin);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, msg);
            assert.strictEqual(read(env, DJ), "{}\n");
            assert.strictEqual(fake(env, "starts"), "", "dockerd was restarted");
        }
    });

    it("a manager that stays locked after the restart (key rotated meanwhile) fails the health step and is rolled back", () => {
        const env = mkEnv("autolock");
        // the key matches before the restart; the fake swarm then rotates it
        fs.writeFileSync(path.join(env.bin, "systemctl"), fakeText("trust", "systemctl").replace('touch "$FAKE/locked"', 'touch "$FAKE/locked"; echo SWMKEY-1-rotated > "$FAKE/key"'), { mode: 0o755 });
        const r = run(env, [dj({ icc: false })], renderUnlockKeyEntry(KEY));
        assert.strictEqual(r.code, 3, r.stderr); // the rollback's restart is locked too: CRITICAL, guard armed
        assert.match(r.stderr, /step 'unlock the swarm manager' failed \(docker swarm unlock: Error response from daemon: invalid key/);
    });

    it("the unlock key is refused on the public bundle (fd 3)", () => {
        const env = mkEnv("autolock");
        const f = path.join(env.fake, "pub");
        fs.writeFileSync(f, renderBundle([dj({})]) + renderUnlockKeyEntry(KEY));
        const r = spawnSync("bash", ["-c", `exec bash "$@" 3<"$PUBFILE"`, "x", APPLY_SCRIPT_FILE, "apply", "--host", "m1"], {
            input: "", encoding: "utf8", timeout: 60000,
            env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake, PUBFILE: f },
        });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /the swarm unlock key may only come on stdin/);
    });
});
