// The combined host probe: its command runs in a shell as one round trip and its output splits back
// into the swarm probe and the drift status. ssh and docker are fakes on PATH here (the command
// runs locally under bash); the real hosts run it in test/e2e (swarm, drift).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LoadedConfig } from "./load";
import { STATUS_SEPARATOR, observeHosts, probeCommand, splitProbeOutput } from "./observe";
import { withFakes } from "../test/support/fake-path";
import { testHostKey } from "../test/support/host-key-fixtures";
import { keyedSha } from "../components/docker-host/drift";

/** A config with these hosts, the daemon and swarm parts, and a key given as text. */
const probeConfig = (hosts: { name: string; address: string; role?: string; hostKey?: string }[]) =>
    ({ stack: "t", config: { hosts: hosts.map((h) => ({ hostKey: testHostKey(h.name), ...h })), ssh: {} }, secrets: { sshPrivateKey: "KEY" }, parts: new Set(["daemon", "swarm"]) }) as unknown as LoadedConfig;

describe("combined host probe (program/observe.ts)", () => {
    it("splits a combined output at the separator line; no separator is undefined", () => {
        assert.deepStrictEqual(splitProbeOutput(`hostname h1\nswarm active a b true\n${STATUS_SEPARATOR}\nin-sync\n`), { swarm: "hostname h1\nswarm active a b true", status: "in-sync\n" });
        assert.strictEqual(splitProbeOutput("hostname h1\nin-sync\n"), undefined);
        assert.match(probeCommand(true, true), new RegExp(STATUS_SEPARATOR));
        assert.doesNotMatch(probeCommand(false, true), /docker info/);
        assert.doesNotMatch(probeCommand(true, false), /apply-docker-config.sh status/);
    });

    it("the status's one-time key goes on the ssh's stdin, never on its command line: a fresh key per host, the one the parsed status proves with", async () => {
        assert.strictEqual(probeCommand(false, true), "test -f /var/lib/dockfleet/daemon-config/apply-docker-config.sh && DOCKFLEET_STATUS_KEY=stdin bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh status || echo unmanaged");
        assert.ok(probeCommand(true, true).endsWith("<(echo '\\''--- dockfleet status'\\''; test -f /var/lib/dockfleet/daemon-config/apply-docker-config.sh && DOCKFLEET_STATUS_KEY=stdin bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh status || echo unmanaged)'"), probeCommand(true, true));
        await withFakes((dir) => ({
            // ssh: record its arguments and its stdin per host, answer as a host whose env file is root-only
            ssh: [
                "#!/bin/bash",
                "target=${@: -2:1}",
                `printf '%s\\n' "$@" > "${dir}/args-$target"`,
                `cat > "${dir}/stdin-$target"`,
                "echo in-sync",
                "echo 'applied 600 hmac:00 /etc/systemd/system/docker.service.d/http-proxy.env'",
            ].join("\n") + "\n",
        }), async (dir) => {
            const o = await observeHosts(probeConfig([{ name: "d1", address: "10.0.0.1" }, { name: "d2", address: "10.0.0.2" }]), false, true);
            const keys = ["10.0.0.1", "10.0.0.2"].map((a) => fs.readFileSync(path.join(dir, `stdin-root@${a}`), "utf8"));
            for (const k of keys) assert.match(k, /^[0-9a-f]{64}\n$/);
            assert.notStrictEqual(keys[0], keys[1], "a key per host");
            for (const [i, a] of ["10.0.0.1", "10.0.0.2"].entries()) {
                const args = fs.readFileSync(path.join(dir, `args-root@${a}`), "utf8");
                assert.ok(args.endsWith(`root@${a}\n${probeCommand(false, true)}\n`), args);
                assert.ok(!args.includes(keys[i].trim()), "the key is not in ssh's arguments");
                const st = o.drift![i === 0 ? "d1" : "d2"];
                assert.strictEqual(st.kind, "in-sync");
                assert.strictEqual(st.kind === "in-sync" && st.keyedSha!("x\n"), keyedSha(Buffer.from(keys[i].trim(), "hex"), "x\n"));
            }
            // not in the status either: the key lives in the closure only
            assert.ok(!JSON.stringify(o).includes(keys[0].trim()));
        });
    });

    it("asks each host once, swarm members for both, others for drift only; an unreachable host is unknown/unreachable", async () => {
        await withFakes((dir) => ({
            // ssh: log the target, fail for 10.0.0.9, else run the command here
            ssh: `#!/bin/bash\ntarget=\${@: -2:1}\necho "$target" >> "${dir}/calls"\n[ "$target" = root@10.0.0.9 ] && { echo "ssh: connect to host 10.0.0.9 port 22: No route to host" >&2; exit 255; }\nexec bash -c "\${@: -1}"\n`,
            docker: `#!/bin/bash\ncase "$*" in *LocalNodeState*) echo "active n1 c1 false" ;; *) echo false ;; esac\n`,
        }), async (dir) => {
            const cfg = probeConfig([{ name: "m1", address: "10.0.0.1", role: "manager" }, { name: "d1", address: "10.0.0.2" }, { name: "gone", address: "10.0.0.9", role: "worker" }]);
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
        });
    });

    it("a manager: one docker info, nodes, services and tasks side by side, the status after the separator", async () => {
        await withFakes((dir) => ({
            ssh: `#!/bin/bash\nexec bash -c "\${@: -1}"\n`,
            // every docker call logged; the node and service listings log when they start and end, so
            // their intervals overlap only if they ran side by side
            docker: [
                "#!/bin/bash",
                `echo "$1 $2" >> "${dir}/docker-calls"`,
                `span() { echo "$1 $(date +%s%N)" >> "${dir}/spans"; }`,
                'case "$1 $2" in',
                '  "info --format") echo "active n1 c1 true" ;;',
                '  "node ls") span node-start; sleep 0.3; span node-end; echo n1 ;;',
                `  "node inspect") echo 'node {"ID":"n1","Description":{"Hostname":"m1"},"Spec":{"Role":"manager","Availability":"active"},"Status":{"State":"ready"}}' ;;`,
                '  "service ls") span svc-start; sleep 0.3; span svc-end; echo s1 ;;',
                '  "service inspect") echo "svc s1 replicated 2 shop - shop_web" ;;',
                '  "service ps") echo t1 ;;',
                '  "inspect --type") echo "task s1 n1 running" ;;',
                "esac",
            ].join("\n") + "\n",
        }), async (dir) => {
            const o = await observeHosts(probeConfig([{ name: "m1", address: "10.0.0.1", role: "manager" }]), true, true);
            assert.strictEqual(o.swarm!.m1.isManager, true);
            assert.deepStrictEqual(o.swarm!.m1.nodes!.map((n) => [n.id, n.role, n.state]), [["n1", "manager", "ready"]]);
            assert.deepStrictEqual(o.live, { from: "m1", services: [{ id: "s1", mode: "replicated", replicas: 2, stack: "shop", maxUnavailable: undefined, name: "shop_web" }], tasks: [{ serviceId: "s1", nodeId: "n1", running: true }] });
            assert.deepStrictEqual(o.drift!.m1, { kind: "unmanaged" });
            const calls = fs.readFileSync(path.join(dir, "docker-calls"), "utf8").split("\n").filter(Boolean);
            assert.strictEqual(calls.filter((c) => c === "info --format").length, 1, calls.join("; "));
            const at = Object.fromEntries(fs.readFileSync(path.join(dir, "spans"), "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")).map(([k, v]) => [k, BigInt(v)]));
            assert.ok(at["node-start"] < at["svc-end"] && at["svc-start"] < at["node-end"], `the listings ran one after the other: ${JSON.stringify(Object.fromEntries(Object.entries(at).map(([k, v]) => [k, String(v)])))}`);
        });
    });
});

