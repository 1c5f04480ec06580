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
    // is-active: "failed" for a unit whose text says FAILS (its container exits at once), else "active"
    fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh
echo "systemctl $*" >> "${base}/calls"
if [ "$1" = is-active ]; then
  if grep -q FAILS "$DOCKFLEET_ROOT/etc/systemd/system/$2" 2>/dev/null; then echo failed; exit 3; fi
  echo active
fi
exit 0
`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "journalctl"), "#!/bin/sh\necho 'docker: Error response from daemon: No such image: local/nope:1.'\n", { mode: 0o755 });
    // an empty systemd-analyze that accepts everything, so the host's own is not used
    fs.writeFileSync(path.join(bin, "systemd-analyze"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const root = path.join(base, "root");
    fs.mkdirSync(root);
    const run = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, DOCKFLEET_ROOT: root, UNIT_SETTLE: "0" } });
    const unitFile = path.join(root, "etc/systemd/system/hb.service");
    const state = (p: string) => path.join(root, "var/lib/dockfleet/units", p);
    return { run, root, unitFile, state, calls: () => fs.readFileSync(path.join(base, "calls"), "utf8") };
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

    it("a unit that does not stay running: the previous unit back and restarted, the error names systemd's state and the log", () => {
        const e = mkEnv();
        assert.strictEqual(e.run(renderUnitCommand("install", "hb", UNIT, { owner: "o", op: "create" })).status, 0);
        const r = e.run(renderUnitCommand("install", "hb", "[Service]\nExecStart=/bin/false FAILS\n", { owner: "o", op: "update" }));
        assert.strictEqual(r.status, 1, r.stderr);
        assert.match(r.stderr, /FAILED: hb\.service did not stay running \(failed; docker: Error response from daemon: No such image: local\/nope:1\.\); the previous unit is back and restarted/);
        assert.strictEqual(fs.readFileSync(e.unitFile, "utf8"), UNIT);
        assert.ok(!fs.existsSync(e.state("hb/in-progress")) && !fs.existsSync(e.state("hb/previous.service")));
        assert.match(e.calls().split("\n").slice(-3).join("\n"), /systemctl restart hb\.service/);
        assert.strictEqual(fs.readFileSync(e.state("hb/claims/o"), "utf8"), "1\n", "the claim is the one before the failed update");
    });

    it("a first install that does not stay running: the unit disabled and removed", () => {
        const e = mkEnv();
        const r = e.run(renderUnitCommand("install", "hb", "[Service]\nExecStart=/bin/false FAILS\n", { owner: "o", op: "create" }));
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /FAILED: hb\.service did not stay running .*; the new unit is removed/);
        assert.ok(!fs.existsSync(e.unitFile));
        assert.match(e.calls(), /systemctl disable --now hb\.service/);
        assert.ok(!fs.existsSync(e.state("hb/claims/o")));
    });

    it("every install puts the boot guard in place: enabled, before docker.service, running a copy of this script", () => {
        const e = mkEnv();
        assert.strictEqual(e.run(renderUnitCommand("install", "hb", UNIT, { owner: "o", op: "create" })).status, 0);
        const g = fs.readFileSync(path.join(e.root, "etc/systemd/system/dockfleet-unit-guard.service"), "utf8");
        assert.match(g, /^Before=docker\.service sysinit\.target shutdown\.target$/m);
        assert.match(g, /^ConditionPathExistsGlob=\/var\/lib\/dockfleet\/units\/\*\/in-progress$/m);
        assert.match(g, /^ExecStart=\/bin\/bash \/var\/lib\/dockfleet\/units\/install-unit\.sh boot-recover$/m);
        assert.match(e.calls(), /systemctl enable --quiet dockfleet-unit-guard\.service/);
        assert.strictEqual(fs.readFileSync(e.state("install-unit.sh"), "utf8"), fs.readFileSync(path.join(__dirname, "scripts/install-unit.sh"), "utf8"));
    });

    it("boot-recover (a reboot cut an install off): the previous unit back, a first install's unit removed, the records gone", () => {
        const e = mkEnv();
        assert.strictEqual(e.run(renderUnitCommand("install", "hb", UNIT, { owner: "o", op: "create" })).status, 0);
        // the state an install leaves when the power goes after the new unit is written
        fs.writeFileSync(e.state("hb/previous.service"), UNIT);
        fs.writeFileSync(e.state("hb/in-progress"), "");
        fs.writeFileSync(e.unitFile, "[Service]\nExecStart=/bin/sleep new\n");
        fs.mkdirSync(e.state("fresh"), { recursive: true });
        fs.writeFileSync(e.state("fresh/in-progress"), "");
        const fresh = path.join(e.root, "etc/systemd/system/fresh.service");
        fs.writeFileSync(fresh, "[Service]\nExecStart=/bin/sleep 1\n");
        const r = e.run(`bash ${e.state("install-unit.sh")} boot-recover`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(e.unitFile, "utf8"), UNIT);
        assert.ok(!fs.existsSync(fresh));
        assert.ok(!fs.existsSync(e.state("hb/in-progress")) && !fs.existsSync(e.state("fresh/in-progress")));
        assert.match(r.stderr, /hb\.service: an install a reboot cut off; the previous unit is back/);
        assert.match(e.calls().split("\n").filter(Boolean).slice(-1)[0], /^systemctl daemon-reload$/);
    });
});
