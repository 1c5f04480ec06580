// dockerd_error_line (scripts/apply/dockerd.sh): the line of dockerd's log that says why a restart
// failed, the reason the apply prints in its FAILED line. The logs are as real dockerd 26 wrote
// them on a sandbox host (journalctl -u docker -t dockerd -o cat, shortened).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const MODULE = path.join(__dirname, "scripts/apply/dockerd.sh");

function errorLine(log: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-errline-"));
    try {
        fs.writeFileSync(path.join(dir, "log"), log);
        const r = spawnSync(
            "/bin/bash",
            ["-c", 'set -euo pipefail; source "$1"; LOG_CMD="cat $2"; USE_SYSTEMD=0; dockerd_error_line 0', "bash", MODULE, path.join(dir, "log")],
            { encoding: "utf8", env: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" } },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.replace(/\n$/, "");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const OLD_SHUTDOWN = [
    'time="2026-12-07T18:40:12.737429870Z" level=error msg="failed to receive changes from store watch API" error="rpc error: code = Unknown desc = context canceled"',
    'time="2026-12-07T18:40:12.771845493Z" level=info msg="[core] Channel Connectivity change to SHUTDOWN" module=grpc',
    'time="2026-12-07T18:40:12.772959773Z" level=info msg="Daemon shutdown complete"',
];

describe("apply script: dockerd_error_line (why a restart failed)", function () {
    this.timeout(20000);

    it("a raw line the new dockerd ended with wins over the old dockerd's shutdown errors", () => {
        // labels a=1 and a=2: dockerd 26 passes --validate, then exits with this raw line
        const log = [...OLD_SHUTDOWN, "conflict labels for a=2 and a=1", "conflict labels for a=2 and a=1", ""].join("\n");
        assert.strictEqual(errorLine(log), "conflict labels for a=2 and a=1");
    });

    it("a raw fatal line after the new dockerd's own non-fatal errors", () => {
        const log = [
            ...OLD_SHUTDOWN,
            'time="2026-12-07T19:58:37Z" level=error msg="enabling default vlan on bridge br0 failed open /sys/class/net/br0/bridge/default_pvid: permission denied"',
            'failed to start daemon: Error initializing network controller: invalid CIDR address: 10.99.0.0/33',
        ].join("\n");
        assert.strictEqual(errorLine(log), "failed to start daemon: Error initializing network controller: invalid CIDR address: 10.99.0.0/33");
    });

    it("a flag error: the error, not the CLI's help hint after it", () => {
        const log = [...OLD_SHUTDOWN, "Status: unknown flag: --no-such-flag", "See 'dockerd --help'., Code: 125", ""].join("\n");
        assert.strictEqual(errorLine(log), "Status: unknown flag: --no-such-flag");
    });

    it("a logrus fatal line when the new dockerd ended with one", () => {
        const log = [
            ...OLD_SHUTDOWN,
            'time="2026-12-07T19:58:36Z" level=info msg="Starting up"',
            'time="2026-12-07T19:58:37Z" level=fatal msg="Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid"',
        ].join("\n");
        assert.strictEqual(errorLine(log), 'time="2026-12-07T19:58:37Z" level=fatal msg="Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid"');
    });

    it("never blames the old dockerd: nothing from the new one gives an empty reason", () => {
        assert.strictEqual(errorLine(OLD_SHUTDOWN.join("\n") + "\n"), "");
    });
});
