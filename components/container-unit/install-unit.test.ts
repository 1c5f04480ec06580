// scripts/install-unit.sh with a fake systemctl (and no systemd-analyze) under a temp DOCKFLEET_ROOT:
// the ownership claims that keep a replaced or renamed resource's delete from removing the unit.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUnitCommand } from "./container-unit";

function mkEnv() {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-unit-"));
    const bin = path.join(base, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "systemctl $*" >> "${base}/calls"\n`, { mode: 0o755 });
    // an empty systemd-analyze that accepts everything, so the host's own is not used
    fs.writeFileSync(path.join(bin, "systemd-analyze"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const root = path.join(base, "root");
    fs.mkdirSync(root);
    const run = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, DOCKFLEET_ROOT: root } });
    const unitFile = path.join(root, "etc/systemd/system/hb.service");
    return { run, unitFile, calls: () => fs.readFileSync(path.join(base, "calls"), "utf8") };
}

describe("install-unit.sh claims (fake systemctl)", () => {
    const UNIT = "[Service]\nExecStart=/bin/true\n";

    it("a replacement (create, then the old resource's delete) keeps the unit; the last delete removes it", () => {
        const e = mkEnv();
        assert.strictEqual(e.run(renderUnitCommand("install", "hb", UNIT, { owner: "p.s.host1-hb", op: "create" })).status, 0);
        assert.strictEqual(e.run(renderUnitCommand("install", "hb", UNIT.replace("true", "sleep 9"), { owner: "p.s.host1-hb", op: "create" })).status, 0);
        const del = e.run(renderUnitCommand("remove", "hb", undefined, { owner: "p.s.host1-hb" }));
        assert.strictEqual(del.status, 0, del.stderr);
        assert.match(del.stderr, /hb\.service kept: still claimed by p\.s\.host1-hb \(1\)/);
        assert.match(fs.readFileSync(e.unitFile, "utf8"), /sleep 9/);
        assert.doesNotMatch(e.calls(), /disable/);
        const last = e.run(renderUnitCommand("remove", "hb", undefined, { owner: "p.s.host1-hb" }));
        assert.match(last.stderr, /hb\.service removed/);
        assert.ok(!fs.existsSync(e.unitFile));
        assert.match(e.calls(), /disable --now hb\.service/);
    });

    it("a renamed resource (new owner) keeps the unit when the old one is deleted; update does not add claims", () => {
        const e = mkEnv();
        e.run(renderUnitCommand("install", "hb", UNIT, { owner: "old", op: "create" }));
        e.run(renderUnitCommand("install", "hb", UNIT, { owner: "new", op: "create" }));
        e.run(renderUnitCommand("install", "hb", UNIT, { owner: "new", op: "update" }));
        assert.match(e.run(renderUnitCommand("remove", "hb", undefined, { owner: "old" })).stderr, /kept: still claimed by new \(1\)/);
        assert.match(e.run(renderUnitCommand("remove", "hb", undefined, { owner: "new" })).stderr, /removed/);
        assert.ok(!fs.existsSync(e.unitFile));
    });
});
