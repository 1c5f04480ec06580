// The membership planner, by value: validation, init/join, role changes and quorum, labels,
// availability, strangers and stale nodes, markers.
import * as assert from "assert";
import { HostObservation, ObservedNode, SwarmHost, checkQuorum, formatPlan, planSwarm, validateSwarm } from "./plan";
import { parseProbe } from "./probe";
import { renderNodeSpec } from "./commands";

const H = (name: string, role: SwarmHost["role"], extra: Partial<SwarmHost> = {}): SwarmHost => ({ name, address: `10.0.0.${name.slice(-1)}`, role, ...extra });
const node = (id: string, hostname: string, role: "manager" | "worker", extra: Partial<ObservedNode> = {}): ObservedNode => ({
    id, hostname, role, availability: "active", labels: {}, state: "ready", reachability: role === "manager" ? "reachable" : undefined, ...extra,
});
const inactive = (name: string, markers: Record<string, string> = {}): HostObservation => ({ reachable: true, hostname: name, state: "inactive", isManager: false, markers });
const member = (name: string, id: string, manager: boolean, nodes?: ObservedNode[], markers: Record<string, string> = {}): HostObservation => ({
    reachable: true, hostname: name, state: "active", nodeId: id, clusterId: manager ? "CLUSTER1" : undefined, isManager: manager, nodes: manager ? nodes : undefined, markers,
});
const errors = (issues: { severity: string; field: string; message: string }[]) => issues.filter((i) => i.severity === "error");

describe("swarm membership: validateSwarm (config alone)", () => {
    it("accepts managers and workers with labels and availability", () => {
        assert.deepStrictEqual(validateSwarm([H("h1", "manager", { labels: { zone: "a" } }), H("h2", "worker", { availability: "drain" }), H("h3", "none")]), []);
    });
    it("refuses two hosts claiming init, naming the second", () => {
        const e = errors(validateSwarm([H("h1", "manager", { swarmInit: true }), H("h2", "manager", { swarmInit: true }), H("h3", "manager")]));
        assert.strictEqual(e.length, 1);
        assert.strictEqual(e[0].field, "hosts[1].swarmInit");
        assert.match(e[0].message, /"h1" and "h2" both claim it/);
    });
    it("refuses an unknown role, a worker that inits, an unknown availability", () => {
        const e = errors(validateSwarm([H("h1", "manager"), H("h2", "boss" as never), H("h3", "worker", { swarmInit: true }), H("h4", "worker", { availability: "off" as never })]));
        assert.deepStrictEqual(e.map((x) => x.field), ["hosts[1].role", "hosts[2].swarmInit", "hosts[3].availability"]);
        assert.match(e[0].message, /"boss" must be manager, worker or none/);
    });
    it("refuses workers without any manager", () => {
        const e = errors(validateSwarm([H("h1", "worker"), H("h2", "worker")]));
        assert.strictEqual(e[0].field, "hosts");
        assert.match(e[0].message, /at least one manager/);
    });
    it("refuses labels on a host that is not a node, bad label keys and values", () => {
        const e = errors(validateSwarm([H("h1", "manager", { labels: { "-bad": "x", ok: "two words" } }), H("h2", "none", { labels: { a: "b" } })]));
        assert.deepStrictEqual(e.map((x) => x.field), ["hosts[0].labels.-bad", "hosts[0].labels.ok", "hosts[1].labels"]);
        assert.match(e[1].message, /without whitespace/);
        assert.match(e[2].message, /role none/);
    });
    it("refuses an advertise address that is not an IP", () => {
        const e = errors(validateSwarm([{ name: "h1", address: "h1.example.internal", role: "manager" }]));
        assert.strictEqual(e[0].field, "hosts[0].address");
        assert.match(e[0].message, /set advertiseAddress/);
        assert.deepStrictEqual(errors(validateSwarm([{ name: "h1", address: "h1.example.internal", role: "manager", advertiseAddress: "10.1.1.1" }])), []);
    });
    it("warns about an even number of managers", () => {
        const w = validateSwarm([H("h1", "manager"), H("h2", "manager")]);
        assert.strictEqual(w[0].severity, "warning");
        assert.match(w[0].message, /odd number/);
    });
});

