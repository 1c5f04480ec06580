// HostCleanup under mocks (one command per host, parented to the component, the exact command
// lines) and its install script with a fake systemctl under a temp DOCKFLEET_ROOT.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { byType, parents, recordParents, registered } from "../../test/support/mocks";
import { renderCleanupService, renderCleanupTimer } from "./policy";
import type { HostCleanup as HostCleanupType } from "./host-cleanup";
import { renderCleanupCommand } from "./host-cleanup";

const SCRIPT_TEXT = fs.readFileSync(path.join(__dirname, "scripts", "install-cleanup.sh"), "utf8");
const HEAD = `/bin/bash -c "$(printf %s '${Buffer.from(SCRIPT_TEXT).toString("base64")}' | base64 -d)" install-cleanup`;
const CONN = { host: "10.0.0.5", user: "root", privateKey: "KEY" };
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("HostCleanup: command lines (exact)", () => {
    it("install: the claim words, the service then the timer on stdin after the split line", () => {
        assert.strictEqual(renderCleanupCommand("install", { service: "[Service]\nX=1\n", timer: "[Timer]\nY=2\n" }, { owner: "p.s.h1-host-cleanup", op: "create" }),
            `${HEAD} 'install' '--owner' 'p.s.h1-host-cleanup' '--op' 'create' <<'DOCKFLEET_CLEANUP_EOF'\n[Service]\nX=1\n# --- dockfleet-cleanup.timer ---\n[Timer]\nY=2\nDOCKFLEET_CLEANUP_EOF\n`);
    });

    it("remove: no --op, no here-document", () => {
        assert.strictEqual(renderCleanupCommand("remove", undefined, { owner: "o", op: "create" }), `${HEAD} 'remove' '--owner' 'o'`);
    });

    it("the script never touches dockerd: no docker.service command, nothing under /etc/docker", () => {
        assert.doesNotMatch(SCRIPT_TEXT, /systemctl[^\n]*docker\.service|\/etc\/docker|daemon\.json/);
    });
});

