// sshRun's failure reasons, with a fake `ssh` first on PATH (no host is reached).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sshRun } from "./ssh";

describe("sshRun (the program's read-only probe)", function () {
    this.timeout(20000);
    let dir = "";
    let pathBefore: string | undefined;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-fakessh-"));
        // the last argument is the remote command: "hang" sleeps, "fail" fails like ssh does
        fs.writeFileSync(path.join(dir, "ssh"), '#!/bin/bash\ncase "${!#}" in hang) exec sleep 10 ;; fail) echo "ssh: connect to host 10.9.9.9 port 22: Connection refused" >&2; exit 255 ;; *) echo "ran ${!#}" ;; esac\n', { mode: 0o755 });
        pathBefore = process.env.PATH;
        process.env.PATH = `${dir}:${pathBefore}`;
    });
    after(() => {
        process.env.PATH = pathBefore;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a probe that outlives its limit is killed and says so (not the whole command line)", async () => {
        const t = Date.now();
        const r = await sshRun({ host: "10.9.9.9", privateKey: "KEY" }, "hang", 400);
        assert.ok(Date.now() - t < 5000, "killed at the limit");
        assert.deepStrictEqual(r, { ok: false, reason: "no answer within 0.4 s (the probe's limit)" });
    });

    it("ssh's own error: its last stderr line; success: stdout", async () => {
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9" }, "fail", 5000), { ok: false, reason: "ssh: connect to host 10.9.9.9 port 22: Connection refused" });
        assert.deepStrictEqual(await sshRun({ host: "10.9.9.9" }, "echo", 5000), { ok: true, stdout: "ran echo\n" });
    });
});
