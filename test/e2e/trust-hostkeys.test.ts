// Trust, on a real host: host3 answers with another SSH host key (its keys regenerated, as an
// impostor on its address would). `pulumi preview` and `pulumi up` fail before anything is sent,
// naming host3, both fingerprints and the rotate command; with the probes off the command plugin
// itself refuses the handshake; host3's sshd accepted no login meanwhile. The documented command
// rotates the pin, and the next `up` works. Host3's keys are put back in an `after` hook.
// A stack of its own (host3 only, daemon part) on a throwaway backend; the real CLI and plugins.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fingerprint } from "../../components/common/host-keys";
import { SANDBOX_DIR, sandbox, ssh } from "../contract/lib";
import { ROOT, loadEngineEnv } from "./lib";

const HOST = "host3";
const STACK = "trust-hostkeys";
const FILE = path.join(ROOT, "stacks", `Pulumi.${STACK}.yaml`);
const ETC_SSH = path.join(SANDBOX_DIR, "hosts", HOST, "root", "etc", "ssh");
const DAEMON_JSON = path.join(SANDBOX_DIR, "hosts", HOST, "root", "etc", "docker", "daemon.json");
const KEY_FILES = ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub", "ssh_host_ecdsa_key", "ssh_host_ecdsa_key.pub"];

