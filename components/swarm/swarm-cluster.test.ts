// SwarmCluster's resource graph under Pulumi mocks (setMocks before importing): commands, order,
// markers in the command lines, and refusals before anything is registered.
import * as assert from "assert";
import { registered as seen, latencyMs } from "../../test/support/mocks";
import { DockfleetConfigError } from "../common/issues";
import { HostObservation } from "./plan";
import { testHostKey } from "../../test/support/host-key-fixtures";

latencyMs["command:remote:Command"] = 100;

const hosts = [
    { name: "m1", address: "10.9.1.1", hostKey: testHostKey("10.9.1.1"), role: "manager" as const },
    { name: "w1", address: "10.9.1.2", hostKey: testHostKey("10.9.1.2"), role: "worker" as const, labels: { zone: "a" } },
    { name: "w2", address: "10.9.1.3", hostKey: testHostKey("10.9.1.3"), role: "worker" as const, availability: "drain" as const },
    { name: "x", address: "10.9.1.4", hostKey: testHostKey("10.9.1.4"), role: "none" as const },
];
const inactive = (h: string): HostObservation => ({ reachable: true, hostname: h, state: "inactive", isManager: false, markers: {} });

describe("SwarmCluster resource graph (mocks)", function () {
    this.timeout(20000);
    let mod: typeof import("./swarm-cluster");
    before(async () => {
        mod = await import("./swarm-cluster");
    });

    it("one member command per node, joins after the source one at a time, node settings last", async () => {
        seen.length = 0;
        const c = new mod.SwarmCluster("s1", { hosts, ssh: { privateKey: "KEY" }, observed: { m1: inactive("m1"), w1: inactive("w1"), w2: inactive("w2") } });
        await new Promise((r) => setTimeout(r, 800));
        const cmds = seen.filter((r) => r.type === "command:remote:Command");
        assert.deepStrictEqual(cmds.map((r) => r.name), ["m1-swarm", "w1-swarm", "w2-swarm", "s1-nodes"]);
        for (let i = 1; i < cmds.length; i++) assert.ok(cmds[i].at >= cmds[i - 1].resolvedAt!, `${cmds[i].name} registered before ${cmds[i - 1].name} finished`);
        const create = (n: string) => String(cmds.find((r) => r.name === n)!.inputs.create);
        assert.match(create("m1-swarm"), / 'source' '--host' 'm1' '--advertise' '10\.9\.1\.1' '--marker' '1 init'$/);
        assert.match(create("w1-swarm"), / 'join' '--host' 'w1' '--advertise' '10\.9\.1\.2' '--role' 'worker' '--managers' '10\.9\.1\.1' '--marker' '1 join'$/);
        assert.match(create("s1-nodes"), /'--node' 'm1 manager active' '--node' 'w1 worker active labels zone=a' '--node' 'w2 worker drain'$/);
        assert.match(create("s1-nodes"), /'--marker' '1 labels:w1,availability:w2'/);
        const m1 = cmds.find((r) => r.name === "m1-swarm")!.inputs;
        assert.strictEqual(m1.logging, "stderr", "the token source's stdout is never logged");
        assert.strictEqual(m1.stdin, undefined);
        assert.ok(cmds.find((r) => r.name === "w1-swarm")!.inputs.stdin !== undefined, "joins read the tokens on stdin");
        assert.deepStrictEqual(c.planText, ["init: m1 creates the swarm", "join: w1 as worker", "labels: w1 +zone=a", "join: w2 as worker", "availability: w2 active -> drain"]);
        assert.strictEqual(seen.filter((r) => r.type === "dockfleet:swarm:SwarmCluster").length, 1);
    });

    it("bad input is refused before any resource is registered, naming the resource and field", () => {
        seen.length = 0;
        assert.throws(
            () => new mod.SwarmCluster("s2", { hosts: [{ ...hosts[0], swarmInit: true }, { name: "m2", address: "10.9.1.9", hostKey: testHostKey("10.9.1.9"), role: "manager", swarmInit: true }], ssh: { privateKey: "KEY" } }),
            (e: unknown) => e instanceof DockfleetConfigError && /SwarmCluster "s2", field hosts\[1\]\.swarmInit: only one host may init/.test(e.message),
        );
        assert.strictEqual(seen.filter((r) => r.type === "command:remote:Command").length, 0);
    });

    it("a plan that loses quorum on the live swarm is refused", () => {
        const node = (id: string, h: string, r: string) => ({ id, hostname: h, role: "manager" as const, availability: "active" as const, labels: {}, state: r === "reachable" ? "ready" : "down", reachability: r });
        const nodes = [node("A", "m1", "reachable"), node("B", "m2", "reachable"), node("C", "m3", "unreachable")];
        const obs = (h: string, id: string): HostObservation => ({ reachable: true, hostname: h, state: "active", nodeId: id, clusterId: "C1", isManager: true, nodes, markers: {} });
        assert.throws(
            () => new mod.SwarmCluster("s3", {
                hosts: [{ name: "m1", address: "10.9.2.1", hostKey: testHostKey("10.9.2.1"), role: "manager" }, { name: "m2", address: "10.9.2.2", hostKey: testHostKey("10.9.2.2"), role: "worker" }, { name: "m3", address: "10.9.2.3", hostKey: testHostKey("10.9.2.3"), role: "manager" }],
                ssh: { privateKey: "KEY" },
                observed: { m1: obs("m1", "A"), m2: obs("m2", "B"), m3: { reachable: false, reason: "timeout", markers: {} } },
            }),
            /SwarmCluster "s3", field hosts: the plan loses raft quorum: after demoting "m2"/,
        );
    });
});
