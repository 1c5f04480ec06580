// Contract (issue 30, point 4): two operators at once on one host, as two stacks that name the same
// host do (each apply carries its stack's owner). The apply script's host lock lets one apply run;
// the second says whose apply it waits for, then applies; or, when that apply does not end within
// 4 x the restart timeout, fails naming it with nothing changed. Never two applies interleaved.
import * as assert from "assert";
import { DaemonConfig, restartDigest } from "../../components/docker-host/daemon-config";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { eventually, fileSha, health, hostFiles, sandbox, settledSwarm, sh, ssh, sshAsync } from "./lib";

const HOST = "host3";
const DJ = "/etc/docker/daemon.json";
const STATE = "/var/lib/dockfleet/daemon-config";
const T = 20; // restart timeout (seconds): the second apply waits up to 4 x T
const OWNERS = ["dockfleet.opa.host3", "dockfleet.opb.host3"];

const cfg = (who: string): DaemonConfig => ({ logDriver: "json-file", labels: { "dockfleet.test": `two-operators-${who}` } });

/** The product's apply command for `owner` (no reload digest: a restart, the longest apply). */
function applyCommand(owner: string, daemon: DaemonConfig, action: "apply" | "restore" = "apply", t = T): string {
    const [pub] = hostFiles(daemon);
    const o = { host: HOST, restartTimeoutSeconds: t, smokeImage: sandbox().images.busybox, owner, reloadDigest: action === "apply" ? undefined : restartDigest(daemon) };
    return renderApplyCommand(action, o, action === "apply" ? renderBundle(pub) : undefined);
}

const restartedAt = () => sh(HOST, "systemctl show -p ActiveEnterTimestampMonotonic --value docker.service");

describe(`contract: two operators at once on one host (${HOST})`, function () {
    this.timeout(600000);

    before(() => {
        settledSwarm();
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    after(() => {
        // both stacks' claims dropped: the last restore brings back the pre-dockfleet files
        for (const owner of OWNERS) {
            const r = ssh(HOST, applyCommand(owner, cfg("a"), "restore"));
            assert.strictEqual(r.code, 0, r.stderr);
        }
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("started together: the second waits, naming the first's owner, then applies after it; never interleaved", async () => {
        const logStart = Number(sh(HOST, `wc -l < ${STATE}/apply.log 2>/dev/null || echo 0`));
        const before = restartedAt();
        sh(HOST, `rm -f ${STATE}/lock-holder`);
        const a = sshAsync(HOST, applyCommand(OWNERS[0], cfg("a")));
        // the first holds the host lock (its holder line is written once it has the lock)
        await eventually(() => ssh(HOST, `grep -q '^${OWNERS[0]} apply ' ${STATE}/lock-holder`).code === 0, 60000, "the first apply holds the lock");
        const b = sshAsync(HOST, applyCommand(OWNERS[1], cfg("b")));
        const [ra, rb] = await Promise.all([a.done, b.done]);
        assert.strictEqual(ra.code, 0, ra.stderr);
        assert.strictEqual(rb.code, 0, rb.stderr);
        // what the second operator sees in pulumi's output: whose apply it waited for
        assert.match(rb.stderr, new RegExp(`waiting up to ${4 * T}s for another dockfleet apply on this host to end: ${OWNERS[0].replace(/\./g, "\\.")} apply \\(pid \\d+\\) since `));
        assert.doesNotMatch(ra.stderr, /waiting up to/);
        // the second's config is the one in place, and both restarts happened (one after the other)
        assert.match(sh(HOST, `cat ${DJ}`), /two-operators-b/);
        assert.notStrictEqual(restartedAt(), before);
        // never interleaved: in the host's log, the second takes the lock only after the first
        // applied, and between the first's lock and its end only the second's wait line appears
        const log = sh(HOST, `tail -n +${logStart + 1} ${STATE}/apply.log`).split("\n");
        const at = (re: RegExp, from = 0) => { const i = log.slice(from).findIndex((l) => re.test(l)); return i < 0 ? -1 : i + from; };
        const aLock = at(new RegExp(`lock taken: ${OWNERS[0]} apply`));
        const aDone = at(/applied \(restart\)/, aLock);
        const bLock = at(new RegExp(`lock taken: ${OWNERS[1]} apply`));
        const bDone = at(/applied \(restart\)/, bLock);
        assert.ok(aLock >= 0 && aDone > aLock && bLock > aDone && bDone > bLock, `log order (first's lock, first applied, second's lock, second applied):\n${log.join("\n")}`);
        assert.deepStrictEqual(log.slice(aLock + 1, aDone).filter((l) => /lock taken/.test(l)), [], "no other lock taken during the first apply");
        assert.strictEqual(log.slice(aLock + 1, aDone).filter((l) => /waiting up to/.test(l)).length, 1, "the second's wait, logged while the first ran");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("an apply that does not end: the second fails after 4 x its restart timeout (10 s), naming it; nothing changed", async () => {
        const sha = fileSha(HOST, DJ);
        const pidBefore = sh(HOST, "systemctl show -p MainPID --value docker.service");
        // a hung apply of the first stack, as the lock sees it: the lock held, its holder line written
        const hung = sshAsync(HOST, `exec 9>${STATE}/lock && flock 9 && echo '${OWNERS[0]} apply (pid 4242) since 2026-12-07T00:00:00Z' > ${STATE}/lock-holder && sleep 75`);
        try {
            await eventually(() => ssh(HOST, `grep -q 'pid 4242' ${STATE}/lock-holder`).code === 0, 30000, "the hung holder has the lock");
            const t0 = Date.now();
            const r = ssh(HOST, applyCommand(OWNERS[1], cfg("c"), "apply", 10));
            const waitedS = (Date.now() - t0) / 1000;
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, new RegExp(`ERROR: another dockfleet apply is still running on this host after 40s: ${OWNERS[0].replace(/\./g, "\\.")} apply \\(pid 4242\\) since 2026-12-07T00:00:00Z; nothing changed`));
            assert.ok(waitedS >= 40, `gave up after ${waitedS} s`);
            assert.strictEqual(fileSha(HOST, DJ), sha, "daemon.json unchanged");
            assert.strictEqual(sh(HOST, "systemctl show -p MainPID --value docker.service"), pidBefore, "dockerd not restarted");
        } finally {
            hung.kill();
            ssh(HOST, `pkill -f 'sleep 75' || true`);
        }
    });
});
