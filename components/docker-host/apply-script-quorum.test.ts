// The apply script's raft quorum check before a manager restarts (issue 30: a manager lost
// mid-rollout); fake dockerd/systemctl, harness in test/support/apply-host.ts.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { mkEnv, DJ, daemon, run, exists, calls } from "../../test/support/apply-host";

/** A swarm node whose `docker node ls --filter role=manager` answers `managers` ("" = a worker). */
function swarmHost(managers: string[] | "worker") {
    const env = mkEnv();
    fs.writeFileSync(path.join(env.fake, "swarm"), "");
    if (managers === "worker") fs.writeFileSync(path.join(env.fake, "worker"), "");
    else fs.writeFileSync(path.join(env.fake, "managers"), managers.map((m) => `${m}\n`).join(""));
    return env;
}
const restarted = (c: string) => /systemctl restart docker/.test(c);

describe("apply-docker-config.sh: raft quorum before a manager restarts (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("refuses to restart a manager when another one is lost and the rest would not keep quorum; names the lost ones; writes nothing", () => {
        const env = swarmHost(["testhost Reachable", "host2 Unreachable", "host3 Leader"]);
        const r = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /ERROR: restarting this manager would lose the swarm's raft quorum: 1 of 3 managers reachable while it restarts, 2 needed; managers lost: host2 \(unreachable\); bring them back \(or remove them from the swarm\) and run pulumi up again; nothing changed\n/);
        assert.ok(!exists(env, DJ), "daemon.json not written");
        assert.ok(!restarted(calls(env)), "dockerd not restarted");
    });

    it("a manager status docker leaves empty counts as lost (unknown)", () => {
        const env = swarmHost(["testhost Leader", "host2", "host3 Unreachable"]);
        const r = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /0 of 3 managers reachable while it restarts, 2 needed; managers lost: host2 \(unknown\), host3 \(unreachable\);/);
    });

    it("a manager with no status yet (just promoted, an election) is asked again: once it is Reachable the manager restarts; if it never settles, refused after the restart timeout (at most 30 s)", () => {
        const env = swarmHost(["testhost Leader", "host2", "host3 Reachable"]);
        fs.writeFileSync(path.join(env.fake, "managers.after"), "testhost Leader\nhost2 Reachable\nhost3 Reachable\n");
        const r = run(env, "apply", { public: [daemon()] });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(restarted(calls(env)), "restarted once host2 was Reachable");
        const never = swarmHost(["testhost Leader", "host2", "host3 Reachable"]);
        const n = run(never, "apply", { public: [daemon()], args: ["--restart-timeout", "3"] });
        assert.strictEqual(n.code, 1, n.stderr);
        assert.match(n.stderr, /1 of 3 managers reachable while it restarts, 2 needed; managers lost: host2 \(unknown\);/);
        assert.ok(!restarted(calls(never)), "not restarted");
    });

    it("restarts when the others keep quorum: 3 managers all reachable, 5 with one lost", () => {
        for (const managers of [["testhost Leader", "host2 Reachable", "host3 Reachable"], ["testhost Reachable", "h2 Leader", "h3 Reachable", "h4 Reachable", "h5 Unreachable"]]) {
            const env = swarmHost(managers);
            const r = run(env, "apply", { public: [daemon()] });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.ok(restarted(calls(env)), `${managers.join(", ")}: restarted`);
        }
    });

    it("1 or 2 managers all reachable restart (no quorum survives any manager's restart there); a worker is not asked", () => {
        for (const managers of [["testhost Leader"], ["testhost Leader", "host2 Reachable"]]) {
            const r = run(swarmHost(managers), "apply", { public: [daemon()] });
            assert.strictEqual(r.code, 0, `${managers.join(", ")}: ${r.stderr}`);
        }
        const worker = swarmHost("worker");
        assert.strictEqual(run(worker, "apply", { public: [daemon()] }).code, 0);
        assert.doesNotMatch(calls(worker), /docker node ls/);
    });
});