describe("HostCleanup component (mocks)", () => {
    let HostCleanup: typeof HostCleanupType;
    before(async () => {
        recordParents();
        ({ HostCleanup } = await import("./host-cleanup"));
    });

    it("registers one command on the host, parented to the component, installing the rendered units; delete removes them", async () => {
        const hc = new HostCleanup("h1-host-cleanup", { connection: CONN, age: "72h", keepLabel: "pin" });
        await settle();
        const [cmd] = byType("command:remote:Command", "h1-host-cleanup-timer");
        assert.ok(cmd, "the command is registered");
        assert.strictEqual(byType("dockfleet:hostcleanup:HostCleanup", "h1-host-cleanup").length, 1);
        assert.strictEqual(parents.get("command:remote:Command::h1-host-cleanup-timer"), "urn:pulumi:unit::dockfleet::dockfleet:hostcleanup:HostCleanup::h1-host-cleanup");
        const units = { service: renderCleanupService({ age: "72h", keepLabel: "pin" }), timer: renderCleanupTimer({ age: "72h", keepLabel: "pin" }) };
        assert.strictEqual(hc.serviceText, units.service);
        assert.strictEqual(hc.timerText, units.timer);
        assert.strictEqual(cmd.inputs.create, renderCleanupCommand("install", units, { owner: "dockfleet.unit.h1-host-cleanup", op: "create" }));
        assert.strictEqual(cmd.inputs.update, renderCleanupCommand("install", units, { owner: "dockfleet.unit.h1-host-cleanup", op: "update" }));
        assert.strictEqual(cmd.inputs.delete, renderCleanupCommand("remove", undefined, { owner: "dockfleet.unit.h1-host-cleanup" }));
        assert.match(cmd.inputs.create, /--filter until=72h --filter label!=pin\n/);
        assert.strictEqual(cmd.inputs.addPreviousOutputInEnv, false);
    });

    it("a bad policy fails before anything is registered, naming the field", () => {
        const n = registered.length;
        assert.throws(() => new HostCleanup("h2-host-cleanup", { connection: CONN, age: "7d" }), /HostCleanup "h2-host-cleanup", field age: "7d" is not an age docker's until filter takes/);
        assert.strictEqual(registered.slice(n).filter((r) => r.type === "command:remote:Command").length, 0);
    });
});

describe("install-cleanup.sh (fake systemctl)", () => {
    const UNITS = { service: "[Service]\nType=oneshot\nExecStart=/bin/true\n", timer: "[Timer]\nOnCalendar=daily\n" };

    function mkEnv(timerStarts = true) {
        const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-cleanup-"));
        const bin = path.join(base, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh
echo "systemctl $*" >> "${base}/calls"
case "$1" in
  is-active) ${timerStarts ? "echo active" : "echo failed; exit 3"} ;;
  show) echo "Tue 2026-12-08 00:41:00 UTC" ;;
esac
exit 0
`, { mode: 0o755 });
        // accepts everything, so the machine's own systemd-analyze is not used
        fs.writeFileSync(path.join(bin, "systemd-analyze"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const root = path.join(base, "root");
        fs.mkdirSync(root);
        const run = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, DOCKFLEET_ROOT: root } });
        const unit = (ext: string) => path.join(root, `etc/systemd/system/dockfleet-cleanup.${ext}`);
        return { run, root, unit, calls: () => fs.readFileSync(path.join(base, "calls"), "utf8").trim().split("\n") };
    }

    it("install writes both units byte for byte, enables and restarts the timer, starts no prune", () => {
        const e = mkEnv();
        const r = e.run(renderCleanupCommand("install", UNITS, { owner: "o", op: "create" }));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(e.unit("service"), "utf8"), UNITS.service);
        assert.strictEqual(fs.readFileSync(e.unit("timer"), "utf8"), UNITS.timer);
        assert.strictEqual((fs.statSync(e.unit("timer")).mode & 0o777).toString(8), "644");
        assert.deepStrictEqual(e.calls(), ["systemctl daemon-reload", "systemctl enable dockfleet-cleanup.timer", "systemctl restart dockfleet-cleanup.timer", "systemctl is-active dockfleet-cleanup.timer", "systemctl show dockfleet-cleanup.timer -p NextElapseUSecRealtime --value"]);
        assert.match(r.stderr, /dockfleet-cleanup\.timer installed: Tue 2026-12-08 00:41:00 UTC/);
        // the same units again: nothing written, no daemon-reload
        assert.strictEqual(e.run(renderCleanupCommand("install", UNITS, { owner: "o", op: "update" })).status, 0);
        assert.strictEqual(e.calls().filter((c) => c === "systemctl daemon-reload").length, 1);
    });

    it("remove: timer stopped and disabled, both units and the stamp gone; a second claim keeps them until its own remove", () => {
        const e = mkEnv();
        e.run(renderCleanupCommand("install", UNITS, { owner: "old", op: "create" }));
        e.run(renderCleanupCommand("install", UNITS, { owner: "new", op: "create" }));
        const stamp = path.join(e.root, "var/lib/systemd/timers/stamp-dockfleet-cleanup.timer");
        fs.mkdirSync(path.dirname(stamp), { recursive: true });
        fs.writeFileSync(stamp, "");
        const kept = e.run(renderCleanupCommand("remove", undefined, { owner: "old" }));
        assert.strictEqual(kept.status, 0, kept.stderr);
        assert.match(kept.stderr, /dockfleet-cleanup\.timer kept: still claimed by new \(1\)/);
        assert.ok(fs.existsSync(e.unit("timer")));
        const last = e.run(renderCleanupCommand("remove", undefined, { owner: "new" }));
        assert.match(last.stderr, /dockfleet-cleanup\.timer removed/);
        assert.ok(!fs.existsSync(e.unit("timer")) && !fs.existsSync(e.unit("service")) && !fs.existsSync(stamp));
        assert.ok(!fs.existsSync(path.join(e.root, "var/lib/dockfleet/cleanup")));
        assert.deepStrictEqual(e.calls().slice(-4), ["systemctl disable --now dockfleet-cleanup.timer", "systemctl stop dockfleet-cleanup.service", "systemctl daemon-reload", "systemctl reset-failed dockfleet-cleanup.service dockfleet-cleanup.timer"]);
    });

    it("a timer that does not start: a first install's units removed, exit 1", () => {
        const e = mkEnv(false);
        const r = e.run(renderCleanupCommand("install", UNITS, { owner: "o", op: "create" }));
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /FAILED: dockfleet-cleanup\.timer did not start \(failed\); the new units are removed/);
        assert.ok(!fs.existsSync(e.unit("timer")) && !fs.existsSync(e.unit("service")));
    });

    it("stdin without the split line is refused before anything is written", () => {
        const e = mkEnv();
        const r = e.run(renderCleanupCommand("install", { service: "[Service]\n", timer: "" }, { owner: "o", op: "create" }).replace("# --- dockfleet-cleanup.timer ---\n", ""));
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /no '# --- dockfleet-cleanup\.timer ---' line on stdin/);
        assert.ok(!fs.existsSync(e.unit("service")));
    });
});