describe("swarm membership: planSwarm", () => {
    const hosts = [H("h1", "manager"), H("h2", "manager"), H("h3", "worker", { labels: { zone: "a" } })];

    it("without a probe: no steps, source is the first manager", () => {
        const p = planSwarm(hosts, undefined);
        assert.strictEqual(p.source, "h1");
        assert.deepStrictEqual(p.steps, []);
        assert.strictEqual(p.observed, false);
        assert.match(formatPlan(p)[0], /not probed/);
    });

    it("from nothing: the init host inits, the others join with their role, labels after the join", () => {
        const p = planSwarm(hosts, { h1: inactive("h1"), h2: inactive("h2"), h3: inactive("h3") });
        assert.deepStrictEqual(p.issues, []);
        assert.deepStrictEqual(p.steps, [
            { op: "init", host: "h1" },
            { op: "join", host: "h2", role: "manager" },
            { op: "join", host: "h3", role: "worker" },
            { op: "labels", host: "h3", add: { zone: "a" }, remove: [] },
        ]);
        assert.deepStrictEqual(p.markers, { members: { h1: "1 init", h2: "1 join", h3: "1 join" }, nodes: "1 labels:h3" });
        assert.deepStrictEqual(formatPlan(p), ["init: h1 creates the swarm", "join: h2 as manager", "join: h3 as worker", "labels: h3 +zone=a"]);
    });

    it("swarmInit picks the init host", () => {
        const p = planSwarm([H("h1", "manager"), H("h2", "manager", { swarmInit: true })], { h1: inactive("h1"), h2: inactive("h2") });
        assert.strictEqual(p.source, "h2");
        assert.deepStrictEqual(p.steps[0], { op: "init", host: "h2" });
    });

    const swarm = (nodes: ObservedNode[], markers: Record<string, Record<string, string>> = {}) => ({
        h1: member("h1", "ID1", true, nodes, markers.h1),
        h2: member("h2", "ID2", nodes.find((n) => n.id === "ID2")?.role === "manager", nodes, markers.h2),
        h3: member("h3", "ID3", nodes.find((n) => n.id === "ID3")?.role === "manager", nodes, markers.h3),
    });

    it("in sync: no steps, every marker is the one the hosts recorded (the commands equal those in state)", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager"), node("ID3", "h3", "worker", { labels: { zone: "a" } })];
        const p = planSwarm(hosts, swarm(nodes, { h1: { member: "1 init", nodes: "1 labels:h3" }, h2: { member: "1 join" }, h3: { member: "1 join" } }));
        assert.deepStrictEqual(p.steps, []);
        assert.deepStrictEqual(p.markers, { members: { h1: "1 init", h2: "1 join", h3: "1 join" }, nodes: "1 labels:h3" });
        assert.deepStrictEqual(formatPlan(p), ["swarm: in sync (source h1)"]);
    });

    it("a hand change (label removed, node drained) bumps only the nodes marker", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager", { availability: "drain" }), node("ID3", "h3", "worker", { labels: { other: "x" } })];
        const p = planSwarm(hosts, swarm(nodes, { h1: { member: "1 init", nodes: "1 labels:h3" }, h2: { member: "1 join" }, h3: { member: "1 join" } }));
        assert.deepStrictEqual(p.steps, [
            { op: "availability", host: "h2", from: "drain", to: "active" },
            { op: "labels", host: "h3", add: { zone: "a" }, remove: ["other"] },
        ]);
        assert.deepStrictEqual(p.markers, { members: { h1: "1 init", h2: "1 join", h3: "1 join" }, nodes: "2 availability:h2,labels:h3" });
    });

    it("labels unset are left alone; labels {} clear them", () => {
        const nodes = [node("ID1", "h1", "manager", { labels: { keep: "me" } })];
        assert.deepStrictEqual(planSwarm([H("h1", "manager")], { h1: member("h1", "ID1", true, nodes) }).steps, []);
        assert.deepStrictEqual(planSwarm([H("h1", "manager", { labels: {} })], { h1: member("h1", "ID1", true, nodes) }).steps, [{ op: "labels", host: "h1", add: {}, remove: ["keep"] }]);
    });

    it("role changes: a worker promoted, a manager demoted", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "worker"), node("ID3", "h3", "manager", { labels: { zone: "a" } })];
        const p = planSwarm(hosts, swarm(nodes));
        assert.deepStrictEqual(p.steps, [{ op: "promote", host: "h2" }, { op: "demote", host: "h3" }]);
        assert.deepStrictEqual(errors(p.issues), []);
    });

    it("a new worker in an existing swarm joins; the source hands out tokens for it", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager")];
        const obs = { h1: member("h1", "ID1", true, nodes, { member: "1 init" }), h2: member("h2", "ID2", true, nodes, { member: "1 join" }), h3: inactive("h3") };
        const p = planSwarm(hosts, obs);
        assert.deepStrictEqual(p.steps.map((s) => s.op), ["join", "labels"]);
        assert.deepStrictEqual(p.markers.members, { h1: "2 tokens:h3", h2: "1 join", h3: "1 join" });
    });

    it("the source is the first configured manager that is one, when the init host is not", () => {
        const nodes = [node("ID2", "h2", "manager")];
        const p = planSwarm(hosts, { h1: inactive("h1"), h2: member("h2", "ID2", true, nodes), h3: inactive("h3") });
        assert.strictEqual(p.source, "h2");
        assert.deepStrictEqual(p.steps.map((s) => [s.op, "host" in s ? s.host : ""]), [["join", "h1"], ["join", "h3"], ["labels", "h3"]]);
    });

    it("a stale Down node of a configured host is pruned; a stranger is kept with a warning, or removed with removeNodes", () => {
        const nodes = [node("ID1", "h1", "manager"), node("OLD2", "h2", "manager", { state: "down", reachability: "unreachable" }), node("ID2", "h2", "manager"), node("ID3", "h3", "worker", { labels: { zone: "a" } }), node("X", "stranger", "worker")];
        const obs = swarm(nodes);
        const kept = planSwarm(hosts, obs);
        assert.deepStrictEqual(kept.steps, [{ op: "prune", node: "h2", id: "OLD2" }, { op: "keep", node: "stranger", id: "X" }]);
        assert.match(kept.issues.find((i) => i.severity === "warning")!.message, /"stranger".*kept \(set removeNodes: true/);
        const removed = planSwarm(hosts, obs, { removeNodes: true });
        assert.deepStrictEqual(removed.steps[1], { op: "remove", node: "stranger", id: "X", manager: false });
        assert.strictEqual(removed.markers.nodes, "1 prune:h2,remove:stranger");
    });

    it("a host that left the config (role none) is removed only with removeNodes", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager"), node("ID3", "h3", "manager")];
        const cfg = [H("h1", "manager"), H("h2", "manager"), H("h3", "none")];
        const obs = { h1: member("h1", "ID1", true, nodes), h2: member("h2", "ID2", true, nodes) };
        assert.deepStrictEqual(planSwarm(cfg, obs).steps, [{ op: "keep", node: "h3", id: "ID3" }]);
        const p = planSwarm(cfg, obs, { removeNodes: true });
        assert.deepStrictEqual(p.steps, [{ op: "remove", node: "h3", id: "ID3", manager: true }]);
        assert.deepStrictEqual(errors(p.issues), []);
    });

    it("refuses hosts in two different swarms", () => {
        const a = member("h1", "ID1", true, [node("ID1", "h1", "manager")]);
        const b = { ...member("h2", "ID2", true, [node("ID2", "h2", "manager")]), clusterId: "CLUSTER2" };
        const e = errors(planSwarm(hosts, { h1: a, h2: b, h3: inactive("h3") }).issues);
        assert.strictEqual(e.length, 1);
        assert.match(e[0].message, /different swarms/);
    });

    it("refuses a worker of a swarm whose managers are not configured, and a node of another swarm", () => {
        const w = member("h3", "W", false);
        let e = errors(planSwarm(hosts, { h1: inactive("h1"), h2: inactive("h2"), h3: w }).issues);
        assert.strictEqual(e[0].field, "hosts.h3");
        assert.match(e[0].message, /managers are not in the config/);
        e = errors(planSwarm(hosts, { ...swarm([node("ID1", "h1", "manager"), node("ID2", "h2", "manager")]), h3: w }).issues);
        assert.match(e[0].message, /another swarm/);
    });

    it("a worker in a swarm while the configured manager did not answer: a warning and no plan, not 'managers not in the config' (VM tier, 2026-12-08)", () => {
        const hosts = [H("m1", "manager"), H("w1", "worker"), H("w2", "worker")];
        const p = planSwarm(hosts, { m1: { reachable: false, reason: "no answer within 90 s (the probe's limit)", markers: {} }, w1: member("w1", "W1", false), w2: member("w2", "W2", false) });
        assert.deepStrictEqual(errors(p.issues), []);
        assert.deepStrictEqual(p.steps, []);
        const w = p.issues.find((i) => i.field === "hosts.w1");
        assert.ok(w && w.severity === "warning", JSON.stringify(p.issues));
        assert.match(w!.message, /"m1" did not answer and may be its manager: no membership plan this time/);
        // every configured manager answered and none is in that swarm: still the error
        const q = planSwarm(hosts, { m1: inactive("m1"), w1: member("w1", "W1", false), w2: inactive("w2") });
        assert.match(errors(q.issues)[0].message, /"w1" is a node of a swarm whose managers are not in the config/);
    });
    it("an unreachable host is a warning and planned as a join", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager")];
        const p = planSwarm(hosts, { h1: member("h1", "ID1", true, nodes), h2: member("h2", "ID2", true, nodes), h3: { reachable: false, reason: "Connection timed out", markers: {} } });
        assert.match(p.issues[0].message, /could not ask "h3".*Connection timed out/);
        assert.strictEqual(p.steps[0].op, "join");
    });
});

