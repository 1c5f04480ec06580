// Every stacks/Pulumi.*.yaml builds its full resource graph under mocks, and no secret leaks
// into a non-secret input.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { latencyMs, registered, valueOf, Registered } from "../support/mocks";
import { plainStrings, settle, stackConfig } from "../support/stack-files";
import { loadStackConfig } from "../../program/load";
import { buildProgram, dockerProviderHosts, dockerProviders } from "../../program/program";

const ROOT = path.resolve(__dirname, "../..");
const STACK_DIR = path.join(ROOT, "stacks");

const files = fs.readdirSync(STACK_DIR).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f)).sort();

describe("every stack file builds a full resource graph (mocks)", function () {
    this.timeout(30000);
    // Commands answer a little later than they register, as on real hosts: a dependent that does
    // not wait for them registers before they resolve, and the order checks below see it.
    before(() => { latencyMs["command:remote:Command"] = 5; });
    after(() => { delete latencyMs["command:remote:Command"]; });

    it("finds the four environments and the VM tier's stack", () => {
        assert.deepStrictEqual(files, ["Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "Pulumi.vm.yaml"]);
    });

    for (const file of files) {
        const stack = file.replace(/^Pulumi\.|\.yaml$/g, "");
        it(`${stack}: registers every configured part, and no secret in plain inputs`, async () => {
            const { raw, secret } = stackConfig(path.join(STACK_DIR, file));
            const before = registered.length;
            const cfg = loadStackConfig(stack, raw, secret, ROOT);
            const out = buildProgram(cfg);
            if (out.daemonJson) await valueOf(out.daemonJson);
            await settle();
            const mine: Registered[] = registered.slice(before);
            const count = (t: string) => mine.filter((r) => r.type === t).length;
            const hosts = cfg.config.hosts.length;

            assert.strictEqual(count("dockfleet:dockerhost:DockerFleet"), cfg.parts.has("daemon") ? 1 : 0);
            assert.strictEqual(count("dockfleet:dockerhost:DockerHost"), cfg.parts.has("daemon") ? hosts : 0);
            const units = cfg.parts.has("containerUnits") ? (cfg.config.containerUnits ?? []).reduce((n, u) => n + (u.onHosts?.length ?? hosts), 0) : 0;
            const swarmNodes = cfg.config.hosts.filter((h) => (h.role ?? "none") !== "none").length;
            assert.strictEqual(count("dockfleet:swarm:SwarmCluster"), cfg.parts.has("swarm") ? 1 : 0);
            // one member command per swarm node, plus the node-settings command on the source
            const swarmCmds = cfg.parts.has("swarm") ? swarmNodes + 1 : 0;
            // with a manager, its serve-snapshot and serve-wait frame each worker's daemon apply
            const hasManager = cfg.config.hosts.some((h) => h.role === "manager");
            const workers = cfg.config.hosts.filter((h) => h.role === "worker").length;
            const serveCmds = cfg.parts.has("daemon") && hasManager ? 2 * workers : 0;
            // with registry users, every host logs in to the registry
            const logins = cfg.parts.has("registry") && cfg.registryUsers ? hosts : 0;
            assert.strictEqual(count("command:remote:Command"), (cfg.parts.has("daemon") ? hosts : 0) + units + swarmCmds + serveCmds + logins);
            assert.strictEqual(count("dockfleet:registry:Registry"), cfg.parts.has("registry") && cfg.config.registry ? 1 : 0);
            const services = cfg.parts.has("stacks") ? Object.values(cfg.stacks).reduce((n, s) => n + Object.keys(s.services).length, 0) : 0;
            assert.strictEqual(count("docker:index/service:Service"), services);
            assert.strictEqual(count("pulumi:providers:docker"), dockerProviderHosts(cfg).length, "one docker provider per host that needs one");
            if (stack === "prod") {
                assert.strictEqual(services, 6, "yum_repo nginx, kafka x3 (from compose), prometheus x2");
                assert.deepStrictEqual(await valueOf(pulumi.output(out.restartBatches!)), [["registry01"], ["swarm-mgr01"], ["swarm-wrk01"], ["swarm-wrk02"], ["swarm-wrk03"]]);
            }
            if (stack === "local") {
                assert.deepStrictEqual(out.managedParts, ["daemon", "swarm", "containerUnits", "registry", "images", "stacks", "volumes"]);
                assert.deepStrictEqual(out.skippedParts, []);
                assert.strictEqual(count("docker:index/volume:Volume"), 1);
                // `npm start` runs this stack: a newcomer's first run shows no warning of our own files
                assert.deepStrictEqual(cfg.warnings.map((w) => w.text), []);
            }
            if (cfg.parts.has("daemon")) {
                // Everything else waits for the whole rollout: every host's apply and every
                // serve-wait, of every batch (they depend on the fleet's last batch, not on the
                // fleet: DockerFleet.done).
                const rollout = mine.filter((r) => r.type === "command:remote:Command" && /-(apply|serve-wait)$/.test(r.name));
                const rolloutDone = Math.max(...rollout.map((r) => r.resolvedAt!));
                const rolloutTypes = new Set(["dockfleet:dockerhost:DockerFleet", "dockfleet:dockerhost:DockerHost", "pulumi:providers:docker", "pulumi:pulumi:Stack"]);
                const later = mine.filter((r) => !rolloutTypes.has(r.type) && !(r.type === "command:remote:Command" && /-(apply|serve-wait|serve-snapshot)$/.test(r.name)));
                assert.ok(later.length > 0 || cfg.parts.size === 1, `${stack}: nothing registered after the rollout`);
                for (const r of later) assert.ok(r.at >= rolloutDone, `${stack}: ${r.type} ${r.name} registered at ${r.at} ms, before the rollout finished (${rolloutDone} ms)`);
            }
            if (cfg.parts.has("swarm") && cfg.parts.has("daemon")) {
                // Membership waits for every daemon apply (a host whose apply fails is not joined, a
                // restart never races a join); services wait for membership.
                const applies = mine.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-apply"));
                const swarmCmds = mine.filter((r) => r.type === "command:remote:Command" && (r.name.endsWith("-swarm") || r.name === "swarm-nodes"));
                const lastApply = Math.max(...applies.map((r) => r.resolvedAt!));
                for (const r of swarmCmds) assert.ok(r.at >= lastApply, `${stack}: ${r.name} registered before the daemon applies finished`);
                const membersDone = Math.max(...swarmCmds.map((r) => r.resolvedAt!));
                for (const r of mine.filter((x) => ["docker:index/service:Service", "docker:index/network:Network", "dockfleet:swarm:SwarmStack"].includes(x.type))) {
                    assert.ok(r.at >= membersDone, `${stack}: ${r.type} ${r.name} registered before swarm membership`);
                }
            }

            const leaks: string[] = [];
            for (const r of mine) {
                for (const s of plainStrings(r.inputs)) {
                    if (/PLACEHOLDER-[\w:]+-c0ffee/.test(s)) leaks.push(`${r.type} ${r.name}: ${s.slice(0, 80)}`);
                }
            }
            assert.deepStrictEqual(leaks, [], "secrets in plain resource inputs");
        });
    }

    it("prod: each worker's snapshot gets the floors the restart plan keeps (rollout.maxUnavailable, each stack's), its wait the manager's name", async () => {
        const { raw, secret } = stackConfig(path.join(STACK_DIR, "Pulumi.prod.yaml"));
        const r = raw as Record<string, any>;
        r["dockfleet:rollout"] = { ...r["dockfleet:rollout"], maxUnavailable: 0 };
        r["dockfleet:stacks"] = { ...r["dockfleet:stacks"], yum_repo: { ...r["dockfleet:stacks"].yum_repo, maxUnavailable: 1 } };
        const before = registered.length;
        const out = buildProgram(loadStackConfig("prod", raw, secret, ROOT));
        if (out.daemonJson) await valueOf(out.daemonJson);
        await settle();
        const create = (name: string) => registered.slice(before).find((x) => x.name === name)!.inputs.create as string;
        assert.match(create("swarm-wrk01-serve-snapshot"), /'snapshot' '--node' 'swarm-wrk01' '--timeout' '90' '--max-unavailable' '0' '--stack-max-unavailable' 'yum_repo=1'$/);
        assert.match(create("swarm-wrk01-serve-wait"), /'wait' '--node' 'swarm-wrk01' '--timeout' '90' '--manager' 'swarm-mgr01'$/);
    });

    it("local: the docker providers registered before the probe (as index.ts does) are the ones the program uses, once each", async () => {
        const { raw, secret } = stackConfig(path.join(STACK_DIR, "Pulumi.local.yaml"));
        const before = registered.length;
        const cfg = loadStackConfig("local", raw, secret, ROOT);
        const providers = dockerProviders(cfg);
        await settle(); // index.ts awaits the probe here: the providers reach the engine meanwhile
        const early = registered.slice(before).map((r) => `${r.type} ${r.name}`);
        assert.deepStrictEqual(early, dockerProviderHosts(cfg).map((h) => `pulumi:providers:docker docker-${h}`));
        assert.deepStrictEqual(dockerProviderHosts(cfg), ["host1"], "registry, volume and stacks all on host1");
        buildProgram(cfg, {}, providers);
        await settle();
        const provs = registered.slice(before).filter((r) => r.type === "pulumi:providers:docker");
        assert.strictEqual(provs.length, 1, "buildProgram registered no second provider");
    });
});