/** A child with a limit: nothing here may hang. */
function run(cmd: string, args: string[], o: { timeoutMs: number; env?: NodeJS.ProcessEnv; input?: string }): { code: number; out: string } {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: o.env ?? process.env, input: o.input, timeout: o.timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}\n${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}` };
}
const pulumi = (args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env) =>
    run("pulumi", [...args, "--stack", STACK, "--non-interactive", "--color", "never"], { timeoutMs, env });

/** Runs a command inside host3's namespaces from this side (no ssh: nothing must log in while its keys are changed). */
function onHost3(cmd: string[]): { code: number; out: string } {
    const pid = fs.readFileSync(path.join(SANDBOX_DIR, "hosts", HOST, "nspawn.pid"), "utf8").trim();
    const leader = run("pgrep", ["-P", pid], { timeoutMs: 5000 }).out.trim().split("\n")[0];
    return run("nsenter", ["-t", leader, "-a", ...cmd], { timeoutMs: 30000 });
}
const reloadSshd = () => {
    const r = onHost3(["systemctl", "reload", "ssh.service"]);
    assert.strictEqual(r.code, 0, `reload sshd on ${HOST}: ${r.out}`);
};
const pubKey = () => fs.readFileSync(path.join(ETC_SSH, "ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
const daemonJson = () => (fs.existsSync(DAEMON_JSON) ? fs.readFileSync(DAEMON_JSON, "utf8") : "absent");

describe("e2e trust: a host presenting another SSH host key", function () {
    this.timeout(600000);
    let saved = "";
    let pinned = "";
    let impostor = "";
    let changedAt = 0;
    let rotatedAt = 0;
    let destroyed = false;
    const logs: string[] = [];

    before(() => {
        const sb = sandbox();
        loadEngineEnv();
        const h = sb.hosts.find((x) => x.name === HOST)!;
        // host3 without dockfleet files (what a parked main job or an earlier suite left)
        const clean = ssh(HOST, "bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh restore --host host3 >/dev/null 2>&1; rm -rf /var/lib/dockfleet; rm -f /etc/docker/daemon.json /etc/systemd/system/docker.service.d/*.conf; systemctl daemon-reload; systemctl is-active -q docker || systemctl restart docker", "", 120000);
        assert.strictEqual(clean.code, 0, clean.stderr);
        pinned = pubKey();
        assert.strictEqual(h.hostKey, pinned, "sandbox.json pins host3's own key");
        fs.writeFileSync(FILE, [
            "# test/e2e/trust-hostkeys.test.ts: host3 alone, its key pinned by the sandbox's known_hosts",
            "config:",
            "  dockfleet:hosts:",
            `    - {name: ${HOST}, address: ${h.address}, role: none}`,
            "  dockfleet:ssh:",
            `    privateKeyPath: ${sb.sshKeyPath}`,
            `    knownHostsPath: ${path.join(SANDBOX_DIR, "ssh", "known_hosts")}`,
            "  dockfleet:engineVersion: \"20.10\"",
            "  dockfleet:daemon:",
            "    labels: {dockfleet.trust: \"1\"}",
            "  dockfleet:rollout:",
            `    smokeImage: ${sb.images.busybox}`,
            "    restartTimeoutSeconds: 60",
            "    execStart: /usr/sbin/dockerd --containerd=/run/containerd/containerd.sock",
            "    probeReuseSeconds: 0",
            "  dockfleet:parts: [daemon]",
            "",
        ].join("\n"));
        const init = run("pulumi", ["stack", "init", STACK, "--secrets-provider", "passphrase", "--non-interactive"], { timeoutMs: 60000 });
        assert.strictEqual(init.code, 0, init.out);

        // the impostor: host3's keys replaced (the originals kept), sshd reloaded; from this side
        saved = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-host3-keys-"));
        for (const f of KEY_FILES) fs.copyFileSync(path.join(ETC_SSH, f), path.join(saved, f));
        for (const [f, t] of [["ssh_host_ed25519_key", "ed25519"], ["ssh_host_ecdsa_key", "ecdsa"]]) {
            fs.rmSync(path.join(ETC_SSH, f), { force: true });
            fs.rmSync(path.join(ETC_SSH, `${f}.pub`), { force: true });
            const g = run("ssh-keygen", ["-q", "-t", t, "-N", "", "-C", "impostor@host3", "-f", path.join(ETC_SSH, f)], { timeoutMs: 20000 });
            assert.strictEqual(g.code, 0, g.out);
        }
        changedAt = Math.floor(Date.now() / 1000) - 1;
        reloadSshd();
        impostor = pubKey();
        assert.notStrictEqual(impostor, pinned);
    });

    after(() => {
        try {
            // host3's own keys back, whatever happened above
            if (saved) {
                for (const f of KEY_FILES) fs.copyFileSync(path.join(saved, f), path.join(ETC_SSH, f));
                reloadSshd();
                fs.rmSync(saved, { recursive: true, force: true });
            }
        } finally {
            // the stack's state pins whichever key its last run saw: forget it, and clean host3 directly
            pulumi(["stack", "rm", "--force", "--yes"], 60000);
            if (!destroyed) ssh(HOST, "bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh restore --host host3 >/dev/null 2>&1; rm -rf /var/lib/dockfleet; rm -f /etc/docker/daemon.json; systemctl daemon-reload; systemctl is-active -q docker || systemctl restart docker", "", 120000);
            fs.rmSync(FILE, { force: true });
            console.log(`      what the user saw:\n${logs.map((l) => `        ${l}`).join("\n")}`);
        }
    });

    const expectRefusal = (out: string) => {
        assert.match(out, new RegExp(`host "${HOST}"`), out);
        assert.ok(out.includes(fingerprint(pinned)), `the pinned fingerprint ${fingerprint(pinned)} in:\n${out}`);
        assert.ok(out.includes(fingerprint(impostor)), `the presented fingerprint ${fingerprint(impostor)} in:\n${out}`);
        assert.ok(out.includes(`npm run hostkeys -- --stack ${STACK} --host ${HOST} --rotate`), out);
        assert.match(out, new RegExp(`stack "${STACK}"`));
    };
    const errorLine = (out: string) => out.split("\n").find((l) => l.includes("presented SSH host key") || l.includes("host key mismatch")) ?? out.slice(-300);

    it("pulumi preview fails, naming host3, the pinned and the presented fingerprint, and the rotate command", () => {
        const r = pulumi(["preview"], 180000);
        assert.notStrictEqual(r.code, 0, r.out);
        expectRefusal(r.out);
        logs.push(`preview: ${errorLine(r.out).trim()}`);
    });

    it("pulumi up fails the same way, and nothing reached host3 (no daemon.json)", () => {
        const r = pulumi(["up", "--yes", "--skip-preview"], 180000);
        assert.notStrictEqual(r.code, 0, r.out);
        expectRefusal(r.out);
        assert.strictEqual(daemonJson(), "absent");
    });

    it("with the probes off (DOCKFLEET_NO_DRIFT_CHECK=1), the command plugin refuses the handshake itself: up fails, nothing applied", () => {
        const r = pulumi(["up", "--yes", "--skip-preview"], 240000, { ...process.env, DOCKFLEET_NO_DRIFT_CHECK: "1" });
        assert.notStrictEqual(r.code, 0, r.out);
        assert.match(r.out, /ssh: handshake failed: ssh: host key mismatch/, r.out);
        assert.strictEqual(daemonJson(), "absent");
        logs.push(`up, probes off: ${errorLine(r.out).trim()}`);
    });

    it("npm run hostkeys --rotate pins the key host3 presents (refused without --rotate); the next up works", () => {
        const refused = run("npm", ["run", "-s", "hostkeys", "--", "--stack", STACK, "--host", HOST], { timeoutMs: 60000 });
        assert.strictEqual(refused.code, 1, refused.out);
        assert.match(refused.out, /REFUSED/);
        rotatedAt = Math.floor(Date.now() / 1000) + 1;
        const r = run("npm", ["run", "-s", "hostkeys", "--", "--stack", STACK, "--host", HOST, "--rotate"], { timeoutMs: 60000 });
        assert.strictEqual(r.code, 0, r.out);
        assert.ok(r.out.includes(`ROTATED (was ${fingerprint(pinned)}`) && r.out.includes(fingerprint(impostor)), r.out);
        logs.push(`hostkeys --rotate: ${r.out.trim().split("\n")[0]}`);
        assert.ok(fs.readFileSync(FILE, "utf8").includes(`hostKey: ${impostor}`));
        const up = pulumi(["up", "--yes", "--skip-preview"], 300000);
        assert.strictEqual(up.code, 0, up.out);
        assert.match(daemonJson(), /dockfleet.trust=1/);
        const down = pulumi(["destroy", "--yes", "--skip-preview"], 300000);
        assert.strictEqual(down.code, 0, down.out);
        destroyed = true;
        assert.strictEqual(daemonJson(), "absent", "destroy put host3's files back");
    });

    it("host3's sshd log, read after its own keys are back: no login accepted between the key change and the rotation, the refused handshakes are there", () => {
        for (const f of KEY_FILES) fs.copyFileSync(path.join(saved, f), path.join(ETC_SSH, f));
        reloadSshd();
        const r = ssh(HOST, `journalctl -u ssh.service --since @${changedAt} --until @${rotatedAt} --no-pager -o short-unix`, "", 60000);
        assert.strictEqual(r.code, 0, r.stderr);
        const lines = r.stdout.split("\n").filter(Boolean);
        assert.deepStrictEqual(lines.filter((l) => /Accepted (publickey|password)|session opened/.test(l)), [], r.stdout);
        // the probe, ssh-keyscan and the plugin did reach the impostor, and left before logging in
        assert.ok(lines.some((l) => /\[preauth\]|Connection closed by .* port \d+|Received disconnect/.test(l)), r.stdout);
        logs.push(`host3 sshd, key change → rotation: ${lines.length} lines, none accepted a login`);
    });
});
