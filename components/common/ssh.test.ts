// sshRun's failure reasons, with a fake `ssh` first on PATH (no host is reached).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProbeTarget, controlDir, reuseOptions as reuseOptionsOf, sshEnv, sshRun as sshRunOf } from "./ssh";
import { testHostKey } from "../../test/support/host-key-fixtures";

// every probe verifies a pinned key: the same one throughout, unless a case says otherwise
const PINNED = testHostKey("probe-test");
const sshRun = (t: ProbeTarget, command: string, ms?: number) => sshRunOf({ hostKey: PINNED, ...t }, command, ms);
const reuseOptions = (t: ProbeTarget, base?: string) => reuseOptionsOf({ hostKey: PINNED, ...t }, base);

describe("sshRun (the program's read-only probe)", function () {
    this.timeout(20000);
    let dir = "";
    let pathBefore: string | undefined;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-fakessh-"));
        process.env.DOCKFLEET_KNOWN_HOSTS_DIR = path.join(dir, "known_hosts");
        // the last argument is the remote command: "hang" sleeps, "fail" fails like ssh does
        // "stale": a reused connection whose host restarted (exit 255), fine on a new connection;
        // "args"/"env": what ssh was given
        fs.writeFileSync(
            path.join(dir, "ssh"),
            `#!/bin/bash\necho "\${!#}" >> "${dir}/calls"\n` +
                'case "${!#}" in hang) exec sleep 10 ;; fail) echo "ssh: connect to host 10.9.9.9 port 22: Connection refused" >&2; exit 255 ;;\n' +
                '  badkey) printf "@@@@@@@@@@@\\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\\nHost key for 10.9.9.9 has changed and you have requested strict checking.\\nHost key verification failed.\\n" >&2; exit 255 ;;\n' +
                '  stale) if [[ "$*" == *ControlMaster=auto* ]]; then touch "$(printf "%s\\n" "$@" | sed -n "s/^ControlPath=//p")"; echo "mux_client_request_session: session request failed: Session open refused by peer" >&2; exit 255; fi; echo "new connection" ;;\n' +
                '  args) printf "%s\\n" "$@" ;; env) env ;; *) echo "ran ${!#}" ;; esac\n',
            { mode: 0o755 },
        );
        pathBefore = process.env.PATH;
        process.env.PATH = `${dir}:${pathBefore}`;
    });
    after(() => {
        process.env.PATH = pathBefore;
        delete process.env.DOCKFLEET_KNOWN_HOSTS_DIR;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a probe that outlives its limit is killed and says so (not the whole command line)", async () => {
        const t = Date.now();
        const r = await sshRun({ host: "10.9.9.9", privateKey: "KEY" }, "hang", 400);
        assert.ok(Date.now() - t < 5000, "killed at the limit");
        assert.deepStrictEqual(r, { ok: false, reason: "no answer within 0.4 s (the probe's limit)" });
    });

    it("ssh's own error: its last stderr line; success: stdout", async () => {
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9" }, "fail", 5000), { ok: false, reason: "ssh: connect to host 10.9.9.9 port 22: Connection refused" });
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9" }, "echo", 5000), { ok: true, stdout: "ran echo\n" });
    });

    const argsOf = async (t: ProbeTarget): Promise<string[]> => {
        const r = await sshRun(t, "args", 5000);
        if (!r.ok) throw new Error(r.reason);
        return r.stdout.split("\n");
    };

    it("reuseSeconds > 0: one control socket per host, user and key in a 0700 directory of this user; 0: none", async () => {
        const a = await argsOf({ host: "10.9.9.9", privateKey: "KEY-A", reuseSeconds: 60 });
        assert.ok(a.includes("ControlMaster=auto") && a.includes("ControlPersist=60"), a.join(" "));
        // a kept connection to a host that went away must end on its own, not hold the next probe
        assert.ok(a.includes("ServerAliveInterval=2") && a.includes("ServerAliveCountMax=3"), a.join(" "));
        const cp = a.find((x) => x.startsWith("ControlPath="))!;
        assert.match(cp, /^ControlPath=.*\/dockfleet-ssh-\d+\/[0-9a-f]{24}$/);
        const st = fs.statSync(path.dirname(cp.slice("ControlPath=".length)));
        assert.strictEqual(st.mode & 0o777, 0o700);
        // another key, host, port or user never rides this connection
        for (const other of [{ privateKey: "KEY-B" }, { host: "10.9.9.8" }, { port: 2222 }, { user: "ops" }]) {
            const b = await argsOf({ host: "10.9.9.9", privateKey: "KEY-A", reuseSeconds: 60, ...other });
            assert.notStrictEqual(b.find((x) => x.startsWith("ControlPath=")), cp, JSON.stringify(other));
        }
        assert.strictEqual((await argsOf({ host: "10.9.9.9", privateKey: "KEY-A", reuseSeconds: 60 })).find((x) => x.startsWith("ControlPath=")), cp);
        for (const t of [{ host: "h", reuseSeconds: 0 }, { host: "h" }]) assert.ok(!(await argsOf(t)).some((x) => x.startsWith("Control")));
        // the key text itself is never on the command line
        assert.ok(!a.some((x) => x.includes("KEY-A")));
    });

    it("a control directory open to others, or not a directory, is not used (nothing is reused)", () => {
        const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-ctl-"));
        try {
            const d = controlDir(base)!;
            assert.ok(d && fs.statSync(d).isDirectory());
            fs.chmodSync(d, 0o755);
            assert.strictEqual(controlDir(base), undefined);
            assert.deepStrictEqual(reuseOptions({ host: "h", reuseSeconds: 60 }, base), { args: [] });
            fs.rmSync(d, { recursive: true });
            fs.symlinkSync(base, d);
            assert.strictEqual(controlDir(base), undefined);
        } finally {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });

    it("an open connection that fails (exit 255: the host closed it since) is retried once on a new connection", async () => {
        const t = { host: "10.9.9.7", reuseSeconds: 60 };
        const socket = reuseOptions(t).socket!;
        fs.rmSync(socket, { force: true });
        // the first run leaves a control socket (the fake's stand-in for the master) and fails on it
        assert.deepStrictEqual(await sshRun(t, "stale", 5000), { ok: false, reason: "mux_client_request_session: session request failed: Session open refused by peer" });
        assert.ok(fs.existsSync(socket));
        assert.deepStrictEqual(await sshRun(t, "stale", 5000), { ok: true, stdout: "new connection\n" });
        fs.rmSync(socket, { force: true });
        // no connection was open: a failure to connect is not tried twice
        const calls = path.join(dir, "calls");
        fs.rmSync(calls, { force: true });
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9", reuseSeconds: 60 }, "fail", 5000), { ok: false, reason: "ssh: connect to host 10.9.9.9 port 22: Connection refused" });
        assert.deepStrictEqual(fs.readFileSync(calls, "utf8").split("\n").filter(Boolean), ["fail"]);
    });

    it("ssh gets its own variables only, never the program's decrypted config (a reused connection outlives the program)", async () => {
        process.env.PULUMI_CONFIG = '{"dockfleet:sshPrivateKey":"SECRET-KEY-TEXT"}';
        try {
            const r = await sshRun({ host: "10.9.9.9", reuseSeconds: 60 }, "env", 5000);
            assert.ok(r.ok);
            assert.doesNotMatch(r.stdout, /PULUMI_CONFIG|SECRET-KEY-TEXT/);
            assert.match(r.stdout, /^PATH=/m);
            assert.deepStrictEqual(Object.keys(sshEnv({ PATH: "/bin", HOME: "/root", PULUMI_CONFIG: "x", AWS_SECRET_ACCESS_KEY: "y" })).sort(), ["HOME", "PATH"]);
        } finally {
            delete process.env.PULUMI_CONFIG;
        }
    });

    it("the host is verified against its pinned key (strict, its own known_hosts file); without one and without the opt-out nothing runs", async () => {
        const a = await argsOf({ host: "10.9.9.9" });
        const i = a.indexOf("StrictHostKeyChecking=yes");
        assert.ok(i > 0 && a[i - 1] === "-o", a.join(" "));
        const file = a.find((x) => x.startsWith("UserKnownHostsFile="))!.slice("UserKnownHostsFile=".length);
        assert.strictEqual(fs.readFileSync(file, "utf8"), `10.9.9.9 ${PINNED}\n`);
        assert.ok(a.includes("HostKeyAlgorithms=ssh-ed25519") && a.includes("GlobalKnownHostsFile=none"), a.join(" "));
        assert.ok(!a.some((x) => x.includes("/dev/null") || x === "StrictHostKeyChecking=no"), a.join(" "));
        const calls = path.join(dir, "calls");
        fs.rmSync(calls, { force: true });
        assert.deepStrictEqual(await sshRunOf({ host: "10.9.9.9" }, "echo", 5000), { ok: false, reason: "no pinned SSH host key for 10.9.9.9" });
        assert.ok(!fs.existsSync(calls), "ssh was not started");
        const insecure = await argsOf({ host: "10.9.9.9", hostKey: undefined, insecureIgnoreHostKey: true });
        assert.ok(insecure.includes("StrictHostKeyChecking=no") && insecure.includes("UserKnownHostsFile=none"), insecure.join(" "));
    });

    it("a host presenting another key: a failure marked hostKey, in ssh's words", async () => {
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9" }, "badkey", 5000), { ok: false, hostKey: true, reason: "the host's SSH key is not the pinned one (Host key verification failed.)" });
    });

    it("a probe trusting another key never rides a connection this key verified", async () => {
        const a = reuseOptions({ host: "10.9.9.9", reuseSeconds: 60 }).socket;
        const b = reuseOptions({ host: "10.9.9.9", reuseSeconds: 60, hostKey: testHostKey("rotated") }).socket;
        assert.ok(a && b && a !== b);
    });
});
