// The combined host probe: its command runs in a shell as one round trip and its output splits back
// into the swarm probe and the drift status. ssh and docker are fakes on PATH here (the command
// runs locally under bash); the real hosts run it in test/e2e (swarm, drift).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LoadedConfig } from "./load";
import { STATUS_SEPARATOR, observeHosts, probeCommand, splitProbeOutput } from "./observe";

describe("combined host probe (config/observe.ts)", () => {
    it("splits a combined output at the separator line; no separator is undefined", () => {
        assert.deepStrictEqual(splitProbeOutput(`hostname h1\nswarm active a b true\n${STATUS_SEPARATOR}\nin-sync\n`), { swarm: "hostname h1\nswarm active a b true", status: "in-sync\n" });
        assert.strictEqual(splitProbeOutput("hostname h1\nin-sync\n"), undefined);
        assert.match(probeCommand(true, true), new RegExp(`echo '${STATUS_SEPARATOR}'`));
        assert.doesNotMatch(probeCommand(false, true), /docker info/);
        assert.doesNotMatch(probeCommand(true, false), /apply-docker-config.sh status/);
    });

    it("asks each host once, swarm members for both, others for drift only; an unreachable host is unknown/unreachable", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-observe-"));
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // ssh: log the target, fail for 10.0.0.9, else run the command here
        fs.writeFileSync(path.join(bin, "ssh"), `#!/bin/bash\ntarget=\${@: -2:1}\necho "$target" >> "${dir}/calls"\n[ "$target" = root@10.0.0.9 ] && { echo "ssh: connect to host 10.0.0.9 port 22: No route to host" >&2; exit 255; }\nexec bash -c "\${@: -1}"\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "docker"), `#!/bin/bash\ncase "$*" in *LocalNodeState*) echo "swarm active n1 c1 false" ;; *) echo false ;; esac\n`, { mode: 0o755 });
        const cfg = {
            stack: "t",
            config: { hosts: [{ name: "m1", address: "10.0.0.1", role: "manager" }, { name: "d1", address: "10.0.0.2" }, { name: "gone", address: "10.0.0.9", role: "worker" }], ssh: {} },
            secrets: { sshPrivateKey: "KEY" },
            parts: new Set(["daemon", "swarm"]),
        } as unknown as LoadedConfig;
        const oldPath = process.env.PATH;
        process.env.PATH = `${bin}:${oldPath}`;
        try {
            const o = await observeHosts(cfg, true, true);
            assert.deepStrictEqual(fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter(Boolean).sort(), ["root@10.0.0.1", "root@10.0.0.2", "root@10.0.0.9"]);
            assert.deepStrictEqual(Object.keys(o.swarm!).sort(), ["gone", "m1"]);
            assert.strictEqual(o.swarm!.m1.state, "active");
            assert.strictEqual(o.swarm!.m1.nodeId, "n1");
            assert.strictEqual(o.swarm!.gone.reachable, false);
            assert.match(o.swarm!.gone.reason!, /No route to host/);
            // no apply script was ever installed here: unmanaged
            assert.deepStrictEqual(o.drift!.m1, { kind: "unmanaged" });
            assert.deepStrictEqual(o.drift!.d1, { kind: "unmanaged" });
            assert.strictEqual(o.drift!.gone.kind, "unknown");
            assert.deepStrictEqual(await observeHosts(cfg, false, false), {});
        } finally {
            process.env.PATH = oldPath;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("restart plan from the observation (config/program.ts restartPlan)", () => {
    it("maps each host to its node, counts the swarm's managers, reads maxUnavailable per stack; no manager answer: no plan", async () => {
        const { restartPlan } = await import("./program");
        const cfg = {
            stack: "t",
            config: {
                hosts: [{ name: "m1", address: "10.0.0.1", role: "manager" }, { name: "w1", address: "10.0.0.2", role: "worker" }, { name: "w2", address: "10.0.0.3", role: "worker" }, { name: "solo", address: "10.0.0.4" }],
                rollout: {},
                stacks: { shop: { maxUnavailable: 2 } },
            },
            parts: new Set(["daemon"]),
        } as unknown as LoadedConfig;
        const node = (id: string, role: string) => ({ id, hostname: id, role, availability: "active", labels: {}, state: "ready" });
        const observed = {
            swarm: {
                m1: { reachable: true, markers: {}, state: "active", nodeId: "N1", isManager: true, nodes: [node("N1", "manager"), node("N2", "worker"), node("N3", "worker")] },
                w1: { reachable: true, markers: {}, state: "active", nodeId: "N2", isManager: false },
                w2: { reachable: true, markers: {}, state: "active", nodeId: "N3", isManager: false },
            },
            live: {
                from: "m1",
                services: [{ id: "S1", name: "shop_web", mode: "replicated" as const, replicas: 2, stack: "shop" }],
                tasks: [{ serviceId: "S1", nodeId: "N2", running: true }, { serviceId: "S1", nodeId: "N3", running: true }],
            },
        };
        // shop allows 2 down: w1 and w2 may go together; the single manager may join them; solo too
        assert.deepStrictEqual(restartPlan(cfg, observed as never)!.batches, [["m1", "w1", "w2", "solo"]]);
        (cfg.config as any).stacks = {};
        assert.deepStrictEqual(restartPlan(cfg, observed as never)!.batches, [["m1", "w1", "solo"], ["w2"]]);
        (cfg.config as any).rollout = { batchSize: 2 };
        assert.deepStrictEqual(restartPlan(cfg, observed as never)!.batches, [["m1", "w1"], ["w2", "solo"]]);
        assert.strictEqual(restartPlan(cfg, { swarm: observed.swarm } as never), undefined);
    });
});