describe("the fleet's order in the log (program/program.ts rolloutMessage)", () => {
    it("the rollout's lines first, then the restart plan's batches; without a plan, its own header; nothing without either", async () => {
        const { rolloutMessage } = await import("./program");
        const plan = { batches: [["h1"], ["h2", "h3"]], reasons: ["batch 1 = h1: no replicated tasks", "batch 2 = h2, h3: no replicated tasks"] };
        const rollout = ["reload: h2 (canary), h3 (one wave); nothing: h1", "no command runs on h1 (as applied)"];
        assert.strictEqual(rolloutMessage(plan, rollout), 'DockerFleet "fleet" restart plan from the live swarm:\n  reload: h2 (canary), h3 (one wave); nothing: h1\n  no command runs on h1 (as applied)\n  batch 1 = h1: no replicated tasks\n  batch 2 = h2, h3: no replicated tasks');
        assert.strictEqual(rolloutMessage(plan, []), 'DockerFleet "fleet" restart plan from the live swarm:\n  batch 1 = h1: no replicated tasks\n  batch 2 = h2, h3: no replicated tasks', "probes off: the plan as before");
        assert.strictEqual(rolloutMessage(undefined, rollout), 'DockerFleet "fleet" rollout:\n  reload: h2 (canary), h3 (one wave); nothing: h1\n  no command runs on h1 (as applied)');
        assert.strictEqual(rolloutMessage(undefined, []), undefined);
    });
});

describe("restart plan from the observation (program/program.ts restartPlan)", () => {
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
        // the manager's node listing names the raft leader: with 3 managers in the swarm (two of
        // them not configured here) its batch goes last; the sole manager above stays in order
        (cfg.config as any).rollout = { batchSize: 1 };
        observed.swarm.m1.nodes[0] = { ...node("N1", "manager"), leader: true } as never;
        assert.deepStrictEqual(restartPlan(cfg, observed as never)!.batches, [["m1"], ["w1"], ["w2"], ["solo"]]);
        observed.swarm.m1.nodes.push(node("N4", "manager") as never, node("N5", "manager") as never);
        assert.deepStrictEqual(restartPlan(cfg, observed as never)!.batches, [["w1"], ["w2"], ["solo"], ["m1"]]);
    });

    it("a host presenting another key: reported with the key it presents (ssh-keyscan), the others probed as usual", async () => {
        await withFakes((dir) => ({
            // 10.0.0.2 refuses the pinned key as ssh does; ssh-keyscan reads what it presents
            ssh: `#!/bin/bash\ntarget=\${@: -2:1}\n[ "$target" = root@10.0.0.2 ] && { printf "@@@\\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\\nHost key verification failed.\\n" >&2; exit 255; }\nexec bash -c "\${@: -1}"\n`,
            "ssh-keyscan": `#!/bin/bash\necho "$*" >> "${dir}/keyscan"\necho "# 10.0.0.2:22 SSH-2.0-OpenSSH_9.2"\necho "10.0.0.2 ${testHostKey("impostor")}"\n`,
            docker: `#!/bin/bash\necho false\n`,
        }), async (dir) => {
            const o = await observeHosts(probeConfig([{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }]), false, true);
            assert.deepStrictEqual(o.hostKeys, [{ host: "b", address: "10.0.0.2", port: 22, pinned: testHostKey("b"), presented: testHostKey("impostor") }]);
            assert.strictEqual(fs.readFileSync(path.join(dir, "keyscan"), "utf8"), "-T 5 -t ed25519 -p 22 10.0.0.2\n");
            assert.deepStrictEqual(o.drift!.a, { kind: "unmanaged" });
            assert.strictEqual(o.drift!.b.kind, "unknown");
        });
    });
});
