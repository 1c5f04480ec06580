// renderApplyCommand's exact command lines: the options as words, the public bundle on fd 3.
import * as assert from "assert";
import * as fs from "fs";
import { APPLY_SCRIPT_FILE, renderApplyCommand } from "./bundle";

const HEAD = `/bin/bash -c "$(printf %s '${fs.readFileSync(APPLY_SCRIPT_FILE).toString("base64")}' | base64 -d)" apply-docker-config`;
const BUNDLE = "=== /a 0644\n{}\n";

describe("renderApplyCommand (exact)", () => {
    it("apply with the least options: host, timeout, the bundle as a here-document on fd 3", () => {
        assert.strictEqual(renderApplyCommand("apply", { host: "h", restartTimeoutSeconds: 60 }, BUNDLE),
            `${HEAD} 'apply' '--host' 'h' '--restart-timeout' '60' 3<<'DOCKFLEET_BUNDLE_EOF'\n=== /a 0644\n{}\nDOCKFLEET_BUNDLE_EOF\n`);
    });

    it("apply with every option, in the script's order", () => {
        assert.strictEqual(renderApplyCommand("apply", {
            host: "h", restartTimeoutSeconds: 60, smokeImage: "i", smokePull: "never", restartCommand: "r", reloadCommand: "rl", logCommand: "l",
            reloadDigest: "d", owner: "o", op: "create", repair: "1 /x", taskWait: "manager",
        }, BUNDLE), `${HEAD} 'apply' '--host' 'h' '--restart-timeout' '60' '--smoke-image' 'i' '--smoke-pull' 'never' '--restart-cmd' 'r' '--reload-cmd' 'rl'` +
            ` '--log-cmd' 'l' '--reload-digest' 'd' '--owner' 'o' '--op' 'create' '--repair' '1 /x' '--task-wait' 'manager' 3<<'DOCKFLEET_BUNDLE_EOF'\n=== /a 0644\n{}\nDOCKFLEET_BUNDLE_EOF\n`);
    });

    it("another action: the apply-only options left out, no bundle", () => {
        assert.strictEqual(renderApplyCommand("forget", { host: "h", restartTimeoutSeconds: 60, owner: "o", op: "create", repair: "r", taskWait: "manager" }),
            `${HEAD} 'forget' '--host' 'h' '--restart-timeout' '60' '--owner' 'o'`);
    });
});
