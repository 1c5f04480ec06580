// Named group `extended`: `sandbox.sh up` puts a host that was recreated out of its swarm back in.
// In CI on 2026-12-08 a host of the sandbox failed to boot (its old veth still there), `up` wiped
// and rebooted it, and the two others still listed it as a manager: `npm start` then stopped on
// "managers lost: host3". Here the same state is made on purpose (`sandbox.sh recreate host3`
// wipes the host and leaves the swarm listing its old node), then `up` must bring it back: every
// host in the swarm once, three managers with a raft status, no stale node. The sandbox's own
// fixture, tested on real hosts; not a product feature.
import * as assert from "assert";
import { sandboxCmd, ssh } from "../contract/lib";

const swarmState = (h: string) => ssh(h, "docker info -f '{{.Swarm.LocalNodeState}}'").stdout.trim();
const nodes = () => ssh("host1", "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'").stdout.trim().split("\n");

describe("extended: sandbox.sh up rejoins a host recreated out of its swarm (named group, not in npm test)", function () {
    this.timeout(900000);
    before(() => sandboxCmd(["swarm"], "default"));

    it("recreate host3 leaves a stale node; up rejoins host3 and drops it", () => {
        sandboxCmd(["recreate", "host3"]);
        assert.strictEqual(swarmState("host3"), "inactive", "a recreated host has no swarm state");
        assert.ok(nodes().some((l) => l.startsWith("host3 ")), `the swarm still lists host3's old node:\n${nodes().join("\n")}`);

        sandboxCmd(["up"]);
        assert.strictEqual(swarmState("host3"), "active", "up must rejoin host3");
        const ls = nodes();
        assert.deepStrictEqual(ls.map((l) => l.split(" ")[0]).sort(), ["host1", "host2", "host3"], `each host once, no stale node:\n${ls.join("\n")}`);
        assert.ok(ls.every((l) => / Ready (Leader|Reachable)$/.test(l)), `three Ready managers with a raft status:\n${ls.join("\n")}`);
    });

    it("up leaves a swarm alone when no host is out of it (no rejoin, same node IDs)", () => {
        const ids = ssh("host1", "docker node ls -q | sort").stdout;
        sandboxCmd(["up"]);
        assert.strictEqual(ssh("host1", "docker node ls -q | sort").stdout, ids);
    });
});
