// The program under mocks: what the hosts said about their swarm can make the membership plan
// refuse (a host in a stranger's swarm). That error must stop the program before the fleet
// registers any apply: SwarmCluster comes after the fleet, and the engine runs what is registered
// before it fails the update (seen on the VM tier on 2026-12-08, with a false error since fixed).
import * as assert from "assert";
import * as path from "path";
import { registered } from "../support/mocks";
import { settle, stackConfig } from "../support/stack-files";
import { testKnownHosts } from "../support/host-key-fixtures";
import { DockfleetConfigError } from "../../components/common/issues";
import { HostObservation } from "../../components/swarm/plan";
import { loadStackConfig } from "../../program/load";
import { buildProgram, dockerProviders } from "../../program/program";

const ROOT = path.resolve(__dirname, "../..");
const inactive = (name: string): HostObservation => ({ reachable: true, hostname: name, state: "inactive", isManager: false, markers: {} });

function local() {
    const { raw, secret } = stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml"));
    const hosts = raw["dockfleet:hosts"] as { name: string; address: string }[];
    raw["dockfleet:ssh"] = { ...(raw["dockfleet:ssh"] as object), knownHostsPath: testKnownHosts(hosts) };
    return loadStackConfig("local", raw, secret, ROOT);
}

describe("the program stops on the swarm plan's errors before any apply is registered (mocks)", function () {
    this.timeout(30000);

    it("host1 in a swarm none of the configured managers is in: the error names the stack, SwarmCluster and the field; no command registered", async () => {
        const cfg = local();
        const before = registered.length;
        const stranger: HostObservation = { reachable: true, hostname: "host1", state: "active", nodeId: "X1", isManager: false, markers: {} };
        assert.throws(() => buildProgram(cfg, { swarm: { host1: stranger, host2: inactive("host2"), host3: inactive("host3") } }, dockerProviders(cfg)), (e: unknown) => {
            assert.ok(e instanceof DockfleetConfigError, String(e));
            assert.match(e.message, /stack "local", SwarmCluster "swarm", field hosts\.host1: "host1" is a node of a swarm whose managers are not in the config/);
            return true;
        });
        await settle();
        const commands = registered.slice(before).filter((r) => r.type === "command:remote:Command");
        assert.deepStrictEqual(commands.map((r) => r.name), []);
    });

    it("a manager that did not answer its probe: a warning, and the program goes on (the fleet's applies are registered)", async () => {
        const cfg = local();
        const before = registered.length;
        const worker: HostObservation = { reachable: true, hostname: "host2", state: "active", nodeId: "X2", isManager: false, markers: {} };
        buildProgram(cfg, { swarm: { host1: { reachable: false, reason: "no answer within 30 s", markers: {} }, host2: worker, host3: inactive("host3") } }, dockerProviders(cfg));
        await settle();
        const applies = registered.slice(before).filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-apply"));
        assert.deepStrictEqual(applies.map((r) => r.name).sort(), ["host1-apply", "host2-apply", "host3-apply"]);
    });
});
