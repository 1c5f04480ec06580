// The program's probe reuses its SSH connection (rollout.probeReuseSeconds, OpenSSH ControlPersist)
// against a real sshd on a sandbox host: the second probe rides the first one's TCP connection,
// the master that stays behind carries no program environment, and a connection the host closed
// does not make the next probe fail.
import * as assert from "assert";
import * as fs from "fs";
import { execFileSync } from "child_process";
import { sshRun, ProbeTarget } from "../../components/common/ssh";
import { sandbox, sh } from "./lib";

describe("probe connection reuse (real sshd)", function () {
    this.timeout(120000);
    const sb = sandbox();
    const host = sb.hosts[0];
    const key = fs.readFileSync(sb.sshKeyPath, "utf8");
    // the probe verifies the host's pinned key (the sandbox writes it into sandbox.json)
    if (!host.hostKey) throw new Error(`sandbox.json has no hostKey for ${host.name}: run bash test/sandbox/sandbox.sh up`);
    const target = (reuseSeconds: number): ProbeTarget => ({ host: host.address, user: "root", privateKey: key, reuseSeconds, hostKey: host.hostKey });
    /** The client side of the probe's TCP connection, as the host sees it ("address port"). */
    const clientOf = async (t: ProbeTarget) => {
        const r = await sshRun(t, 'echo "$SSH_CONNECTION"', 20000);
        assert.ok(r.ok, JSON.stringify(r));
        return r.stdout.trim().split(" ").slice(0, 2).join(" ");
    };
    const masters = () => {
        try {
            return execFileSync("pgrep", ["-f", `^ssh: .*/dockfleet-ssh-[0-9]+/.*\\[mux\\]`], { encoding: "utf8" }).split("\n").filter(Boolean);
        } catch {
            return [];
        }
    };
    const closeMasters = () => masters().forEach((p) => process.kill(Number(p)));
    before(closeMasters);
    after(closeMasters);

    it("without reuse every probe is a new connection; with it the second probe rides the first one's", async () => {
        assert.notStrictEqual(await clientOf(target(0)), await clientOf(target(0)));
        assert.deepStrictEqual(masters(), [], "no connection may stay open without reuse");
        const first = await clientOf(target(60));
        assert.strictEqual(await clientOf(target(60)), first);
        assert.strictEqual(masters().length, 1);
    });

    it("the connection left open carries no program environment (the decrypted stack config)", async () => {
        closeMasters();
        process.env.PULUMI_CONFIG = '{"dockfleet:sshPrivateKey":"PROBE-REUSE-SECRET"}';
        try {
            await clientOf(target(60));
        } finally {
            delete process.env.PULUMI_CONFIG;
        }
        const [pid] = masters();
        assert.ok(pid, "a master stays open");
        const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
        assert.doesNotMatch(env, /PULUMI_CONFIG|PROBE-REUSE-SECRET/);
        // and nothing of the key on its command line: a temp file path, deleted once ssh returned
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        assert.doesNotMatch(cmdline, /PRIVATE KEY/);
    });

    it("a connection the host closed (sshd's session killed) does not fail the next probe", async () => {
        const first = await clientOf(target(60));
        const port = first.split(" ")[1];
        // the host's sshd process serving that client port
        sh(host.name, `pid=$(ss -Htnp state established "( sport = :22 and dport = :${port} )" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2); [ -n "$pid" ] && kill "$pid"`);
        const next = await clientOf(target(60));
        assert.notStrictEqual(next, first, "a new connection");
    });
});
