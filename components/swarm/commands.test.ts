// The swarm scripts' exact command lines (what the Command resources carry and preview diffs).
import * as assert from "assert";
import * as fs from "fs";
import { SWARM_SCRIPT_FILE, renderSwarmCommand } from "./commands";
import { SERVE_WAIT_SCRIPT_FILE, renderServeWaitCommand } from "./serve-wait";

const head = (file: string, name: string) => `/bin/bash -c "$(printf %s '${fs.readFileSync(file).toString("base64")}' | base64 -d)" ${name}`;

describe("renderSwarmCommand (exact)", () => {
    it("each option a --key word and a quoted value, lists repeated, undefined left out", () => {
        assert.strictEqual(renderSwarmCommand("join", { role: "manager", "join-addr": ["a", "b"], x: undefined, y: "it's" }),
            `${head(SWARM_SCRIPT_FILE, "swarm-node")} 'join' '--role' 'manager' '--join-addr' 'a' '--join-addr' 'b' '--y' 'it'\\''s'`);
        assert.strictEqual(renderSwarmCommand("source", {}), `${head(SWARM_SCRIPT_FILE, "swarm-node")} 'source'`);
    });
});

describe("renderServeWaitCommand (exact)", () => {
    it("the action, --node, and --timeout when given", () => {
        assert.strictEqual(renderServeWaitCommand("snapshot", "n1"), `${head(SERVE_WAIT_SCRIPT_FILE, "swarm-serve-wait")} 'snapshot' '--node' 'n1'`);
        assert.strictEqual(renderServeWaitCommand("wait", "n'1", { timeoutSeconds: 30 }),
            `${head(SERVE_WAIT_SCRIPT_FILE, "swarm-serve-wait")} 'wait' '--node' 'n'\\''1' '--timeout' '30'`);
    });
    it("the wait's manager name and the snapshot's floors: the fleet's maxUnavailable, then each stack's, by stack name", () => {
        assert.strictEqual(renderServeWaitCommand("wait", "w1", { timeoutSeconds: 60, manager: "m1" }),
            `${head(SERVE_WAIT_SCRIPT_FILE, "swarm-serve-wait")} 'wait' '--node' 'w1' '--timeout' '60' '--manager' 'm1'`);
        assert.strictEqual(renderServeWaitCommand("snapshot", "w1", { timeoutSeconds: 60, maxUnavailable: 0, stackMaxUnavailable: { web: 2, api: 1 } }),
            `${head(SERVE_WAIT_SCRIPT_FILE, "swarm-serve-wait")} 'snapshot' '--node' 'w1' '--timeout' '60' '--max-unavailable' '0' '--stack-max-unavailable' 'api=1' '--stack-max-unavailable' 'web=2'`);
    });
});
