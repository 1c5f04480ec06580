// DockerFleet with swarm autolock under Pulumi mocks: the unlock key goes to the managers' applies
// only, inside the secret stdin, never into a command line.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { registered as seen, valueOf } from "../../test/support/mocks";
import { testHostKey } from "../../test/support/host-key-fixtures";

const KEY = "SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8";

describe("DockerFleet with swarm autolock (mocks)", function () {
    this.timeout(20000);

    it("the managers' stdin carries the key as a secret; workers get none; no command line holds it", async () => {
        const { DockerFleet } = await import("./docker-fleet");
        seen.length = 0;
        const fleet = new DockerFleet("al", {
            hosts: [{ name: "m1", address: "10.9.7.1", role: "manager", hostKey: testHostKey("m1") }, { name: "w1", address: "10.9.7.2", role: "worker", hostKey: testHostKey("w1") }],
            ssh: { privateKey: "KEY" },
            swarmUnlockKey: pulumi.secret(KEY),
        });
        await Promise.all(fleet.hosts.map((h) => valueOf(h.applyLog)));
        const cmd = (n: string) => seen.find((s) => s.type === "command:remote:Command" && s.name === n)!;
        const m1 = cmd("m1-apply").inputs;
        const stdin = m1.stdin as { [sig: string]: string; value: string };
        assert.strictEqual(stdin[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
        assert.ok(stdin.value.endsWith(`=== @swarm-unlock-key\n${KEY}\n`), stdin.value);
        assert.strictEqual(cmd("w1-apply").inputs.stdin, undefined);
        for (const s of seen.filter((x) => x.type === "command:remote:Command")) {
            for (const k of ["create", "update", "delete"]) assert.ok(!String(s.inputs[k] ?? "").includes(KEY), `${s.name}.${k} holds the key`);
        }
        // the hardened defaults reach the rendered file
        assert.match(await valueOf(fleet.hosts[0].daemonJson), /"no-new-privileges": true/);
    });
});
