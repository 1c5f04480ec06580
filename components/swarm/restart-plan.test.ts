import * as assert from "assert";
import { LiveService, LiveTask, PlanHost, planRestarts, serviceFloors } from "./restart-plan";

const host = (name: string, manager = false): PlanHost => ({ name, nodeId: `n-${name}`, manager });
const svc = (name: string, replicas: number, extra: Partial<LiveService> = {}): LiveService => ({ id: `s-${name}`, name, mode: "replicated", replicas, stack: "", ...extra });
const tasks = (service: string, ...nodes: string[]): LiveTask[] => nodes.map((n) => ({ serviceId: `s-${service}`, nodeId: `n-${n}`, running: true }));

describe("restart plan from the live swarm (planRestarts)", () => {
    it("3 managers: one manager per batch (quorum), whatever the services", () => {
        const p = planRestarts({ hosts: [host("m1", true), host("m2", true), host("m3", true)], services: [], tasks: [] });
        assert.deepStrictEqual(p.batches, [["m1"], ["m2"], ["m3"]]);
        assert.match(p.reasons[0], /1 of 3 managers \(at most 1 at once for quorum\)/);
    });

    it("the raft leader restarts last, so the swarm elects once; the other batches keep their order", () => {
        const leader = (name: string): PlanHost => ({ ...host(name, true), leader: true });
        const p = planRestarts({ hosts: [leader("m1"), host("m2", true), host("m3", true)], services: [], tasks: [] });
        assert.deepStrictEqual(p.batches, [["m2"], ["m3"], ["m1"]]);
        assert.match(p.reasons[2], /^batch 3 = m1: 1 of 3 managers .*; m1 is the raft leader: last, so the swarm elects once/);
        assert.doesNotMatch(p.reasons[0], /leader/);
        assert.deepStrictEqual(planRestarts({ hosts: ["a", "b", "c", "d", "e"].map((n) => (n === "c" ? leader(n) : host(n, true))), services: [], tasks: [] }).batches, [["a", "b"], ["d", "e"], ["c"]]);
        // a sole manager that leads: no other majority to elect, so config order as before
        const sole = [leader("m1"), ...["w1", "w2", "w3", "w4", "w5"].map((n) => host(n))];
        const services = [svc("web", 3), svc("api", 2), { ...svc("agent", 0), mode: "global" as const }, svc("nohc", 1)];
        const t = [...tasks("web", "w1", "w2", "w3"), ...tasks("api", "w1", "w4"), ...tasks("agent", "m1", "w1", "w2", "w3", "w4", "w5"), ...tasks("nohc", "w5")];
        const one = planRestarts({ hosts: sole, services, tasks: t });
        assert.deepStrictEqual(one.batches, [["m1", "w1", "w5"], ["w2", "w4"], ["w3"]]);
        assert.doesNotMatch(one.reasons.join("\n"), /raft leader/);
        // 3 managers (m2, m3 followers) and the same workers: the leader's batch goes last
        const hosts = [leader("m1"), host("m2", true), host("m3", true), ...["w1", "w2", "w3", "w4", "w5"].map((n) => host(n))];
        const q = planRestarts({ hosts, services, tasks: t });
        assert.deepStrictEqual(q.batches, [["m2", "w1", "w5"], ["m3", "w2", "w4"], ["w3", "m1"]]);
        // the same floors as without the leader rule: order does not change what a batch takes down
        const floors = serviceFloors({ hosts, services, tasks: t });
        for (const b of q.batches) {
            for (const s of services.filter((x) => x.mode === "replicated")) {
                const left = t.filter((x) => x.serviceId === s.id && !b.some((h) => `n-${h}` === x.nodeId)).length;
                assert.ok(left >= floors[s.name], `${s.name} keeps ${left} ≥ ${floors[s.name]} in ${b}`);
            }
        }
    });

    it("5 managers: two at once", () => {
        const p = planRestarts({ hosts: ["a", "b", "c", "d", "e"].map((n) => host(n, true)), services: [], tasks: [] });
        assert.deepStrictEqual(p.batches, [["a", "b"], ["c", "d"], ["e"]]);
    });

    it("1 manager + 5 workers with a mix of services: the largest batches that keep each floor", () => {
        const hosts = [host("m1", true), ...["w1", "w2", "w3", "w4", "w5"].map((n) => host(n))];
        const services = [svc("web", 3), svc("api", 2), { ...svc("agent", 0), mode: "global" as const }, svc("nohc", 1)];
        const t = [...tasks("web", "w1", "w2", "w3"), ...tasks("api", "w1", "w4"), ...tasks("agent", "m1", "w1", "w2", "w3", "w4", "w5"), ...tasks("nohc", "w5")];
        const p = planRestarts({ hosts, services, tasks: t });
        // web (3, 1 down) and api (2, 1 down): w1 runs both, so it cannot share with w2, w3 or w4;
        // nohc has one replica: 1 − 1 = floor 0, so w5 may go with anyone
        assert.deepStrictEqual(p.batches, [["m1", "w1", "w5"], ["w2", "w4"], ["w3"]]);
        // every batch keeps every floor
        const floors = serviceFloors({ hosts, services, tasks: t });
        for (const b of p.batches) {
            for (const s of services.filter((x) => x.mode === "replicated")) {
                const left = t.filter((x) => x.serviceId === s.id && !b.some((h) => `n-${h}` === x.nodeId)).length;
                assert.ok(left >= floors[s.name], `${s.name} keeps ${left} ≥ ${floors[s.name]} in ${b}`);
            }
        }
        assert.match(p.reasons[0], /web 2\/3 running \(floor 2\)/);
    });

    it("hosts without tasks go together; batchSize is an upper bound", () => {
        const hosts = ["w1", "w2", "w3", "w4"].map((n) => host(n));
        assert.deepStrictEqual(planRestarts({ hosts, services: [], tasks: [] }).batches, [["w1", "w2", "w3", "w4"]]);
        assert.deepStrictEqual(planRestarts({ hosts, services: [], tasks: [], batchSize: 3 }).batches, [["w1", "w2", "w3"], ["w4"]]);
        assert.match(planRestarts({ hosts, services: [], tasks: [] }).reasons[0], /no replicated tasks/);
    });

    it("maxUnavailable from the service label, else its stack, else the default", () => {
        const hosts = ["w1", "w2", "w3", "w4"].map((n) => host(n));
        const t = tasks("web", "w1", "w2", "w3", "w4");
        assert.deepStrictEqual(planRestarts({ hosts, services: [svc("web", 4)], tasks: t }).batches, [["w1"], ["w2"], ["w3"], ["w4"]]);
        assert.deepStrictEqual(planRestarts({ hosts, services: [svc("web", 4)], tasks: t, maxUnavailable: 2 }).batches, [["w1", "w2"], ["w3", "w4"]]);
        assert.deepStrictEqual(planRestarts({ hosts, services: [svc("web", 4, { stack: "shop" })], tasks: t, stackMaxUnavailable: { shop: 3 } }).batches, [["w1", "w2", "w3"], ["w4"]]);
        assert.deepStrictEqual(planRestarts({ hosts, services: [svc("web", 4, { stack: "shop", maxUnavailable: 4 })], tasks: t, stackMaxUnavailable: { shop: 3 } }).batches, [["w1", "w2", "w3", "w4"]]);
    });

    it("a degraded service (fewer running than replicas) restarts its hosts one at a time; a stopped task does not count", () => {
        const hosts = ["w1", "w2", "w3"].map((n) => host(n));
        const t = [...tasks("web", "w1", "w2"), { serviceId: "s-web", nodeId: "n-w3", running: false }];
        // 2 of 3 running, floor 2: no running web task may go down with another host's
        const p = planRestarts({ hosts, services: [svc("web", 3)], tasks: t });
        assert.deepStrictEqual(p.batches, [["w1", "w3"], ["w2"]]);
    });

    it("a host outside the swarm has no tasks and no vote", () => {
        const p = planRestarts({ hosts: [host("m1", true), { name: "plain", manager: false }, host("m2", true), host("m3", true)], services: [], tasks: [] });
        assert.deepStrictEqual(p.batches, [["m1", "plain"], ["m2"], ["m3"]]);
    });
});
