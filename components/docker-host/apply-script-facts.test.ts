// The whole apply script on a host with neither jq nor python3 (a minimal Debian), issue 29: the
// daemon.json facts shipped in the bundle do the checks and the restart decision, the facts kept
// by sha256 describe the live file, and a file dockfleet did not write restarts (settings unknown).
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Env, count, daemon, mkEnv, read, run } from "../../test/support/apply-host";

const DJ = "/etc/docker/daemon.json";
const FACTS = "var/lib/dockfleet/daemon-config/facts";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** PATH of this machine's commands without jq and python (the fakes first, as run() has them). */
function noJsonTools(env: Env): string {
    const dir = path.join(env.fake, "nojson");
    fs.mkdirSync(dir);
    for (const d of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
        for (const f of fs.existsSync(d) ? fs.readdirSync(d) : []) {
            if (!/^(jq|python)/.test(f) && !fs.existsSync(path.join(dir, f))) fs.symlinkSync(path.join(d, f), path.join(dir, f));
        }
    }
    return `${env.bin}:${dir}`;
}

describe("apply-docker-config.sh without jq or python3: the shipped daemon.json facts", function () {
    this.timeout(60000);

    it("the host checks run from the shipped facts (userns, runtime, shim, cgroup driver, invalid JSON), without a note", () => {
        const env = mkEnv();
        const PATH = noJsonTools(env);
        fs.writeFileSync(path.join(env.root, DJ), "{}\n");
        const cases: [Record<string, unknown> | string, RegExp][] = [
            [{ "userns-remap": "nobody2:nogroup" }, /userns-remap user 'nobody2' does not exist/],
            [{ runtimes: { crun: { path: "/opt/crun" } } }, /runtimes.crun: binary '\/opt\/crun'/],
            [{ runtimes: { g: { runtimeType: "io.containerd.runsc.v1" } } }, /needs the shim 'containerd-shim-runsc-v1'/],
            [{ "exec-opts": ["native.cgroupdriver=systemd"] }, /systemd is not this host's init/],
            ['{"debug": false,}\n', /daemon.json is not a JSON object: .*JSON/],
        ];
        for (const [extra, want] of cases) {
            const file = typeof extra === "string" ? { path: DJ, mode: "0644", content: extra } : daemon(extra);
            const r = run(env, "apply", { public: [file], extraEnv: { PATH } });
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, want);
            assert.doesNotMatch(r.stderr, /note: no facts/);
            assert.strictEqual(read(env, DJ), "{}\n");
        }
    });

    it("the live file's kept facts: the same settings in other bytes are rewritten without a restart; only the last good file's facts stay", () => {
        const env = mkEnv();
        const PATH = noJsonTools(env);
        const first = daemon({ labels: ["b=2", "a=1"], "log-driver": "local" });
        let r = run(env, "apply", { public: [first], extraEnv: { PATH } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(count(env, "starts"), 1);
        assert.deepStrictEqual(fs.readdirSync(path.join(env.root, FACTS)), [sha(first.content!)]);
        // a host applied by a dockfleet without facts: the same file again keeps its facts, nothing else happens
        fs.rmSync(path.join(env.root, FACTS), { recursive: true });
        r = run(env, "apply", { public: [first], extraEnv: { PATH } });
        assert.match(r.stderr, /unchanged; nothing to do/);
        assert.deepStrictEqual(fs.readdirSync(path.join(env.root, FACTS)), [sha(first.content!)]);
        // the same settings, keys in another order, one line
        const same = { path: DJ, mode: "0644", content: '{"log-driver":"local","labels":["a=1","b=2"],"debug":false}\n' };
        r = run(env, "apply", { public: [same], extraEnv: { PATH } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.strictEqual(read(env, DJ), same.content);
        assert.deepStrictEqual(fs.readdirSync(path.join(env.root, FACTS)), [sha(same.content)]);
        // another setting: a restart
        r = run(env, "apply", { public: [daemon({ "log-driver": "json-file" })], extraEnv: { PATH } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 2);
    });

    it("a live file dockfleet did not write: with jq the same settings restart nothing; without jq they restart (settings unknown)", () => {
        const adopted = '{"labels":["a=1"],\n  "debug": false}';
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), adopted);
        let r = run(env, "apply", { public: [daemon({ labels: ["a=1"] })] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /daemon\.json rewritten in canonical form; same settings: no restart/);
        assert.strictEqual(count(env, "starts"), 0);
        const env2 = mkEnv();
        fs.writeFileSync(path.join(env2.root, DJ), adopted);
        r = run(env2, "apply", { public: [daemon({ labels: ["a=1"] })], extraEnv: { PATH: noJsonTools(env2) } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /will change \/etc\/docker\/daemon.json/);
        assert.match(r.stderr, /applied \(restart\)/);
        assert.strictEqual(count(env2, "starts"), 1);
        // restore checks the pre-dockfleet file: no facts, no jq, so its host checks are skipped with a note
        r = run(env2, "restore", { extraEnv: { PATH: `${env2.bin}:${path.join(env2.fake, "nojson")}` } });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /note: no facts for this daemon.json \(dockfleet did not write it\) and no jq on this host; JSON syntax is checked by dockerd itself/);
        assert.strictEqual(read(env2, DJ), adopted);
    });
});