describe("swarm membership: quorum", () => {
    const three = [node("A", "h1", "manager"), node("B", "h2", "manager"), node("C", "h3", "manager")];
    it("3 reachable managers: one or two demotions one at a time keep a majority", () => {
        assert.deepStrictEqual(checkQuorum(three, [{ op: "demote", host: "h3" }], true), []);
        assert.deepStrictEqual(checkQuorum(three, [{ op: "demote", host: "h2" }, { op: "demote", host: "h3" }], true), []);
    });
    it("refuses demoting the last manager", () => {
        const e = checkQuorum([node("A", "h1", "manager")], [{ op: "demote", host: "h1" }], true);
        assert.match(e[0].message, /without a manager/);
    });
    it("refuses a demotion while another manager is unreachable (the plan loses quorum)", () => {
        const nodes = [node("A", "h1", "manager"), node("B", "h2", "manager"), node("C", "h3", "manager", { reachability: "unreachable", state: "down" })];
        const e = checkQuorum(nodes, [{ op: "demote", host: "h2" }], true);
        assert.strictEqual(e.length, 1);
        assert.match(e[0].message, /loses raft quorum: after demoting "h2" only 1 of 2 managers would be reachable \(need 2\)/);
    });
    it("a promotion first makes room for a demotion", () => {
        const nodes = [node("A", "h1", "manager"), node("B", "h2", "manager"), node("C", "h3", "manager", { reachability: "unreachable" }), node("D", "h4", "worker")];
        assert.deepStrictEqual(checkQuorum(nodes, [{ op: "promote", host: "h4" }, { op: "demote", host: "h2" }], true), []);
    });
    it("a swarm without quorum now is refused before any step", () => {
        const nodes = [node("A", "h1", "manager"), node("B", "h2", "manager", { reachability: "unreachable" }), node("C", "h3", "manager", { reachability: "unreachable" })];
        assert.match(checkQuorum(nodes, [], true)[0].message, /has lost raft quorum: 1 of 3/);
    });
    it("planSwarm reports the quorum error against the live swarm", () => {
        const nodes = [node("ID1", "h1", "manager"), node("ID2", "h2", "manager"), node("ID3", "h3", "manager", { reachability: "unreachable", state: "down" })];
        const p = planSwarm([H("h1", "manager"), H("h2", "worker"), H("h3", "manager")], {
            h1: member("h1", "ID1", true, nodes), h2: member("h2", "ID2", true, nodes), h3: { reachable: false, reason: "down", markers: {} },
        });
        assert.match(errors(p.issues)[0].message, /loses raft quorum/);
    });
});

