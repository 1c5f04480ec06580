// Contract (issue 28, CIS Docker 7.6): swarm autolock on the sandbox's 3-manager swarm. A manager
// restarted by the apply comes back locked; the apply unlocks it with the key from the secret
// stdin bundle (never an argument: `ps` on the host is sampled during the apply), then waits for
// it to be Ready. Without the key the apply refuses before writing anything. Autolock is turned off
// again in `after`, whatever happened.
import * as assert from "assert";
import { renderUnlockKeyEntry } from "../../components/docker-host/autolock";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { hardenedDaemon } from "../../components/docker-host/cis";
import { DaemonConfig, restartDigest } from "../../components/docker-host/daemon-config";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { Run, fileSha, health, hostFiles, sandbox, settledSwarm, sh, ssh, sshAsync } from "./lib";

const HOST = "host2";
const MANAGERS = ["host1", "host2", "host3"];

/** push() with the unlock key appended to the secret stdin bundle, as DockerHost sends it. */
function pushWithKey(daemon: DaemonConfig, key: string | undefined): Run {
    const [pub, secret] = hostFiles(daemon);
    const cmd = renderApplyCommand("apply", { host: HOST, restartTimeoutSeconds: 60, smokeImage: sandbox().images.busybox, reloadDigest: restartDigest(daemon) }, renderBundle(pub));
    return ssh(HOST, cmd, renderBundle(secret) + (key ? renderUnlockKeyEntry(key) : ""));
}

describe("contract: swarm autolock, a restarted manager unlocked by the apply", function () {
    this.timeout(600000);
    let key = "";

    before(() => {
        settledSwarm();
        sh("host1", "docker swarm update --autolock=true >/dev/null");
        key = sh("host1", "docker swarm unlock-key -q");
        assert.match(key, /^SWMKEY-1-/);
    });
    after(() => {
        // put back: the host's original files (the restart may lock it: the key on stdin), then
        // autolock off, then any manager still locked unlocked
        const restoreCmd = renderApplyCommand("restore", { host: HOST, restartTimeoutSeconds: 60, smokeImage: sandbox().images.busybox });
        const r = ssh(HOST, restoreCmd, key ? renderUnlockKeyEntry(key) : "");
        for (const h of MANAGERS) {
            if (ssh(h, "docker info --format '{{.Swarm.LocalNodeState}}'").stdout.trim() === "locked" && key) ssh(h, "docker swarm unlock", `${key}\n`);
        }
        const off = ssh("host1", "docker swarm update --autolock=false >/dev/null");
        settledSwarm();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(off.code, 0, off.stderr);
    });

    it("without the key: refused before anything is written, naming the missing key", () => {
        const before = fileSha(HOST, DAEMON_JSON_PATH);
        const r = pushWithKey(hardenedDaemon({ labels: { "dockfleet.contract": "autolock-nokey" } }), undefined);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /the swarm is autolocked and no unlock key was given: .*dockfleet:swarmUnlockKey; nothing changed/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), before);
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
    });

    it("with the key on stdin: dockerd restarts, the manager is unlocked and Ready; the key is in no process's arguments", async () => {
        // an unprivileged observer's view: ps shows every process's arguments to every user
        const sampler = sshAsync(HOST, "end=$((SECONDS + 90)); while [ $SECONDS -lt $end ]; do su nobody -s /bin/sh -c 'ps -eo args' 2>/dev/null; [ -f /tmp/df-autolock-stop ] && break; sleep 0.05; done; rm -f /tmp/df-autolock-stop");
        const r = pushWithKey(hardenedDaemon({ labels: { "dockfleet.contract": "autolock" }, logLevel: "info" }), key);
        ssh(HOST, "touch /tmp/df-autolock-stop");
        const seen = await sampler.done;
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^dockfleet-apply: restarted$/m);
        assert.match(sh(HOST, "tail -50 /var/lib/dockfleet/daemon-config/apply.log"), /swarm manager unlocked/, "the manager came back locked and the apply unlocked it");
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        assert.ok(seen.stdout.split("\n").length > 50, `the sampler saw too little: ${seen.stdout.length} bytes`);
        assert.ok(!seen.stdout.includes(key), "the unlock key appeared in a process's arguments");
        assert.ok(!r.stderr.includes(key) && !r.stdout.includes(key), "the unlock key is in the apply's output");
        // the key goes to grep as a pattern file, so this check puts it on no command line either
        const scan = ssh(HOST, "k=$(mktemp); cat >\"$k\"; grep -rlF -f \"$k\" /var/lib/dockfleet /etc/docker /etc/systemd/system 2>/dev/null; " +
            "echo journal: $(journalctl --since '-5 min' --no-pager -o cat | grep -cF -f \"$k\"); rm -f \"$k\"", `${key}\n`);
        assert.strictEqual(scan.stdout.trim(), "journal: 0", "the key is in a file or the journal");
    });
});
