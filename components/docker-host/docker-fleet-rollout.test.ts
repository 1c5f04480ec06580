// DockerFleet's rollout from the hosts' statuses (issue 32) under Pulumi mocks: a reload-only change
// is one canary then one wave; restarts keep their batches; hosts that need nothing keep their commands.
import * as assert from "assert";
import { createHash } from "crypto";
import { registered as seen, latencyMs, valueOf } from "../../test/support/mocks";
import { testHostKey } from "../../test/support/host-key-fixtures";
import type { DriftStatus } from "./drift";
import type { DaemonConfig } from "./daemon-config";
import type { FleetHost } from "./docker-fleet";

latencyMs["command:remote:Command"] = 150;

describe("DockerFleet rollout: reload canary, one wave, restart batches (mocks)", function () {
    this.timeout(20000);
    let mod: typeof import("./docker-fleet");
    let statusOf: (daemon: DaemonConfig, role: FleetHost["role"]) => DriftStatus;

    before(async () => {
        mod = await import("./docker-fleet");
        const { desiredHostFiles } = await import("./docker-host");
        const { fileBytes } = await import("./bundle");
        const { hardenedDaemon } = await import("./cis");
        // what a host reports after a verified apply of `daemon` (the script's status lines)
        statusOf = (daemon, role) => {
            const w = desiredHostFiles({ connection: { host: "x" }, daemon: hardenedDaemon(daemon), swarm: role !== "none" });
            return {
                kind: "in-sync", repair: "", reloadDigest: w.reloadDigest,
                applied: w.publicFiles.map((f) => {
                    const b = fileBytes(f);
                    return b === undefined ? { path: f.path, mode: "absent", sha: "absent" } : { path: f.path, mode: f.mode.slice(1), sha: createHash("sha256").update(b).digest("hex") };
                }),
            };
        };
    });

    const hosts = (p: string): FleetHost[] => [
        { name: `${p}m1`, address: "10.9.5.1", hostKey: testHostKey("10.9.5.1"), role: "manager" },
        { name: `${p}w1`, address: "10.9.5.2", hostKey: testHostKey("10.9.5.2"), role: "worker" },
        { name: `${p}w2`, address: "10.9.5.3", hostKey: testHostKey("10.9.5.3"), role: "worker" },
        { name: `${p}w3`, address: "10.9.5.4", hostKey: testHostKey("10.9.5.4"), role: "worker" },
    ];
    const was = { labels: { v: "1" } };
    const applied = (hs: FleetHost[], daemon: DaemonConfig = was) => Object.fromEntries(hs.map((h) => [h.name, statusOf(daemon, h.role)]));

    async function build(p: string, daemon: DaemonConfig, status: Record<string, DriftStatus> | undefined, perHost: Record<string, Partial<DaemonConfig>> = {}) {
        seen.length = 0;
        const hs = hosts(p).map((h) => ({ ...h, daemon: perHost[h.name] }));
        // each child's ignoreChanges, as the engine gets it (a component's transformations see its children's options)
        const ignored: Record<string, string[]> = {};
        const fleet = new mod.DockerFleet(`roll-${p}`, { hosts: hs, ssh: { privateKey: "KEY" }, daemon, driftCheck: status !== undefined, driftStatus: status }, {
            transformations: [(a) => { if (a.opts.ignoreChanges) ignored[a.name] = a.opts.ignoreChanges; return undefined; }],
        });
        await Promise.all(fleet.hosts.map((h) => valueOf(h.applyLog)));
        await new Promise((r) => setTimeout(r, 400)); // the last serve-waits register after their applies
        const cmds = seen.filter((s) => s.type === "command:remote:Command");
        const at = (n: string) => {
            const c = cmds.find((x) => x.name === n);
            if (!c) throw new Error(`${n} not registered: ${cmds.map((x) => x.name).join(", ")}`);
            return c;
        };
        return { fleet, cmds, at, ignored, order: JSON.stringify(cmds.map((c) => [c.name, c.at, c.resolvedAt])) };
    }

    it("a reload-only change: the canary first; then every other host at once, each after the canary only, no worker framed by the manager's snapshot and serve-wait", async () => {
        const { fleet, at, ignored, order } = await build("r", { ...was, debug: true, registryMirrors: ["https://mirror.example"] }, applied(hosts("r")));
        assert.deepStrictEqual(Object.values(fleet.changes!).map((c) => c.kind), ["reload", "reload", "reload", "reload"]);
        assert.deepStrictEqual(fleet.rollout.stages, [[["rm1"]], [["rw1"], ["rw2"], ["rw3"]]]);
        assert.deepStrictEqual(fleet.batches, [["rm1"], ["rw1"], ["rw2"], ["rw3"]], "the planned restart batches (stack output) stay as they were");
        for (const w of ["rw1", "rw2", "rw3"]) {
            assert.ok(at(`${w}-apply`).at >= at("rm1-apply").resolvedAt!, `${w} waits for the canary: ${order}`);
            // a reload stops no task: the apply does not wait for a snapshot, and the frame stays in
            // the graph as it is (ignoreChanges: the engine runs neither command)
            assert.ok(at(`${w}-apply`).at < at(`${w}-serve-snapshot`).resolvedAt!, `${w}'s apply does not wait for its snapshot: ${order}`);
            assert.deepStrictEqual([ignored[`${w}-serve-snapshot`], ignored[`${w}-serve-wait`]], [["*"], ["*"]], `${w}'s frame`);
        }
        assert.deepStrictEqual(Object.keys(ignored).filter((n) => !/^rw\d-serve-(snapshot|wait)$/.test(n)), [], "nothing else ignores changes");
        // no wave host waits for another: every apply starts before any of the wave's serve-waits ends
        const lastStart = Math.max(...["rw1", "rw2", "rw3"].map((w) => at(`${w}-apply`).at));
        const firstWaitDone = Math.min(...["rw1", "rw2", "rw3"].map((w) => at(`${w}-serve-wait`).resolvedAt!));
        const firstApplyDone = Math.min(...["rw1", "rw2", "rw3"].map((w) => at(`${w}-apply`).resolvedAt!));
        assert.ok(lastStart < firstApplyDone && lastStart < firstWaitDone, `the wave's applies overlap: ${order}`);
    });

    it("a mixed change: canary, wave, then the restart hosts in their batches", async () => {
        // rw2 gets a restart-only key; the others a reloadable one
        const { fleet, at, ignored, order } = await build("x", { ...was, debug: true }, applied(hosts("x")), { xw2: { logDriver: "local" } });
        assert.deepStrictEqual(fleet.changes, {
            xm1: { kind: "reload", why: "hot-reloadable daemon.json keys" },
            xw1: { kind: "reload", why: "hot-reloadable daemon.json keys" },
            xw2: { kind: "restart", why: "daemon.json keys that need a restart" },
            xw3: { kind: "reload", why: "hot-reloadable daemon.json keys" },
        });
        assert.deepStrictEqual(fleet.rollout.stages, [[["xm1"]], [["xw1"], ["xw3"]], [["xw2"]]]);
        assert.ok(at("xw1-serve-snapshot").at >= at("xm1-apply").resolvedAt! && at("xw3-serve-snapshot").at >= at("xm1-apply").resolvedAt!, order);
        assert.ok(at("xw2-serve-snapshot").at >= Math.max(at("xw1-serve-wait").resolvedAt!, at("xw3-serve-wait").resolvedAt!), `the restart batch waits for the whole wave: ${order}`);
        assert.ok(at("xw2-apply").at >= at("xw2-serve-snapshot").resolvedAt!, order);
        assert.deepStrictEqual(Object.keys(ignored).sort(), ["xw1-serve-snapshot", "xw1-serve-wait", "xw3-serve-snapshot", "xw3-serve-wait"], "the restarting worker's frame runs");
    });

    it("a restart change rolls out as without the statuses: same batches, same order, same commands", async () => {
        const restart = { ...was, logDriver: "local" as const };
        const probed = await build("s", restart, applied(hosts("s")));
        assert.deepStrictEqual(Object.values(probed.fleet.changes!).map((c) => c.kind), ["restart", "restart", "restart", "restart"]);
        assert.deepStrictEqual(probed.fleet.rollout.stages, [[["sm1"]], [["sw1"]], [["sw2"]], [["sw3"]]]);
        const creates = probed.cmds.map((c) => [c.name, c.inputs.create, c.inputs.update]);
        const names = probed.cmds.map((c) => c.name);
        const blind = await build("s", restart, undefined);
        assert.deepStrictEqual(blind.fleet.rollout.stages, probed.fleet.rollout.stages);
        assert.deepStrictEqual(blind.cmds.map((c) => c.name), names, "registered in the same order");
        assert.deepStrictEqual(blind.cmds.map((c) => [c.name, c.inputs.create, c.inputs.update]), creates);
        for (let i = 1; i < 4; i++) assert.ok(probed.at(`sw${i}-serve-snapshot`).at >= probed.at(i === 1 ? "sm1-apply" : `sw${i - 1}-serve-wait`).resolvedAt!, probed.order);
        assert.deepStrictEqual(probed.ignored, {}, "no frame ignores changes");
    });

    it("hosts that need nothing keep their command inputs (pulumi runs nothing there)", async () => {
        // only n w1 changes (a reload); the others are as applied
        const status = applied(hosts("n"));
        status.nw1 = statusOf({ labels: { v: "0" } }, "worker");
        const probed = await build("n", was, status);
        assert.deepStrictEqual(Object.fromEntries(Object.entries(probed.fleet.changes!).map(([n, c]) => [n, c.kind])), { nm1: "nothing", nw1: "reload", nw2: "nothing", nw3: "nothing" });
        assert.deepStrictEqual(probed.fleet.rollout.stages, [[["nw1"]], [["nm1"]], [["nw2"]], [["nw3"]]]);
        const inputs = (cmds: typeof probed.cmds) => Object.fromEntries(cmds.map((c) => [c.name, [c.inputs.create, c.inputs.update, c.inputs.delete, c.inputs.triggers]]));
        const blind = await build("n", was, undefined);
        assert.deepStrictEqual(inputs(probed.cmds), inputs(blind.cmds));
    });

    it("a proxied fleet (the proxy URL a secret Output): with plainProxy the env file is compared by the probe's HMAC and the change reloads; without it, every host restarts", async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { desiredHostFiles } = await import("./docker-host");
        const { fileBytes } = await import("./bundle");
        const { hardenedDaemon } = await import("./cis");
        const { keyedSha } = await import("./drift");
        const url = "http://svc:s3cret@proxy.corp.example:3128";
        const key = Buffer.alloc(32, 3);
        // each host's status after a verified apply with the proxy: its env file shown under the probe's key
        const status = Object.fromEntries(hosts("p").map((h) => {
            const st = statusOf(was, h.role) as { kind: "in-sync"; repair: string; applied: { path: string; mode: string; sha: string }[] };
            const env = desiredHostFiles({ connection: { host: "x" }, daemon: hardenedDaemon(was), swarm: true, proxy: { httpProxy: url } }, { httpProxy: url });
            const proxied = desiredHostFiles({ connection: { host: "x" }, daemon: hardenedDaemon(was), swarm: true, proxy: { httpProxy: url } });
            const envFile = env.secretFiles![0];
            const applied = proxied.publicFiles.map((f) => {
                const b = fileBytes(f);
                return b === undefined ? { path: f.path, mode: "absent", sha: "absent" } : { path: f.path, mode: f.mode.slice(1), sha: createHash("sha256").update(b).digest("hex") };
            });
            return [h.name, { ...st, applied: [...applied, { path: envFile.path, mode: "600", sha: keyedSha(key, fileBytes(envFile)!) }], keyedSha: (c: string) => keyedSha(key, c) } as DriftStatus];
        }));
        const daemon = { ...was, debug: true, registryMirrors: ["https://mirror.example"] };
        const fleet = (name: string, plain: boolean) => new mod.DockerFleet(name, {
            hosts: hosts("p"), ssh: { privateKey: "KEY" }, daemon, driftCheck: true, driftStatus: status,
            proxy: { httpProxy: pulumi.secret(url) }, ...(plain ? { plainProxy: { httpProxy: url } } : {}),
        });
        const withPlain = fleet("roll-pp", true);
        assert.deepStrictEqual(Object.values(withPlain.changes!).map((c) => c.kind), ["reload", "reload", "reload", "reload"], JSON.stringify(withPlain.changes));
        assert.deepStrictEqual(withPlain.rollout.stages, [[["pm1"]], [["pw1"], ["pw2"], ["pw3"]]]);
        const without = fleet("roll-pn", false);
        assert.deepStrictEqual(Object.values(without.changes!).map((c) => c.why), Array(4).fill("/etc/systemd/system/docker.service.d/http-proxy.env (root-only: not comparable)"));
        await Promise.all([...withPlain.hosts, ...without.hosts].map((h) => valueOf(h.applyLog)));
        await new Promise((r) => setTimeout(r, 400));
    });
});