describe("swarm membership: probe output and node specs", () => {
    it("parses a manager's probe (node JSON, markers, cluster)", () => {
        const out = [
            "hostname host1",
            "swarm active n1 c1 true",
            "marker member 1 init",
            "marker nodes 2 labels:host3",
            `node ${JSON.stringify({ ID: "n1", Description: { Hostname: "host1" }, Spec: { Role: "manager", Availability: "active", Labels: { zone: "a" } }, Status: { State: "ready" }, ManagerStatus: { Reachability: "reachable", Leader: true } })}`,
            `node ${JSON.stringify({ ID: "n2", Description: { Hostname: "host2" }, Spec: { Role: "worker", Availability: "drain", Labels: null }, Status: { State: "down" } })}`,
        ].join("\n");
        assert.deepStrictEqual(parseProbe(out), {
            reachable: true, hostname: "host1", state: "active", nodeId: "n1", clusterId: "c1", isManager: true,
            markers: { member: "1 init", nodes: "2 labels:host3" },
            nodes: [
                { id: "n1", hostname: "host1", role: "manager", availability: "active", labels: { zone: "a" }, state: "ready", reachability: "reachable", leader: true },
                { id: "n2", hostname: "host2", role: "worker", availability: "drain", labels: {}, state: "down", reachability: undefined },
            ],
        });
    });
    it("parses a host outside a swarm, and a host whose docker does not answer", () => {
        assert.deepStrictEqual(parseProbe("hostname h\nswarm inactive - - false\n"), { reachable: true, hostname: "h", state: "inactive", nodeId: undefined, clusterId: undefined, isManager: false, markers: {} });
        assert.strictEqual(parseProbe("hostname h\nswarm unreachable - - false\n").reachable, false);
        assert.strictEqual(parseProbe("garbage").reachable, false);
    });
    it("renders node specs with labels sorted, or without labels when unmanaged", () => {
        assert.strictEqual(renderNodeSpec("h3", "worker", "drain", { zone: "a", rack: "r1" }), "h3 worker drain labels rack=r1 zone=a");
        assert.strictEqual(renderNodeSpec("h3", "worker", "active", {}), "h3 worker active labels");
        assert.strictEqual(renderNodeSpec("h3", "worker", "active"), "h3 worker active");
    });
});
