import * as assert from "assert";
import { createHash } from "crypto";
import { renderBundle, renderFactsEntry } from "./bundle";
import { parseApplyCommand } from "./bundle-parse";
import { daemonFacts, dmSettings, hostNeeds, startsDigest } from "./daemon-facts";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("daemon.json facts (shipped beside the file; the apply script parses no JSON)", () => {
    it("canon: keys sorted, compact, labels sorted, keys at the always-written defaults dropped (debug 0 is not false)", () => {
        const t = '{"labels":["b=2","a=1"],"debug":0,"log-opts":{"max-size":"10m"},"insecure-registries":[],"live-restore":true,"registry-mirrors":[]}\n';
        assert.strictEqual(daemonFacts(t), `sha ${sha(t)}\ncanon {"debug":0,"labels":["a=1","b=2"],"live-restore":true,"log-opts":{"max-size":"10m"}}\ndm |/var/lib/docker|\nstarts 44136fa355b3678a\n`);
    });
    it("host needs: userns, runtime, shim, cgroup driver, TLS files, in that order", () => {
        const d = { "userns-remap": "dockremap:dockremap", runtimes: { runsc: { path: "/usr/bin/runsc" }, kata: { runtimeType: "io.containerd.kata.v2" }, odd: {} }, "exec-opts": ["native.cgroupdriver=systemd", "other=1"], tlscacert: "/etc/docker/ca.pem" };
        assert.deepStrictEqual(hostNeeds(d), ["userns dockremap:dockremap", "runtime runsc /usr/bin/runsc", "shim kata io.containerd.kata.v2", "cgroupdriver systemd", "tlsfile tlscacert /etc/docker/ca.pem"]);
        const t = `${JSON.stringify(d)}\n`;
        assert.strictEqual(daemonFacts(t), [
            `sha ${sha(t)}`,
            'canon {"exec-opts":["native.cgroupdriver=systemd","other=1"],"runtimes":{"kata":{"runtimeType":"io.containerd.kata.v2"},"odd":{},"runsc":{"path":"/usr/bin/runsc"}},"tlscacert":"/etc/docker/ca.pem","userns-remap":"dockremap:dockremap"}',
            "dm |/var/lib/docker|",
            "starts f6867cf8d19a7ddb",
            "need userns dockremap:dockremap",
            "need runtime runsc /usr/bin/runsc",
            "need shim kata io.containerd.kata.v2",
            "need cgroupdriver systemd",
            "need tlsfile tlscacert /etc/docker/ca.pem",
            "",
        ].join("\n"));
        assert.deepStrictEqual(hostNeeds({}), []);
    });
    it("dm settings: options trimmed, keys lower-cased, unset ones at dockerd's defaults; graph is the old name of data-root", () => {
        assert.strictEqual(dmSettings({ "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=90", " DM.Thinp_MetaPercent = 2 "] }),
            "devicemapper|/var/lib/docker|device=/dev/xvdf thinp_percent=90 thinp_metapercent=2 thinp_autoextend_threshold=80 thinp_autoextend_percent=20");
        assert.strictEqual(dmSettings({ "storage-driver": "overlay2", graph: "/srv/docker" }), "overlay2|/srv/docker|");
        assert.strictEqual(dmSettings({ "data-root": "/a", graph: "/b", "storage-opts": ["overlay2.size=1G", 7] }), "|/a|");
    });
    it("starts: the sha256 (16 hex) of the settings that change how new containers start, canonical; nothing else counts", () => {
        // {} and a file with only other keys: the digest of `{}`
        assert.strictEqual(startsDigest({}), "44136fa355b3678a");
        assert.strictEqual(startsDigest({ debug: true, labels: ["a=1"], "registry-mirrors": ["http://m"], "log-driver": "local" }), "44136fa355b3678a");
        assert.strictEqual(startsDigest({ "default-shm-size": "64M" }), "1f6c13b79cd9b1d8");
        assert.strictEqual(startsDigest({ "default-shm-size": "128M", debug: true }), "4671f5eba67b9b8c");
        // key order inside a value does not count
        assert.strictEqual(startsDigest({ runtimes: { b: { path: "/b" }, a: { path: "/a" } } }), startsDigest({ runtimes: { a: { path: "/a" }, b: { path: "/b" } } }));
        for (const k of ["authorization-plugins", "default-cgroupns-mode", "default-ipc-mode", "default-runtime", "default-shm-size", "features", "runtimes"]) {
            assert.notStrictEqual(startsDigest({ [k]: "x" }), "44136fa355b3678a", k);
        }
    });
    it("bytes that are not a JSON object: `invalid` and why, nothing else", () => {
        assert.strictEqual(daemonFacts("[1]\n"), `sha ${sha("[1]\n")}\ninvalid not an object\n`);
        assert.match(daemonFacts('{"debug": false,}\n'), /^sha [0-9a-f]{64}\ninvalid [^\n]+\n$/);
    });
    it("the bundle ships a daemon.json's facts after it (`=== @facts PATH`), for no other file; parseApplyCommand skips them", () => {
        const dj = { path: "/etc/docker/daemon.json", mode: "0644", content: "{}" };
        assert.strictEqual(renderFactsEntry(dj), `=== @facts /etc/docker/daemon.json\nsha ${sha("{}\n")}\ncanon {}\ndm |/var/lib/docker|\nstarts 44136fa355b3678a\n`);
        assert.strictEqual(renderFactsEntry({ path: "/etc/docker/daemon.json", mode: "0644" }), "");
        const b = renderBundle([dj, { path: "/etc/x.conf", mode: "0644", content: "a" }]);
        assert.strictEqual(b, `=== /etc/docker/daemon.json 0644\n{}\n${renderFactsEntry(dj)}=== /etc/x.conf 0644\na\n`);
        const p = parseApplyCommand(`apply-docker-config apply --host h 3<<'DOCKFLEET_BUNDLE_EOF'\n${b}DOCKFLEET_BUNDLE_EOF\n`)!;
        assert.deepStrictEqual(p.files, { "/etc/docker/daemon.json": "{}\n", "/etc/x.conf": "a\n" });
        assert.deepStrictEqual(p.daemon, {});
    });
});
