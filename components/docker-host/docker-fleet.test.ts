// Resource graph of DockerFleet/DockerHost under Pulumi mocks (setMocks before importing).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { registered as seen, latencyMs, mockStdout, valueOf as outputValue, isSecretOutput as isSecret } from "../../test/support/mocks";
import { testHostKey } from "../../test/support/host-key-fixtures";

// Commands take a while, like a restart does; dependents must wait for them.
latencyMs["command:remote:Command"] = 150;

/** Until every named command has registered (a serve-wait registers once its worker's apply answered). */
async function registeredAll(names: string[], ms = 5000) {
    const t = Date.now();
    while (!names.every((n) => seen.some((s) => s.name === n && s.resolvedAt !== undefined))) {
        if (Date.now() - t > ms) throw new Error(`not registered after ${ms} ms: ${names.filter((n) => !seen.some((s) => s.name === n)).join(", ")}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe("DockerFleet resource graph (mocks)", function () {
    this.timeout(20000);
    let mod: typeof import("./docker-fleet");

    before(async () => {
        mod = await import("./docker-fleet");
    });

    it("creates one DockerHost + remote Command per host, parented, in batches that wait for each other", async () => {
        seen.length = 0;
        const fleet = new mod.DockerFleet("f1", {
            hosts: [
                { name: "h1", address: "10.9.0.1", hostKey: testHostKey("10.9.0.1"), role: "manager" },
                { name: "h2", address: "10.9.0.2", hostKey: testHostKey("10.9.0.2"), role: "worker" },
                { name: "h3", address: "10.9.0.3", hostKey: testHostKey("10.9.0.3"), role: "worker" },
            ],
            ssh: { privateKey: "KEY" },
            daemon: { metricsAddr: "0.0.0.0:9323" },
            batchSize: 2,
        });
        assert.deepStrictEqual(fleet.batches, [["h1", "h2"], ["h3"]]);
        await Promise.all(fleet.hosts.map((h) => outputValue(h.applyLog)));
        await registeredAll(["h3-serve-wait"]);
        const cmds = seen.filter((s) => s.type === "command:remote:Command");
        assert.deepStrictEqual(cmds.map((c) => c.name).sort(), ["h1-apply", "h2-apply", "h2-serve-snapshot", "h2-serve-wait", "h3-apply", "h3-serve-snapshot", "h3-serve-wait"]);
        assert.strictEqual(seen.filter((s) => s.type === "dockfleet:dockerhost:DockerHost").length, 3);
        const at = (n: string) => cmds.find((c) => c.name === n)!;
        // batch 2 is registered only after every command of batch 1 has finished, the manager's wait for worker h2 included
        assert.ok(at("h3-serve-snapshot").at >= Math.max(at("h1-apply").resolvedAt!, at("h2-serve-wait").resolvedAt!), JSON.stringify(cmds.map((c) => [c.name, c.at, c.resolvedAt])));
        assert.ok(at("h3-apply").at >= at("h2-serve-wait").resolvedAt!, JSON.stringify(cmds.map((c) => [c.name, c.at, c.resolvedAt])));
        // batch 1's hosts run in parallel (worker h2's apply after the manager's snapshot for it)
        assert.ok(at("h2-serve-snapshot").at < at("h1-apply").resolvedAt!);
        const h1 = fleet.hosts[0];
        const parent = await outputValue((h1 as unknown as { __parentResource?: pulumi.Resource }).__parentResource!.urn);
        assert.match(parent, /dockfleet:dockerhost:DockerFleet::f1$/);
    });

    it("a worker's apply is framed by the manager's serve-wait: snapshot before it, wait after it, both on the manager, keyed by the apply's digest", async () => {
        seen.length = 0;
        const fleet = new mod.DockerFleet("f2", {
            hosts: [
                { name: "m1", address: "10.9.1.1", hostKey: testHostKey("10.9.1.1"), role: "manager" },
                { name: "w1", address: "10.9.1.2", hostKey: testHostKey("10.9.1.2"), role: "worker" },
                { name: "n1", address: "10.9.1.3", hostKey: testHostKey("10.9.1.3"), role: "none" },
            ],
            ssh: { privateKey: "KEY" },
            restartTimeoutSeconds: 90,
            maxUnavailable: 0,
            stackMaxUnavailable: { web: 2 },
        });
        await Promise.all(fleet.hosts.map((h) => outputValue(h.applyLog)));
        const cmds = seen.filter((s) => s.type === "command:remote:Command");
        const order = JSON.stringify(cmds.map((c) => [c.name, c.at, c.resolvedAt]));
        assert.deepStrictEqual(cmds.map((c) => c.name).sort(), ["m1-apply", "n1-apply", "w1-apply", "w1-serve-snapshot", "w1-serve-wait"], "only workers get a wait; none and manager hosts do not");
        const at = (n: string) => cmds.find((c) => c.name === n)!;
        assert.ok(at("w1-serve-snapshot").at >= at("m1-apply").resolvedAt!, order);
        assert.ok(at("w1-apply").at >= at("w1-serve-snapshot").resolvedAt!, `the apply waits for the snapshot: ${order}`);
        assert.ok(at("w1-serve-wait").at >= at("w1-apply").resolvedAt!, `the wait follows the apply: ${order}`);
        assert.ok(at("n1-apply").at >= at("w1-serve-wait").resolvedAt!, `the next batch waits for the wait: ${order}`);
        for (const n of ["w1-serve-snapshot", "w1-serve-wait"]) {
            const c = at(n).inputs.connection;
            assert.strictEqual((c.value ?? c).host, "10.9.1.1", `${n} runs on the manager`);
            assert.deepStrictEqual(at(n).inputs.triggers, [await outputValue(fleet.hosts[1].applyDigest)]);
        }
        // the snapshot refuses a restart below a service's floor (the plan's maxUnavailable); the wait names its manager
        assert.match(at("w1-serve-snapshot").inputs.create, /swarm-serve-wait 'snapshot' '--node' 'w1' '--timeout' '90' '--max-unavailable' '0' '--stack-max-unavailable' 'web=2'$/);
        assert.match(at("w1-serve-wait").inputs.create, /swarm-serve-wait 'wait' '--node' 'w1' '--timeout' '90' '--manager' 'm1'$/);
    });

    it("a watched worker leaves the task wait to the manager (--task-wait manager), whose wait learns from the apply's stdout that dockerd restarted", async () => {
        const fleet = (name: string) => new mod.DockerFleet(name, {
            hosts: [
                { name: `${name}m`, address: "10.9.3.1", hostKey: testHostKey("10.9.3.1"), role: "manager" },
                { name: `${name}w`, address: "10.9.3.2", hostKey: testHostKey("10.9.3.2"), role: "worker" },
            ],
            ssh: { privateKey: "KEY" },
        });
        const waitStdin = async (name: string) => {
            seen.length = 0;
            const f = fleet(name);
            await registeredAll([`${name}w-serve-wait`]);
            const cmds = seen.filter((s) => s.type === "command:remote:Command");
            const at = (n: string) => cmds.find((c) => c.name === n)!;
            assert.match(at(`${name}w-apply`).inputs.create, /'--task-wait' 'manager'/);
            assert.doesNotMatch(at(`${name}m-apply`).inputs.create, /--task-wait/, "a manager waits for its own tasks");
            return at(`${name}w-serve-wait`).inputs.stdin as string;
        };
        mockStdout["rsw-apply"] = "dockfleet-apply: restarted";
        mockStdout["rsw-serve-snapshot"] = "node active\nsvc web 3\ntask t1 100";
        assert.strictEqual(await waitStdin("rs"), "node active\nsvc web 3\ntask t1 100\ndockfleet-apply: restarted\n");
        mockStdout["rlw-serve-snapshot"] = "node active\nsvc web 3\ntask t1 100";
        assert.strictEqual(await waitStdin("rl"), "node active\nsvc web 3\ntask t1 100", "no restart (reload, unchanged): the snapshot alone");
    });

    it("a manager in the same batch as a worker applies only after the worker's snapshot; the batch's hosts still apply together", async () => {
        seen.length = 0;
        const fleet = new mod.DockerFleet("f3", {
            hosts: [
                { name: "m1", address: "10.9.3.1", hostKey: testHostKey("10.9.3.1"), role: "manager" },
                { name: "w1", address: "10.9.3.2", hostKey: testHostKey("10.9.3.2"), role: "worker" },
                { name: "w2", address: "10.9.3.3", hostKey: testHostKey("10.9.3.3"), role: "worker" },
            ],
            ssh: { privateKey: "KEY" },
            batches: [["m1", "w1"], ["w2"]],
        });
        await Promise.all(fleet.hosts.map((h) => outputValue(h.applyLog)));
        const cmds = seen.filter((s) => s.type === "command:remote:Command");
        const order = JSON.stringify(cmds.map((c) => [c.name, c.at, c.resolvedAt]));
        const at = (n: string) => cmds.find((c) => c.name === n)!;
        assert.ok(at("m1-apply").at >= at("w1-serve-snapshot").resolvedAt!, `the manager restarts only after the snapshot: ${order}`);
        assert.ok(at("w1-apply").at >= at("w1-serve-snapshot").resolvedAt!, order);
        assert.ok(at("m1-apply").at < at("w1-apply").resolvedAt! && at("w1-apply").at < at("m1-apply").resolvedAt!, `batch 1's applies overlap: ${order}`);
        assert.ok(at("w2-serve-snapshot").at >= Math.max(at("w1-serve-wait").resolvedAt!, at("m1-apply").resolvedAt!), `batch 2 waits for batch 1's wait and the manager: ${order}`);
    });

    it("the apply digest changes with the config (an unchanged config renders identical commands: see below)", async () => {
        const H = (await import("./docker-host")).DockerHost;
        const mk = (n: string, addr: string) => new H(n, { connection: { host: "10.9.2.1", privateKey: pulumi.secret("KEY") }, hostName: "d", daemon: { metricsAddr: addr } });
        const [a, c] = await Promise.all([mk("d1", "0.0.0.0:9323"), mk("d3", "0.0.0.0:9324")].map((h) => outputValue(h.applyDigest)));
        assert.match(a, /^[0-9a-f]{16}$/);
        assert.notStrictEqual(a, c);
    });

    it("puts daemon.json in the (public) command and the proxy credentials only in secret stdin", async () => {
        seen.length = 0;
        const host = new (await import("./docker-host")).DockerHost("px", {
            connection: { host: "10.9.0.9", privateKey: pulumi.secret("KEY") },
            daemon: { logDriver: "json-file" },
            proxy: { httpProxy: pulumi.secret("http://svc:hunter2@proxy.example:3128"), noProxy: [".corp"] },
            fleetRegistries: ["10.9.0.1:5000"],
        });
        await outputValue(host.applyLog);
        const cmd = seen.find((s) => s.type === "command:remote:Command" && s.name === "px-apply")!;
        const create: string = cmd.inputs.create;
        assert.match(create, /"log-driver": "json-file"/);
        assert.match(create, /# proxy: HTTP_PROXY=http:\/\/\*\*\*@proxy.example:3128/);
        assert.doesNotMatch(create, /hunter2/);
        assert.doesNotMatch(cmd.inputs.delete, /hunter2/);
        // stdin reaches the engine as a secret (the runtime's secret signature wraps it)
        const stdin = cmd.inputs.stdin as { [sig: string]: string; value: string };
        assert.strictEqual(stdin[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
        assert.strictEqual(stdin.value, "=== /etc/systemd/system/docker.service.d/http-proxy.env 0600\n" +
            "# Managed by dockfleet. dockerd's proxy (docker.service.d/http-proxy.conf names this file); root only.\n" +
            'HTTP_PROXY="http://svc:hunter2@proxy.example:3128"\nNO_PROXY="localhost,127.0.0.1,10.9.0.1,.corp"\n');
        // the drop-in is public: it only names the env file
        assert.match(create, /^=== \/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.conf 0644\n(#.*\n)+\n\[Service\]\nEnvironmentFile=\/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env\n/m);
    });

    it("marks stdin secret, and the connection's private key secret", async () => {
        const host = new (await import("./docker-host")).DockerHost("sec", {
            connection: { host: "10.9.0.9", privateKey: pulumi.secret("KEY") },
            proxy: { httpsProxy: pulumi.secret("http://a:b@p:1") },
        });
        const cmd = host as unknown as { __childResources?: Set<pulumi.Resource> };
        await outputValue(host.applyLog);
        const children = [...(cmd.__childResources ?? [])] as unknown as { stdin: pulumi.Output<string>; connection: pulumi.Output<unknown> }[];
        assert.strictEqual(children.length, 1);
        assert.strictEqual(await isSecret(children[0].stdin), true);
        assert.strictEqual(await isSecret(children[0].connection), true);
    });

    it("an unchanged config renders byte-identical commands (so pulumi runs nothing)", async () => {
        const { renderApplyCommand } = await import("./bundle");
        const a = renderApplyCommand("apply", { host: "h", restartTimeoutSeconds: 60, reloadDigest: "x" }, "=== /a 0644\n{}\n");
        const b = renderApplyCommand("apply", { host: "h", restartTimeoutSeconds: 60, reloadDigest: "x" }, "=== /a 0644\n{}\n");
        assert.strictEqual(a, b);
    });

    it("refuses invalid args before registering anything", async () => {
        seen.length = 0;
        assert.throws(() => new mod.DockerFleet("bad", {
            hosts: [{ name: "h1", address: "10.9.0.1", hostKey: testHostKey("10.9.0.1") }],
            ssh: { privateKey: "KEY" },
            daemon: { hosts: ["tcp://0.0.0.0:2375"] },
        }), /DockerFleet "bad", field daemon.hosts\[0\]: .*without TLS/);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepStrictEqual(seen.filter((s) => s.name.startsWith("h1")), []);
    });

    it("a drift status the program already has (driftStatus) is used without asking the host again", async () => {
        seen.length = 0;
        // 10.9.0.77 is nothing: a probe over ssh would fail and give no repair marker
        const fleet = new mod.DockerFleet("dr", {
            hosts: [{ name: "d1", address: "10.9.0.77", hostKey: testHostKey("10.9.0.77") }, { name: "d2", address: "10.9.0.78", hostKey: testHostKey("10.9.0.78") }],
            ssh: { privateKey: "KEY" },
            driftCheck: true,
            driftStatus: { d1: { kind: "drift", files: ["/etc/docker/daemon.json"], repair: "" }, d2: { kind: "in-sync", repair: "3 /etc/docker/daemon.json" } },
        });
        await Promise.all(fleet.hosts.map((h) => outputValue(h.applyLog)));
        const update = (n: string): string => seen.find((s) => s.name === n)!.inputs.update;
        assert.match(update("d1-apply"), /^# drift repair 1 \/etc\/docker\/daemon.json\n/);
        assert.match(update("d1-apply"), /'--repair' '1 \/etc\/docker\/daemon.json'/);
        assert.match(update("d2-apply"), /'--repair' '3 \/etc\/docker\/daemon.json'/);
    });

    it("delete restores by default, keeps when asked", async () => {
        seen.length = 0;
        const { DockerHost } = await import("./docker-host");
        const keep = new DockerHost("keep1", { connection: { host: "10.9.0.9" }, onDelete: "keep" });
        const restore = new DockerHost("restore1", { connection: { host: "10.9.0.9" } });
        await Promise.all([outputValue(keep.applyLog), outputValue(restore.applyLog)]);
        assert.match(seen.find((s) => s.name === "keep1-apply")!.inputs.delete, /apply-docker-config 'forget'/);
        assert.match(seen.find((s) => s.name === "restore1-apply")!.inputs.delete, /apply-docker-config 'restore'/);
    });
});

describe("DockerFleet explicit batches (a restart plan)", function () {
    this.timeout(20000);
    it("runs the given batches, batchSize still an upper bound; refuses a plan that misses or repeats a host", async () => {
        const mod = await import("./docker-fleet");
        const hosts = [{ name: "a", address: "10.9.1.1", hostKey: testHostKey("10.9.1.1") }, { name: "b", address: "10.9.1.2", hostKey: testHostKey("10.9.1.2") }, { name: "c", address: "10.9.1.3", hostKey: testHostKey("10.9.1.3") }];
        const f = new mod.DockerFleet("planned", { hosts, ssh: { privateKey: "KEY" }, batches: [["c", "a", "b"]] });
        assert.deepStrictEqual(f.batches, [["c", "a", "b"]]);
        const g = new mod.DockerFleet("planned2", { hosts, ssh: { privateKey: "KEY" }, batches: [["c", "a", "b"]], batchSize: 2 });
        assert.deepStrictEqual(g.batches, [["c", "a"], ["b"]]);
        // let both fleets finish registering here, not during a later file's graph test
        await Promise.all([...f.hosts, ...g.hosts].map((h) => outputValue(h.applyLog)));
        assert.throws(() => new mod.DockerFleet("bad1", { hosts, ssh: { privateKey: "KEY" }, batches: [["a", "b"]] }), /field batches: leaves hosts out .*: c/);
        assert.throws(() => new mod.DockerFleet("bad2", { hosts, ssh: { privateKey: "KEY" }, batches: [["a", "b"], ["b", "c"]] }), /field batches: names a host more than once: b/);
        assert.throws(() => new mod.DockerFleet("bad3", { hosts, ssh: { privateKey: "KEY" }, batches: [["a", "b", "c", "x"]] }), /field batches: names hosts that are not in the fleet: x/);
    });
});

describe("batchGate (what a batch's applies wait for)", function () {
    it("is a concrete array the SDK's option merging keeps as is, its snapshot promises resolved by open()", async () => {
        const { batchGate } = await import("./docker-fleet");
        const prev = new pulumi.ComponentResource("test:gate:Prev", "gate-prev");
        const snap = new pulumi.ComponentResource("test:gate:Snap", "gate-snap");
        const g = batchGate([prev], 1);
        assert.ok(Array.isArray(g.dependsOn));
        assert.strictEqual(g.dependsOn.length, 2);
        // A promise of the whole array would come back as an Output whose value the SDK walks,
        // resource graph included, on every wrap (the quadratic 500-host program).
        const merged = pulumi.mergeOptions({}, { dependsOn: g.dependsOn }).dependsOn;
        assert.ok(Array.isArray(merged) && !pulumi.Output.isInstance(merged), "mergeOptions must keep the gate an array");
        assert.ok(pulumi.Output.isInstance(pulumi.mergeOptions({}, { dependsOn: Promise.resolve([prev]) }).dependsOn), "control: a promised array is wrapped");
        assert.strictEqual(g.unopened(), 1);
        g.open(snap);
        assert.strictEqual(g.unopened(), 0);
        assert.deepStrictEqual(await Promise.all(g.dependsOn), [prev, snap]);
        assert.throws(() => g.open(snap), /more snapshots than the 1 expected/);
    });
});
