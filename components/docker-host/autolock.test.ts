import * as assert from "assert";
import { autolockIssues, renderUnlockKeyEntry, validateUnlockKey } from "./autolock";

const KEY = "SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8";

describe("swarm autolock config (autolock.ts)", () => {
    it("the key's stdin entry is a header the script keeps in memory, then the key", () => {
        assert.strictEqual(renderUnlockKeyEntry(KEY), `=== @swarm-unlock-key\n${KEY}\n`);
    });

    it("a key must look like one; the error never echoes it", () => {
        assert.deepStrictEqual(validateUnlockKey(KEY), []);
        const bad = validateUnlockKey("SWMKEY-1-abc\nrm -rf /");
        assert.strictEqual(bad.length, 1);
        assert.doesNotMatch(bad[0].message, /rm -rf/);
    });

    it("autolock without the key says how to store it without showing it; a key without autolock is refused", () => {
        const [e] = autolockIssues("local", true, undefined, "10.232.0.11");
        assert.strictEqual(e.field, "dockfleet:swarmUnlockKey");
        assert.match(e.message, /ssh root@10\.232\.0\.11 'docker swarm update --autolock=true >\/dev\/null && docker swarm unlock-key -q' \| pulumi config set --secret dockfleet:swarmUnlockKey --stack local$/);
        assert.deepStrictEqual(autolockIssues("local", false, KEY, undefined).map((i) => i.field), ["dockfleet:swarm.autolock"]);
        assert.deepStrictEqual(autolockIssues("local", true, KEY, undefined), []);
        assert.deepStrictEqual(autolockIssues("local", false, undefined, undefined), []);
    });
});
