// The program with dockfleet:hostCleanup (mocks): one HostCleanup per chosen host, its command on
// that host after the whole daemon rollout, and the one log line of the policy (also when off).
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Registered, latencyMs, registered } from "../support/mocks";
import { settle, stackConfig } from "../support/stack-files";
import { loadStackConfig } from "../../program/load";
import { buildProgram, hostCleanupMessage } from "../../program/program";

const ROOT = path.resolve(__dirname, "../..");
const PROD = path.join(ROOT, "stacks", "Pulumi.prod.yaml");

const connectionOf = (r: Registered): { host: string } => {
    const c = r.inputs.connection as Record<string, unknown>;
    return (c[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? c.value : c) as { host: string };
};

function prod(hostCleanup?: unknown, parts?: string[]) {
    const { raw, secret } = stackConfig(PROD);
    if (hostCleanup !== undefined) raw["dockfleet:hostCleanup"] = hostCleanup;
    if (parts) raw["dockfleet:parts"] = parts;
    return loadStackConfig("prod", raw, secret, ROOT);
}

describe("the program's host cleanup (mocks)", function () {
    this.timeout(30000);
    before(() => { latencyMs["command:remote:Command"] = 5; });
    after(() => { delete latencyMs["command:remote:Command"]; });

    it("onHosts: one HostCleanup and one command per host, on that host, registered after the rollout", async () => {
        const before = registered.length;
        const out = buildProgram(prod({ onHosts: ["swarm-wrk01", "registry01"], age: "72h" }));
        await settle();
        const mine = registered.slice(before);
        assert.deepStrictEqual(mine.filter((r) => r.type === "dockfleet:hostcleanup:HostCleanup").map((r) => r.name), ["swarm-wrk01-host-cleanup", "registry01-host-cleanup"]);
        const cmds = mine.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-host-cleanup-timer"));
        assert.deepStrictEqual(cmds.map((r) => `${r.name} ${connectionOf(r).host}`), ["swarm-wrk01-host-cleanup-timer 10.20.0.31", "registry01-host-cleanup-timer 10.20.0.10"]);
        for (const c of cmds) assert.match(c.inputs.create, /--filter until=72h --filter label!=dockfleet\.keep\n/);
        const rolloutDone = Math.max(...mine.filter((r) => r.type === "command:remote:Command" && /-(apply|serve-wait)$/.test(r.name)).map((r) => r.resolvedAt!));
        for (const c of cmds) assert.ok(c.at >= rolloutDone, `${c.name} registered at ${c.at} ms, before the rollout finished (${rolloutDone} ms)`);
        assert.strictEqual(out.hostCleanup?.length, 2);
    });

    it("off unless set: nothing registered, no output", async () => {
        const before = registered.length;
        const out = buildProgram(prod());
        await settle();
        assert.strictEqual(registered.slice(before).filter((r) => r.type === "dockfleet:hostcleanup:HostCleanup").length, 0);
        assert.strictEqual(out.hostCleanup, undefined);
    });

    it("the log line of the policy: on (every host by default), off, and not managed by the stack", () => {
        assert.strictEqual(hostCleanupMessage(prod({})),
            "HostCleanup policy: dockfleet-cleanup.timer on registry01, swarm-mgr01, swarm-wrk01, swarm-wrk02, swarm-wrk03: daily (up to 1h later at random; a missed run at boot), prunes stopped containers, unused networks and images no container uses older than 168h, build cache unused for 168h; keeps what is labelled dockfleet.keep, stack networks, every volume");
        assert.strictEqual(hostCleanupMessage(prod()),
            "HostCleanup policy: off (dockfleet:hostCleanup is not set): nothing prunes unused images, build cache or stopped containers on the hosts; {} turns on the default (7 days, volumes never)");
        assert.strictEqual(hostCleanupMessage(prod({}, ["daemon"])),
            'HostCleanup policy: not managed by stack "prod" (hostCleanup is not in dockfleet:parts): the hosts keep the timers they have');
    });
});
