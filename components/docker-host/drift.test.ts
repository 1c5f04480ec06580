import * as assert from "assert";
import { parseStatus, repairMarker } from "./drift";

describe("drift status parsing", () => {
    it("reads the apply script's status output", () => {
        assert.deepStrictEqual(parseStatus("unmanaged\n"), { kind: "unmanaged" });
        assert.deepStrictEqual(parseStatus("in-sync\n"), { kind: "in-sync", repair: "" });
        assert.deepStrictEqual(parseStatus("in-sync\nrepair 2 /etc/docker/daemon.json\n"), { kind: "in-sync", repair: "2 /etc/docker/daemon.json" });
        const d = parseStatus("drift /etc/docker/daemon.json abc123\ndrift /etc/systemd/system/docker.service.d/http-proxy.conf absent\nrepair 1 /etc/docker/daemon.json\n");
        assert.deepStrictEqual(d, {
            kind: "drift",
            files: ["/etc/docker/daemon.json", "/etc/systemd/system/docker.service.d/http-proxy.conf"],
            repair: "1 /etc/docker/daemon.json",
        });
        assert.strictEqual(parseStatus("garbage").kind, "unknown");
    });

    it("reads what the last verified apply wrote, when the host's script prints it", () => {
        const out = "in-sync\nrepair 1 /etc/docker/daemon.json\nreload-digest 0123abcd\napplied 644 aa11 /etc/docker/daemon.json\napplied absent absent /etc/systemd/system/docker.service.d/http-proxy.conf\napplied 600 - /etc/systemd/system/docker.service.d/http-proxy.env\n";
        assert.deepStrictEqual(parseStatus(out), {
            kind: "in-sync",
            repair: "1 /etc/docker/daemon.json",
            reloadDigest: "0123abcd",
            applied: [
                { mode: "644", sha: "aa11", path: "/etc/docker/daemon.json" },
                { mode: "absent", sha: "absent", path: "/etc/systemd/system/docker.service.d/http-proxy.conf" },
                { mode: "600", sha: "-", path: "/etc/systemd/system/docker.service.d/http-proxy.env" },
            ],
        });
        assert.deepStrictEqual(parseStatus("drift /etc/docker/daemon.json bb22\napplied 644 aa11 /etc/docker/daemon.json\n"), {
            kind: "drift", files: ["/etc/docker/daemon.json"], repair: "", applied: [{ mode: "644", sha: "aa11", path: "/etc/docker/daemon.json" }],
        });
    });

    it("the repair marker is stable while in sync and moves on with each drift", () => {
        // never drifted: empty, as for an unmanaged or unreachable host
        assert.strictEqual(repairMarker({ kind: "in-sync", repair: "" }), "");
        assert.strictEqual(repairMarker({ kind: "unmanaged" }), "");
        assert.strictEqual(repairMarker({ kind: "unknown", reason: "timeout" }), "");
        // first drift → repair 1; once repaired, the host reports it back and the marker stays
        const first = repairMarker({ kind: "drift", files: ["/etc/docker/daemon.json"], repair: "" });
        assert.strictEqual(first, "1 /etc/docker/daemon.json");
        assert.strictEqual(repairMarker({ kind: "in-sync", repair: first }), first);
        // the next drift (even of the same file) is a new marker, so it is a change again
        assert.strictEqual(repairMarker({ kind: "drift", files: ["/etc/docker/daemon.json", "in-progress"], repair: first }), "2 /etc/docker/daemon.json,in-progress");
    });
});
