import * as assert from "assert";
import { parseStatus } from "./drift";

describe("drift status parsing", () => {
    it("reads the apply script's status output", () => {
        assert.deepStrictEqual(parseStatus("unmanaged\n"), { kind: "unmanaged" });
        assert.deepStrictEqual(parseStatus("in-sync\n"), { kind: "in-sync" });
        const d = parseStatus("drift /etc/docker/daemon.json abc123\ndrift /etc/systemd/system/docker.service.d/http-proxy.conf absent\n");
        assert.deepStrictEqual(d, {
            kind: "drift",
            files: ["/etc/docker/daemon.json", "/etc/systemd/system/docker.service.d/http-proxy.conf"],
            marker: "drift /etc/docker/daemon.json abc123; /etc/systemd/system/docker.service.d/http-proxy.conf absent",
        });
        assert.strictEqual(parseStatus("garbage").kind, "unknown");
    });
});
